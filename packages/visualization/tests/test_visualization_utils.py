"""Helpers in engine.visualization.utils."""

import numpy as np
import pytest
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from engine.visualization.utils import (
    check_length,
    check_type,
    check_type_and_length,
    color_str2rgb,
    color_val_matplotlib,
    img_from_canvas,
    resize_image,
    tensor2ndarray,
    value2list,
)


def test_argument_helpers():
    array = tensor2ndarray(torch.ones(2, requires_grad=True))
    assert isinstance(array, np.ndarray) and array.tolist() == [1.0, 1.0]
    assert tensor2ndarray([1]) == [1]
    assert value2list("r", str, 3) == ["r", "r", "r"]
    assert value2list(["r", "g"], str, 3) == ["r", "g"]
    check_type("x", 1, int)
    with pytest.raises(TypeError, match="`x` should be <class 'str'>  but got <class 'int'>"):
        check_type("x", 1, str)
    check_length("colors", "r", 5)  # a single value covers every item
    with pytest.raises(AssertionError, match="The length of colors must equal with or greater "
                                             "than 3, but got 2"):
        check_length("colors", ["r", "g"], 3)
    with pytest.raises(TypeError):
        check_type_and_length("sizes", "b", (int, list), 1)


def test_colour_helpers():
    assert color_val_matplotlib("g") == "g"
    assert color_val_matplotlib((255, 0, 51)) == (1.0, 0.0, 0.2)
    assert color_val_matplotlib(["r", (0, 255, 0)]) == ["r", (0.0, 1.0, 0.0)]
    with pytest.raises(AssertionError):
        color_val_matplotlib((1, 2))
    with pytest.raises(AssertionError):
        color_val_matplotlib((0, 0, 256))
    with pytest.raises(TypeError, match="Invalid type for color"):
        color_val_matplotlib(np.array([1, 2, 3]))
    assert color_str2rgb("g") == (0, 127, 0)
    assert color_str2rgb("r") == (255, 0, 0)


def test_image_helpers():
    fig = Figure(figsize=(0.5, 0.3), dpi=100, facecolor=(1.0, 0.0, 0.0))
    image = img_from_canvas(FigureCanvasAgg(fig))
    assert image.shape == (30, 50, 3) and image.dtype == np.uint8
    assert (image == (255, 0, 0)).all()
    ramp = np.tile(np.arange(0, 256, 32, dtype=np.uint8)[None, :, None], (4, 1, 3))
    resized = resize_image(ramp, (8, 16))
    assert resized.shape == (8, 16, 3) and resized.dtype == np.uint8
    assert (np.diff(resized[0, :, 0].astype(int)) >= 0).all()  # still a ramp
    assert resize_image(ramp[..., 0], (2, 4)).shape == (2, 4)
