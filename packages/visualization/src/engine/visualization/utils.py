"""Helpers for the Visualizer: argument checks, colours, heatmaps and image conversions.

Pure numpy/matplotlib/torch, so that drawing needs no OpenCV.
"""

from __future__ import annotations

from typing import Any, List, Optional, Tuple, Type, Union

import numpy as np
import torch
import torch.nn.functional as F
from matplotlib import colormaps
from matplotlib.colors import to_rgb


def tensor2ndarray(value: Union[np.ndarray, torch.Tensor]) -> np.ndarray:
    """A tensor as a numpy array (detached, on the CPU); anything else unchanged."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return value


def value2list(value: Any, valid_type: Union[Type, Tuple[Type, ...]], expand_dim: int) -> List:
    """Repeat a single value ``expand_dim`` times; a list is returned as is."""
    if isinstance(value, valid_type):
        return [value] * expand_dim
    return value


def check_type(name: str, value: Any, valid_type: Union[Type, Tuple[Type, ...]]) -> None:
    """Raise TypeError unless ``value`` is an instance of ``valid_type``."""
    if not isinstance(value, valid_type):
        raise TypeError(f"`{name}` should be {valid_type}  but got {type(value)}")


def check_length(name: str, value: Any, valid_length: int) -> None:
    """Assert that a list style argument covers all ``valid_length`` items."""
    if isinstance(value, list):
        if len(value) < valid_length:
            raise AssertionError(
                f"The length of {name} must equal with or greater than {valid_length}, "
                f"but got {len(value)}"
            )


def check_type_and_length(
    name: str, value: Any, valid_type: Union[Type, Tuple[Type, ...]], valid_length: int
) -> None:
    """Type check, then length check for list values."""
    check_type(name, value, valid_type)
    check_length(name, value, valid_length)


def _check_rgb_tuple(color: tuple) -> None:
    if len(color) != 3:
        raise AssertionError(f"The length of color tuple must be 3 (RGB), but got {color!r}")
    for channel in color:
        if not 0 <= channel <= 255:
            raise AssertionError(f"Each RGB channel must be in [0, 255], but got {color!r}")


def color_val_matplotlib(colors: Union[str, tuple, List]) -> Union[str, tuple, List]:
    """Colours for matplotlib: str as is, RGB tuples in 0..255 scaled to 0..1, lists per item."""
    if isinstance(colors, str):
        return colors
    if isinstance(colors, tuple):
        _check_rgb_tuple(colors)
        return tuple(channel / 255 for channel in colors)
    if isinstance(colors, list):
        return [color_val_matplotlib(color) for color in colors]
    raise TypeError(f"Invalid type for color: {type(colors)}")


def color_str2rgb(color: str) -> tuple:
    """A matplotlib colour name as an RGB tuple in 0..255 (``'g'`` -> ``(0, 127, 0)``)."""
    return tuple(int(channel * 255) for channel in to_rgb(color))


def _normalize_uint8(values: np.ndarray) -> np.ndarray:
    """Min-max scale to 0..255 uint8 (a constant map becomes all zeros)."""
    values = values.astype(np.float64)
    low, high = values.min(), values.max()
    if high > low:
        values = (values - low) * (255.0 / (high - low))
    else:
        values = np.zeros_like(values)
    return np.clip(np.rint(values), 0, 255).astype(np.uint8)


_JET_LUT = (colormaps["jet"](np.arange(256))[:, :3] * 255).round().astype(np.uint8)


def blend_images(img: np.ndarray, overlay: np.ndarray, alpha: float) -> np.ndarray:
    """``(1 - alpha) * img + alpha * overlay`` rounded and saturated to uint8."""
    mixed = img.astype(np.float32) * (1 - alpha) + overlay.astype(np.float32) * alpha
    return np.clip(np.rint(mixed), 0, 255).astype(np.uint8)


def convert_overlay_heatmap(
    feat_map: Union[np.ndarray, torch.Tensor], img: Optional[np.ndarray] = None, alpha: float = 0.5
) -> np.ndarray:
    """A feature map as an RGB jet heatmap, blended onto ``img`` when given.

    Accepts (H, W) or (1|3, H, W); a CHW input is transposed to HWC first.
    """
    assert feat_map.ndim == 2 or (feat_map.ndim == 3 and feat_map.shape[0] in (1, 3)), (
        f"`feat_map` should have shape (H, W) or (1|3, H, W), but got {tuple(feat_map.shape)}")
    feat_map = tensor2ndarray(feat_map)
    if feat_map.ndim == 3:
        feat_map = feat_map.transpose(1, 2, 0)
        if feat_map.shape[2] == 1:
            feat_map = feat_map[..., 0]
    levels = _normalize_uint8(feat_map)
    if levels.ndim == 3:  # a 3-channel map is coloured by its luminance, read as BGR
        gray = levels.astype(np.float32) @ np.array([0.114, 0.587, 0.299], np.float32)
        levels = np.clip(np.rint(gray), 0, 255).astype(np.uint8)
    heat = _JET_LUT[levels]
    if img is not None:
        heat = blend_images(img, heat, alpha)
    return heat


def resize_image(img: np.ndarray, shape: Tuple[int, int]) -> np.ndarray:
    """Bilinear resize of an (H, W[, C]) uint8 image to ``shape`` = (h, w)."""
    tensor = torch.from_numpy(np.ascontiguousarray(img)).float()
    gray = tensor.ndim == 2
    tensor = tensor[None, None] if gray else tensor.permute(2, 0, 1)[None]
    out = F.interpolate(tensor, size=tuple(shape), mode="bilinear", align_corners=False)[0]
    out = out[0] if gray else out.permute(1, 2, 0)
    return out.round().clamp(0, 255).to(torch.uint8).numpy()


def img_from_canvas(canvas: Any) -> np.ndarray:
    """RGB uint8 image from a matplotlib Agg canvas (RGBA buffer, alpha dropped)."""
    buffer, (width, height) = canvas.print_to_buffer()
    rgba = np.frombuffer(buffer, dtype=np.uint8).reshape(height, width, 4)
    return rgba[..., :3].copy()


def wait_continue(figure: Any, timeout: float = 0, continue_key: str = " ") -> int:
    """Block until a key press, a timeout or the window closing.

    Returns 1 if the window was closed, 0 after a timeout or ``continue_key``.
    """
    import matplotlib.pyplot as plt

    if "inline" in plt.get_backend():
        return 0
    closed = False
    pressed = {}

    def on_close(event: Any) -> None:
        nonlocal closed
        closed = True

    def on_key(event: Any) -> None:
        pressed["key"] = event.key

    cid_close = figure.canvas.mpl_connect("close_event", on_close)
    cid_key = figure.canvas.mpl_connect("key_press_event", on_key)
    try:
        while True:
            pressed.clear()
            figure.canvas.start_event_loop(timeout if timeout > 0 else -1)
            if closed:
                return 1
            if not pressed or pressed.get("key") == continue_key:
                return 0
    finally:
        figure.canvas.mpl_disconnect(cid_close)
        figure.canvas.mpl_disconnect(cid_key)
