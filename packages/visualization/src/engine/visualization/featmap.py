"""Feature-map heatmaps and top-k channel grids for ``Visualizer.draw_featmap``.

The grid is assembled in numpy (tiles side by side, white where no channel is
left) and labelled with the cached-glyph text renderer, so no figure is built.
"""

from __future__ import annotations

import warnings
from typing import Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.font_manager import FontProperties

from ._text import blend_mask, layout_text
from .utils import convert_overlay_heatmap, resize_image

_MODES = ("squeeze_mean", "select_max")
_LABEL_DPI = 100.0


def _label(tile: np.ndarray, text: str) -> None:
    """Write ``text`` at (2, 15) (left, baseline), font size 10, black, like a subplot label."""
    layout = layout_text(text, FontProperties(size=10), _LABEL_DPI, "baseline", "left")
    if layout is not None:
        blend_mask(tile, layout.mask, 2 + layout.left, 15 + layout.top, (0.0, 0.0, 0.0), 1.0)


def draw_featmap(
    featmap: torch.Tensor,
    overlaid_image: Optional[np.ndarray] = None,
    channel_reduction: Optional[str] = "squeeze_mean",
    topk: int = 20,
    arrangement: Tuple[int, int] = (4, 5),
    resize_shape: Optional[tuple] = None,
    alpha: float = 0.5,
) -> np.ndarray:
    """Render a (C, H, W) feature map; see ``Visualizer.draw_featmap``."""
    assert isinstance(featmap, torch.Tensor), (
        f"`featmap` should be torch.Tensor, but got {type(featmap)}")
    assert featmap.ndim == 3, f"Input dimension must be 3, but got {featmap.ndim}"
    featmap = featmap.detach().cpu().float()

    if overlaid_image is not None:
        overlaid_image = np.asarray(overlaid_image)
        if overlaid_image.ndim == 2:
            overlaid_image = np.repeat(overlaid_image[..., None], 3, axis=2)
        overlaid_image = overlaid_image[..., :3].astype(np.uint8)
        if overlaid_image.shape[:2] != tuple(featmap.shape[1:]):
            warnings.warn(
                f"Since the spatial dimensions of overlaid_image: {overlaid_image.shape[:2]} "
                f"and featmap: {tuple(featmap.shape[1:])} are not same, the feature map will "
                "be interpolated. This may cause mismatch problems !",
                UserWarning,
                stacklevel=3,
            )
            if resize_shape is None:
                featmap = F.interpolate(featmap[None], overlaid_image.shape[:2],
                                        mode="bilinear", align_corners=False)[0]
    if resize_shape is not None:
        featmap = F.interpolate(featmap[None], tuple(resize_shape), mode="bilinear",
                                align_corners=False)[0]
        if overlaid_image is not None:
            overlaid_image = resize_image(overlaid_image, tuple(resize_shape))

    if channel_reduction is not None:
        assert channel_reduction in _MODES, (
            f'Mode only support "squeeze_mean", "select_max", but got {channel_reduction}')
        if channel_reduction == "select_max":
            index = int(torch.argmax(featmap.sum(dim=(1, 2))))
            reduced = featmap[index]
        else:
            reduced = featmap.mean(dim=0)
        return convert_overlay_heatmap(reduced.numpy(), overlaid_image, alpha)

    if topk <= 0:
        channels = featmap.shape[0]
        assert channels in (1, 3), (
            "The input tensor channel dimension must be 1 or 3 when topk is less than 1, "
            f"but the channel dimension you input is {channels}, you can use the "
            "channel_reduction parameter or set topk greater than 0 to solve the error")
        return convert_overlay_heatmap(featmap.numpy(), overlaid_image, alpha)

    rows, cols = arrangement
    assert rows * cols >= topk, (
        "The product of row and col in the `arrangement` is less than topk, please set "
        "the `arrangement` correctly")
    topk = min(featmap.shape[0], topk)
    _, indices = torch.topk(featmap.sum(dim=(1, 2)), topk)
    height, width = featmap.shape[1:]
    grid = np.full((height * rows, width * cols, 3), 255, dtype=np.uint8)
    for i, index in enumerate(indices.tolist()):
        row, col = divmod(i, cols)
        tile = grid[row * height:(row + 1) * height, col * width:(col + 1) * width]
        tile[...] = convert_overlay_heatmap(featmap[index].numpy(), overlaid_image, alpha)
        _label(tile, f"channel: {index}")
    return grid
