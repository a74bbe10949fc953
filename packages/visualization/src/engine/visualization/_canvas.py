"""An off-screen drawing surface: an Agg renderer whose pixel buffer is a numpy array.

The Visualizer draws straight into this buffer instead of building a Figure full
of artists and re-rendering the whole figure on every ``get_image``: shapes go
through matplotlib collections (one per call, so Agg does the anti-aliasing,
dashes and alpha exactly as matplotlib would), masks are blended with numpy, and
text uses the cached-glyph rasteriser in ``_text`` with a real Text artist as the
fallback for strings it cannot lay out itself.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Optional, Sequence

import numpy as np
from matplotlib import rcParams
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.path import Path
from matplotlib.text import Text
from matplotlib.transforms import Affine2D, IdentityTransform, Transform

from ._text import blend_mask, layout_text

# Text bbox keys the fast path draws itself; anything else goes to FancyBboxPatch.
_FAST_BBOX_KEYS = {"facecolor", "fc", "edgecolor", "ec", "alpha", "pad", "linewidth", "lw",
                   "color", "fill"}


@lru_cache(maxsize=256)
def _font_properties(family: str, size: float) -> FontProperties:
    # Shared and never mutated: building one costs more than drawing a short label.
    return FontProperties(family=family, size=size)


class Canvas:
    """A W x H RGB image that matplotlib artists and numpy operations draw onto."""

    def __init__(self, image: np.ndarray, figure: Figure) -> None:
        self.height, self.width = image.shape[:2]
        self.figure = figure
        self.dpi = figure.get_dpi()
        self.renderer = RendererAgg(self.width, self.height, self.dpi)
        self.buffer = np.asarray(self.renderer.buffer_rgba())
        self.buffer[..., :3] = image
        self.buffer[..., 3] = 255
        # Image pixel coordinates (origin top left, y down) to Agg display
        # coordinates (origin bottom left), like imshow with extent (0, W, H, 0).
        self.transform = Affine2D().scale(1, -1).translate(0, self.height)

    def get_image(self) -> np.ndarray:
        return self.buffer[..., :3].copy()

    def set_pixels(self, image: np.ndarray) -> None:
        self.buffer[..., :3] = image
        self.buffer[..., 3] = 255

    def draw_artist(self, artist: Artist, transform: Optional[Transform] = None) -> None:
        """Draw one artist whose coordinates are image pixels (or ``transform``'s input)."""
        artist.set_figure(self.figure)
        artist.set_transform(self.transform if transform is None else transform)
        artist.draw(self.renderer)

    def draw_texts(
        self,
        texts: Sequence[str],
        positions: np.ndarray,
        sizes: Sequence[float],
        colors: Sequence,
        valigns: Sequence[str],
        haligns: Sequence[str],
        families: Sequence[str],
        bboxes: Sequence[Optional[dict]],
    ) -> None:
        gc = self.renderer.new_gc()  # one graphics context for every glyph blit
        for i, text in enumerate(texts):
            font_key = (families[i], float(sizes[i]))
            prop = _font_properties(*font_key)
            bbox = bboxes[i]
            x, y = float(positions[i][0]), float(positions[i][1])
            layout = None
            if bbox is None or set(bbox) <= _FAST_BBOX_KEYS:
                layout = layout_text(text, prop, self.dpi, valigns[i], haligns[i], font_key)
            if layout is None:
                self._draw_text_artist(text, x, y, prop, colors[i], valigns[i], haligns[i], bbox)
                continue
            if bbox is not None:
                self._draw_text_box(layout.box, x, y, bbox, prop.get_size_in_points())
            self._blit(layout.mask, int(round(x)) + layout.left, int(round(y)) + layout.top,
                       to_rgba(colors[i]), gc)
        gc.restore()

    def _blit(self, mask: np.ndarray, left: int, top: int, rgba: tuple, gc) -> None:
        """Blend ``rgba`` through a coverage mask; Agg's C++ blit when it has one."""
        draw = getattr(getattr(self.renderer, "_renderer", None), "draw_text_image", None)
        if draw is None or mask.size == 0:
            blend_mask(self.buffer, mask, left, top, rgba[:3], rgba[3])
            return
        gc.set_foreground(rgba, isRGBA=True)
        draw(mask, left, top + mask.shape[0], 0, gc)  # y is the mask's bottom row

    def _draw_text_artist(self, text, x, y, prop, color, valign, halign, bbox) -> None:
        artist = Text(x, y, text, color=color, verticalalignment=valign,
                      horizontalalignment=halign, fontproperties=prop, bbox=bbox)
        self.draw_artist(artist)

    def _draw_text_box(self, box: tuple, x: float, y: float, props: dict, size: float) -> None:
        """The 'square' box matplotlib's Text draws behind a label, as one Agg path."""
        pad = props.get("pad", 4) * self.dpi / 72  # points -> pixels
        x0, y0, x1, y1 = box
        fill = props.get("fill", True)
        color = props.get("color")
        face = props.get("facecolor", props.get("fc", color if color is not None else "C0"))
        edge = props.get("edgecolor", props.get("ec", color if color is not None else None))
        if edge is None:  # FancyBboxPatch draws an edge by default
            edge = rcParams["patch.edgecolor"]
        alpha = props.get("alpha")
        linewidth = props.get("linewidth", props.get("lw", rcParams["patch.linewidth"]))
        left, right = x + x0 - pad, x + x1 + pad
        top, bottom = y + y0 - pad, y + y1 + pad
        face_rgba = None
        if fill and face not in ("none", "None"):
            face_rgba = list(to_rgba(face))
            if alpha is not None:
                face_rgba[3] = alpha
        if edge in ("none", "None"):
            if face_rgba is not None:
                self._fill_rect(left, top, right, bottom, face_rgba)
            return
        corners = np.array([[left, top], [right, top], [right, bottom], [left, bottom],
                            [left, top]])
        path = Path(self.transform.transform(corners),
                    [Path.MOVETO, Path.LINETO, Path.LINETO, Path.LINETO, Path.CLOSEPOLY])
        gc = self.renderer.new_gc()
        edge_rgba = list(to_rgba(edge))
        if alpha is not None:
            edge_rgba[3] = alpha
        gc.set_foreground(edge_rgba, isRGBA=True)
        gc.set_linewidth(linewidth)
        gc.set_antialiased(True)
        self.renderer.draw_path(gc, path, IdentityTransform(), face_rgba)
        gc.restore()

    def _fill_rect(self, left: float, top: float, right: float, bottom: float,
                   rgba: Sequence[float]) -> None:
        """Fill an axis-aligned rectangle snapped to whole pixels, as Agg snaps it."""
        x0 = max(int(np.floor(left + 0.5)), 0)
        x1 = min(int(np.floor(right + 0.5)), self.width)
        y0 = max(int(np.floor(top + 0.5)), 0)
        y1 = min(int(np.floor(bottom + 0.5)), self.height)
        if x0 >= x1 or y0 >= y1 or rgba[3] <= 0:
            return
        gc = self.renderer.new_gc()
        self._blit(_solid(y1 - y0, x1 - x0), x0, y0, tuple(rgba), gc)
        gc.restore()


@lru_cache(maxsize=512)
def _solid(height: int, width: int) -> np.ndarray:
    """A full-coverage mask: a rectangle fill is a text blit of a solid block."""
    mask = np.full((height, width), 255, dtype=np.uint8)
    return mask
