"""The Visualizer: draw on an image, then store images and scalars through backends.

Drawing goes straight into an Agg pixel buffer (see ``_canvas``): one matplotlib
collection per ``draw_*`` call instead of one artist per shape, masks blended in
numpy, and text from cached glyphs. ``get_image`` is then a copy of the buffer
rather than a re-render of a whole figure.
"""

from __future__ import annotations

import copy
import os.path as osp
import warnings
from types import MappingProxyType
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from matplotlib import rcParams
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PathCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.markers import MarkerStyle
from matplotlib.path import Path
from matplotlib.transforms import IdentityTransform

from engine.dist import master_only
from engine.registry import VISBACKENDS, VISUALIZERS
from engine.utils import ManagerMixin

from ._canvas import Canvas
from .featmap import draw_featmap as _draw_featmap
from .utils import (
    check_type,
    check_type_and_length,
    color_str2rgb,
    color_val_matplotlib,
    tensor2ndarray,
    value2list,
)

__all__ = ["Visualizer", "ImageNotSetError"]

_ArrayLike = (np.ndarray, torch.Tensor)
_VALID_VALIGN = ("center", "top", "bottom", "baseline")
_VALID_HALIGN = ("center", "right", "left")
_VALID_FAMILIES = ("serif", "sans-serif", "cursive", "fantasy", "monospace")


class ImageNotSetError(AssertionError, AttributeError):
    """An image is needed but ``set_image`` was never called.

    Both an AssertionError (the documented check) and an AttributeError (what
    the reference raised), so handlers written for either catch it.
    """


def _warn_out_of_bounds(kind: str) -> None:
    warnings.warn(
        f"Warning: The {kind} is out of bounds, the drawn {kind} may not be in the image",
        UserWarning,
        stacklevel=3,
    )


@VISUALIZERS.register_module()
class Visualizer(ManagerMixin):
    """Draws boxes, texts, masks and feature maps on an RGB image and stores results.

    Args:
        name: instance name (see ``get_instance``).
        image: an RGB image to start drawing on.
        vis_backends: backend configs, built through ``VISBACKENDS``; only used
            when ``save_dir`` is given.
        save_dir: root folder; backends write under ``<save_dir>/vis_data``.
        fig_save_cfg: keyword arguments of the off-screen drawing Figure (its dpi
            converts line widths and font sizes from points to pixels).
        fig_show_cfg: keyword arguments of the window Figure used by ``show``.
    """

    def __init__(
        self,
        name: str = "visualizer",
        image: Optional[np.ndarray] = None,
        vis_backends: Optional[List[dict]] = None,
        save_dir: Optional[str] = None,
        fig_save_cfg: dict = dict(frameon=False),  # noqa: B006 - read-only default
        fig_show_cfg: dict = dict(frameon=False),  # noqa: B006 - read-only default
    ) -> None:
        super().__init__(name)
        self._dataset_meta: Optional[dict] = None
        self._vis_backends: Dict[str, Any] = {}
        self._image: Optional[np.ndarray] = None
        self._canvas: Optional[Canvas] = None
        self.width = self.height = 0
        self._default_font_size = 10

        if save_dir is None:
            warnings.warn(
                "`Visualizer` backend is not initialized because save_dir is None.",
                UserWarning,
                stacklevel=2,
            )
        elif vis_backends is not None:
            self._build_backends(vis_backends, save_dir)

        self.fig_save_cfg = dict(fig_save_cfg)
        self.fig_show_cfg = dict(fig_show_cfg)
        self.fig_save = Figure(**self.fig_save_cfg)
        self.fig_save_canvas = FigureCanvasAgg(self.fig_save)
        self.dpi = self.fig_save.get_dpi()
        if image is not None:
            self.set_image(image)

    def _build_backends(self, vis_backends: List[dict], save_dir: str) -> None:
        assert isinstance(vis_backends, list), (
            f"`vis_backends` should be a list of dicts, but got {type(vis_backends)}")
        assert vis_backends, "`vis_backends` is an empty list; give at least one backend config"
        _check_backend_names(vis_backends)
        save_dir = osp.join(save_dir, "vis_data")
        for cfg in vis_backends:
            cfg = copy.deepcopy(cfg)
            name = cfg.pop("name", cfg["type"])
            cfg.setdefault("save_dir", save_dir)
            self._vis_backends[name] = VISBACKENDS.build(cfg)

    @classmethod
    def get_instance(cls, name: str, **kwargs: Any) -> Visualizer:
        """Create or fetch the instance ``name``; it also becomes reachable through
        ``Visualizer.get_current_instance()`` whatever subclass created it."""
        created = not cls.check_instance_created(name)
        instance = super().get_instance(name, **kwargs)
        if created and cls is not Visualizer:
            Visualizer._instance_dict[name] = instance
            Visualizer._instance_dict.move_to_end(name)
        return instance

    # ------------------------------------------------------------------ misc

    @property  # type: ignore[misc]
    @master_only
    def dataset_meta(self) -> Optional[dict]:
        """Meta information of the dataset (class names, palette) for downstream drawing."""
        return self._dataset_meta

    @dataset_meta.setter  # type: ignore[misc]
    @master_only
    def dataset_meta(self, dataset_meta: dict) -> None:
        self._dataset_meta = dataset_meta

    @master_only
    def set_image(self, image: np.ndarray) -> None:
        """Start drawing on ``image`` (RGB, H x W x 3; cast to uint8). Resets earlier drawings."""
        assert image is not None, "`image` should not be None; pass an RGB np.ndarray"
        image = tensor2ndarray(image)
        image = np.asarray(image).astype("uint8")
        if image.ndim == 2:
            image = np.repeat(image[..., None], 3, axis=2)
        assert image.ndim == 3 and image.shape[2] in (3, 4), (
            f"`image` should have shape (H, W, 3), but got {image.shape}")
        image = image[..., :3]
        self._image = image
        self.height, self.width = image.shape[:2]
        self._default_font_size = max(np.sqrt(self.height * self.width) // 90, 10)
        self.fig_save.set_size_inches((self.width + 1e-2) / self.dpi,
                                      (self.height + 1e-2) / self.dpi)
        if self._canvas is not None and self._canvas.buffer.shape[:2] == image.shape[:2]:
            self._canvas.set_pixels(image)  # same size: reuse the Agg buffer
        else:
            self._canvas = Canvas(image, self.fig_save)

    @master_only
    def get_image(self) -> np.ndarray:
        """The drawn image: RGB uint8 of shape (H, W, 3)."""
        return self._require_canvas().get_image()

    def _require_canvas(self) -> Canvas:
        if self._canvas is None:
            raise ImageNotSetError("Please set image using `set_image`")
        return self._canvas

    @master_only
    def get_backend(self, name: str) -> Any:
        """The backend configured as ``name`` (default: its type), or None."""
        return self._vis_backends.get(name)

    @property
    def vis_backends(self) -> Mapping[str, Any]:
        """The storage backends by name, in config order (a read-only view); empty
        when the visualizer was built without ``save_dir``."""
        return MappingProxyType(self._vis_backends)

    @master_only
    def show(
        self,
        drawn_img: Optional[np.ndarray] = None,
        win_name: str = "image",
        wait_time: float = 0,
        continue_key: str = " ",
    ) -> Any:
        """Show the image in a window; with no display (Agg) warn and return at once."""
        import matplotlib

        backend = matplotlib.get_backend()
        img = self.get_image() if drawn_img is None else drawn_img
        if backend.lower() in _NON_INTERACTIVE and "inline" not in backend:
            warnings.warn(
                f"Visualizer.show: matplotlib backend {backend!r} cannot open a window "
                "(no display); nothing is shown. Use get_image() or add_image() instead.",
                UserWarning,
                stacklevel=2,
            )
            return None
        import matplotlib.pyplot as plt

        from .utils import wait_continue

        figure = plt.figure(**self.fig_show_cfg)
        figure.canvas.manager.set_window_title(win_name)
        axes = figure.add_axes((0, 0, 1, 1))
        axes.axis(False)
        axes.imshow(img)
        if "inline" in backend:
            return figure
        plt.show(block=False)
        wait_continue(figure, timeout=wait_time, continue_key=continue_key)
        plt.close(figure)
        return None

    # --------------------------------------------------------------- drawing

    def _check_positions(self, points: np.ndarray, kind: str) -> None:
        points = np.asarray(points).reshape(-1, 2)
        inside = ((points[:, 0] >= 0) & (points[:, 0] < self.width)
                  & (points[:, 1] >= 0) & (points[:, 1] < self.height))
        if not inside.all():
            _warn_out_of_bounds(kind)

    @master_only
    def draw_points(
        self,
        positions: Union[np.ndarray, torch.Tensor],
        colors: Union[str, tuple, List] = "g",
        marker: Optional[str] = None,
        sizes: Optional[Union[np.ndarray, torch.Tensor]] = None,
    ) -> Visualizer:
        """Scatter points (N, 2) as one collection."""
        canvas = self._require_canvas()
        check_type("positions", positions, _ArrayLike)
        positions = tensor2ndarray(positions)
        if positions.ndim == 1:
            positions = positions[None]
        assert positions.shape[-1] == 2, (
            f"The shape of `positions` should be (N, 2), but got {positions.shape}")
        colors = color_val_matplotlib(colors)
        style = MarkerStyle(marker if marker is not None else rcParams["scatter.marker"])
        path = style.get_path().transformed(style.get_transform())
        if sizes is None:
            sizes = np.array([rcParams["lines.markersize"] ** 2])
        sizes = np.atleast_1d(tensor2ndarray(sizes))
        collection = PathCollection(
            [path], sizes=sizes, offsets=positions, offset_transform=canvas.transform,
            facecolors=colors, edgecolors="face" if style.is_filled() else colors,
        )
        canvas.draw_artist(collection, transform=IdentityTransform())
        return self

    @master_only
    def draw_texts(
        self,
        texts: Union[str, List[str]],
        positions: Union[np.ndarray, torch.Tensor],
        font_sizes: Optional[Union[int, float, List]] = None,
        colors: Union[str, tuple, List] = "g",
        vertical_alignments: Union[str, List[str]] = "top",
        horizontal_alignments: Union[str, List[str]] = "left",
        font_families: Union[str, List[str]] = "sans-serif",
        bboxes: Optional[Union[dict, List[dict]]] = None,
    ) -> Visualizer:
        """Draw texts whose anchors are ``positions`` (N, 2); optional boxes behind them."""
        canvas = self._require_canvas()
        check_type("texts", texts, (str, list))
        if isinstance(texts, str):
            texts = [texts]
        num = len(texts)
        check_type("positions", positions, _ArrayLike)
        positions = tensor2ndarray(positions)
        if positions.ndim == 1:
            positions = positions[None]
        assert positions.shape == (num, 2), (
            "`positions` should have the shape of "
            f"({num}, 2), but got {positions.shape}")
        self._check_positions(positions, "text")

        if font_sizes is None:
            font_sizes = self._default_font_size
        check_type_and_length("font_sizes", font_sizes, (int, float, np.number, list), num)
        font_sizes = value2list(font_sizes, (int, float, np.number), num)
        check_type_and_length("colors", colors, (str, tuple, list), num)
        colors = value2list(color_val_matplotlib(colors), (str, tuple), num)
        check_type_and_length("vertical_alignments", vertical_alignments, (str, list), num)
        vertical_alignments = value2list(vertical_alignments, str, num)
        for align in vertical_alignments:
            assert align in _VALID_VALIGN, (
                f"vertical_alignments should be one of {_VALID_VALIGN}, but got {align!r}")
        check_type_and_length("horizontal_alignments", horizontal_alignments, (str, list), num)
        horizontal_alignments = value2list(horizontal_alignments, str, num)
        for align in horizontal_alignments:
            assert align in _VALID_HALIGN, (
                f"horizontal_alignments should be one of {_VALID_HALIGN}, but got {align!r}")
        check_type_and_length("font_families", font_families, (str, list), num)
        font_families = value2list(font_families, str, num)
        for family in font_families:
            assert family in _VALID_FAMILIES, (
                f"font_families should be one of {_VALID_FAMILIES}, but got {family!r}")
        if bboxes is None:
            bboxes = [None] * num
        else:
            check_type_and_length("bboxes", bboxes, (dict, list), num)
            bboxes = value2list(bboxes, dict, num)
        canvas.draw_texts(texts, positions, font_sizes, colors, vertical_alignments,
                          horizontal_alignments, font_families, bboxes)
        return self

    @master_only
    def draw_lines(
        self,
        x_datas: Union[np.ndarray, torch.Tensor],
        y_datas: Union[np.ndarray, torch.Tensor],
        colors: Union[str, tuple, List] = "g",
        line_styles: Union[str, List[str]] = "-",
        line_widths: Union[int, float, List] = 2,
    ) -> Visualizer:
        """Draw N segments; row i of ``x_datas``/``y_datas`` holds its start and end."""
        canvas = self._require_canvas()
        check_type("x_datas", x_datas, _ArrayLike)
        check_type("y_datas", y_datas, _ArrayLike)
        x_datas, y_datas = tensor2ndarray(x_datas), tensor2ndarray(y_datas)
        assert x_datas.shape == y_datas.shape, (
            f"`x_datas` and `y_datas` should have the same shape, "
            f"but got {x_datas.shape} and {y_datas.shape}")
        assert x_datas.shape[-1] == 2, (
            f"The shape of `x_datas` should be (N, 2), but got {x_datas.shape}")
        if x_datas.ndim == 1:
            x_datas, y_datas = x_datas[None], y_datas[None]
        lines = np.stack([x_datas, y_datas], axis=-1)  # (N, 2 points, xy)
        self._check_positions(lines, "line")
        _check_style_lengths(len(lines), colors=colors, line_styles=line_styles,
                             line_widths=line_widths)
        colors = color_val_matplotlib(colors)
        collection = LineCollection(lines, colors=colors, linestyles=line_styles,
                                    linewidths=line_widths)
        canvas.draw_artist(collection)
        return self

    def _clamped_widths(self, line_widths: Any, num: int) -> List[float]:
        widths = value2list(line_widths, (int, float), num)
        return [min(max(width, 1), self._default_font_size / 4) for width in widths]

    @master_only
    def draw_circles(
        self,
        center: Union[np.ndarray, torch.Tensor],
        radius: Union[np.ndarray, torch.Tensor],
        edge_colors: Union[str, tuple, List] = "g",
        line_styles: Union[str, List[str]] = "-",
        line_widths: Union[int, float, List] = 2,
        face_colors: Union[str, tuple, List] = "none",
        alpha: Union[float, int] = 0.8,
    ) -> Visualizer:
        """Draw circles of ``radius`` (N,) around ``center`` (N, 2) as one collection."""
        canvas = self._require_canvas()
        check_type("center", center, _ArrayLike)
        check_type("radius", radius, _ArrayLike)
        center = tensor2ndarray(center)
        radius = tensor2ndarray(radius).reshape(-1)
        if center.ndim == 1:
            center = center[None]
        assert center.shape == (radius.shape[0], 2), (
            "The shape of `center` should be (radius.shape, 2), "
            f"but got {center.shape} and {radius.shape}")
        corners = np.concatenate([center - radius[:, None], center + radius[:, None]])
        self._check_positions(corners, "circle")
        _check_style_lengths(len(radius), edge_colors=edge_colors, face_colors=face_colors,
                             line_styles=line_styles, line_widths=line_widths)
        edge_colors = color_val_matplotlib(edge_colors)
        face_colors = color_val_matplotlib(face_colors)
        widths = self._clamped_widths(line_widths, len(radius))
        paths = [Path.circle((float(x), float(y)), float(r)) for (x, y), r in zip(center, radius)]
        collection = PathCollection(paths, facecolors=face_colors, edgecolors=edge_colors,
                                    linewidths=widths, linestyles=line_styles, alpha=alpha)
        canvas.draw_artist(collection)
        return self

    @master_only
    def draw_bboxes(
        self,
        bboxes: Union[np.ndarray, torch.Tensor],
        edge_colors: Union[str, tuple, List] = "g",
        line_styles: Union[str, List[str]] = "-",
        line_widths: Union[int, float, List] = 2,
        face_colors: Union[str, tuple, List] = "none",
        alpha: Union[int, float] = 0.8,
    ) -> Visualizer:
        """Draw xyxy boxes (N, 4) as one polygon collection."""
        self._require_canvas()
        check_type("bboxes", bboxes, _ArrayLike)
        bboxes = tensor2ndarray(bboxes)
        if bboxes.ndim == 1:
            bboxes = bboxes[None]
        assert bboxes.shape[-1] == 4, (
            f"The shape of `bboxes` should be (N, 4), but got {bboxes.shape}")
        assert ((bboxes[:, 0] <= bboxes[:, 2]) & (bboxes[:, 1] <= bboxes[:, 3])).all(), (
            "Each box should satisfy x1 <= x2 and y1 <= y2 (xyxy format), "
            f"but got {bboxes[~((bboxes[:, 0] <= bboxes[:, 2]) & (bboxes[:, 1] <= bboxes[:, 3]))]}")
        self._check_positions(bboxes, "bbox")
        x1, y1, x2, y2 = (bboxes[:, i] for i in range(4))
        polygons = np.stack([np.stack([x1, y1], -1), np.stack([x2, y1], -1),
                             np.stack([x2, y2], -1), np.stack([x1, y2], -1)], axis=1)
        return self._draw_polygon_list(polygons, edge_colors, line_styles, line_widths,
                                       face_colors, alpha)

    @master_only
    def draw_polygons(
        self,
        polygons: Union[np.ndarray, torch.Tensor, List],
        edge_colors: Union[str, tuple, List] = "g",
        line_styles: Union[str, List[str]] = "-",
        line_widths: Union[int, float, List] = 2,
        face_colors: Union[str, tuple, List] = "none",
        alpha: Union[int, float] = 0.8,
    ) -> Visualizer:
        """Draw polygons: one (M, 2) array, a flat (x1, y1, ..., xn, yn) array, or a list."""
        self._require_canvas()
        check_type("polygons", polygons, (list, np.ndarray, torch.Tensor))
        if not isinstance(polygons, list):
            polygons = [polygons]
        prepared = []
        for polygon in polygons:
            check_type("polygons", polygon, _ArrayLike)
            polygon = tensor2ndarray(polygon)
            if polygon.ndim == 1 and polygon.shape[0] % 2 == 0:
                polygon = polygon.reshape(-1, 2)
            assert polygon.ndim == 2 and polygon.shape[1] == 2, (
                f"The shape of each polygon should be (M, 2), but got {polygon.shape}")
            self._check_positions(polygon, "polygon")
            prepared.append(polygon)
        return self._draw_polygon_list(prepared, edge_colors, line_styles, line_widths,
                                       face_colors, alpha)

    def _draw_polygon_list(self, polygons: Any, edge_colors: Any, line_styles: Any,
                           line_widths: Any, face_colors: Any, alpha: Any) -> Visualizer:
        canvas = self._require_canvas()
        _check_style_lengths(len(polygons), edge_colors=edge_colors, face_colors=face_colors,
                             line_styles=line_styles, line_widths=line_widths)
        edge_colors = color_val_matplotlib(edge_colors)
        face_colors = color_val_matplotlib(face_colors)
        widths = self._clamped_widths(line_widths, len(polygons))
        collection = PolyCollection(polygons, alpha=alpha, facecolors=face_colors,
                                    linestyles=line_styles, edgecolors=edge_colors,
                                    linewidths=widths)
        canvas.draw_artist(collection)
        return self

    @master_only
    def draw_binary_masks(
        self,
        binary_masks: Union[np.ndarray, torch.Tensor],
        colors: Union[str, tuple, List] = "g",
        alphas: Union[float, int, List] = 0.8,
    ) -> Visualizer:
        """Blend bool masks (H, W) or (N, H, W): inside, ``(1 - a) * img + a * colour``."""
        canvas = self._require_canvas()
        check_type("binary_masks", binary_masks, _ArrayLike)
        binary_masks = tensor2ndarray(binary_masks)
        assert binary_masks.dtype == np.bool_, (
            f"The dtype of binary_masks should be np.bool_, but got {binary_masks.dtype}")
        if binary_masks.ndim == 2:
            binary_masks = binary_masks[None]
        assert binary_masks.ndim == 3 and binary_masks.shape[1:] == (self.height, self.width), (
            "`binary_masks` must have shape (N, H, W) with (H, W) equal to the image's "
            f"{(self.height, self.width)}, but got {binary_masks.shape}")
        num = binary_masks.shape[0]
        check_type_and_length("colors", colors, (str, tuple, list), num)
        colors = value2list(colors, (str, tuple), num)
        rgbs = []
        for color in colors:
            color = color_str2rgb(color) if isinstance(color, str) else tuple(color)
            assert len(color) == 3, f"Each mask colour must have 3 channels, got {color!r}"
            for channel in color:
                assert 0 <= channel <= 255, f"Mask colour channels must be in 0..255, got {color!r}"
            rgbs.append(np.array(color, dtype=np.float32))
        check_type_and_length("alphas", alphas, (float, int, list), num)
        alphas = value2list(alphas, (float, int), num)
        pixels = canvas.buffer[..., :3]
        for mask, rgb, alpha in zip(binary_masks, rgbs, alphas):
            inside = pixels[mask].astype(np.float32)
            pixels[mask] = np.clip(np.rint(inside * (1 - alpha) + rgb * alpha), 0, 255)
        return self

    @staticmethod
    @master_only
    def draw_featmap(
        featmap: torch.Tensor,
        overlaid_image: Optional[np.ndarray] = None,
        channel_reduction: Optional[str] = "squeeze_mean",
        topk: int = 20,
        arrangement: Tuple[int, int] = (4, 5),
        resize_shape: Optional[tuple] = None,
        alpha: float = 0.5,
    ) -> np.ndarray:
        """A (C, H, W) feature map as an RGB heatmap, or a grid of the top-k channels."""
        return _draw_featmap(featmap, overlaid_image, channel_reduction, topk, arrangement,
                             resize_shape, alpha)

    # --------------------------------------------------------------- storage

    @master_only
    def add_config(self, config: Any, **kwargs: Any) -> None:
        """Record the run's Config in every backend."""
        for backend in self._vis_backends.values():
            backend.add_config(config=config, **kwargs)

    @master_only
    def add_graph(self, model: torch.nn.Module, data_batch: Sequence[dict], **kwargs: Any) -> None:
        """Record the model graph in every backend that supports it."""
        for backend in self._vis_backends.values():
            backend.add_graph(model=model, data_batch=data_batch, **kwargs)

    @master_only
    def add_image(self, name: str, image: np.ndarray, step: int = 0) -> None:
        """Record an RGB image in every backend."""
        for backend in self._vis_backends.values():
            backend.add_image(name=name, image=image, step=step)

    @master_only
    def add_scalar(self, name: str, value: Union[int, float], step: int = 0,
                   **kwargs: Any) -> None:
        """Record one scalar in every backend."""
        for backend in self._vis_backends.values():
            backend.add_scalar(name=name, value=value, step=step, **kwargs)

    def add_scaler(self, *args: Any, **kwargs: Any) -> None:
        """Alias of :meth:`add_scalar`, the spelling of the manual's examples."""
        self.add_scalar(*args, **kwargs)

    @master_only
    def add_scalars(self, scalar_dict: dict, step: int = 0, file_path: Optional[str] = None,
                    **kwargs: Any) -> None:
        """Record several scalars at ``step`` in every backend."""
        for backend in self._vis_backends.values():
            backend.add_scalars(scalar_dict=scalar_dict, step=step, file_path=file_path,
                                **kwargs)

    @master_only
    def add_datasample(
        self,
        name: str,
        image: np.ndarray,
        data_sample: Any = None,
        draw_gt: bool = True,
        draw_pred: bool = True,
        show: bool = False,
        wait_time: int = 0,
        step: int = 0,
    ) -> None:
        """Draw a sample's annotations and predictions; downstream visualizers override it."""

    def flush(self) -> None:
        """Push every backend's buffered records to storage (the run goes on)."""
        for backend in self._vis_backends.values():
            backend.flush()

    def close(self) -> None:
        """Close every backend (flush writers, finish runs)."""
        for backend in self._vis_backends.values():
            backend.close()


_NON_INTERACTIVE = ("agg", "cairo", "pdf", "pgf", "ps", "svg", "template")


def _check_style_lengths(num: int, **styles: Any) -> None:
    """Per-item style lists must cover every item (single values apply to all)."""
    types = {"colors": (str, tuple, list), "edge_colors": (str, tuple, list),
             "face_colors": (str, tuple, list), "line_styles": (str, list),
             "line_widths": (int, float, list)}
    for name, value in styles.items():
        check_type_and_length(name, value, types[name], num)


def _check_backend_names(vis_backends: List[dict]) -> None:
    names = [cfg.get("name") for cfg in vis_backends]
    named = [name for name in names if name is not None]
    if named and len(named) != len(vis_backends):
        raise RuntimeError(
            "If one of them has a name attribute, all backends must use the name attribute; "
            f"got names {names}")
    if not named:
        types = [cfg["type"] if isinstance(cfg["type"], str) else getattr(
            cfg["type"], "__name__", cfg["type"]) for cfg in vis_backends]
        if len(set(types)) != len(types):
            raise RuntimeError(
                "The same vis backend cannot exist in `vis_backend` config. "
                f"Please specify the name field (types: {types}).")
    elif len(set(named)) != len(named):
        raise RuntimeError(f"The name fields cannot be the same; got {named}")
