"""draw_featmap: reductions, top-k grids, resizing, heatmap helper."""

import numpy as np
import pytest
import torch

from engine.visualization import Visualizer
from engine.visualization.utils import convert_overlay_heatmap

IMAGE = np.random.RandomState(0).randint(0, 256, (3, 3, 3)).astype(np.uint8)


def test_input_checks():
    with pytest.raises(AssertionError, match=r"`featmap` should be torch.Tensor, but got "
                                             r"<class 'numpy.ndarray'>"):
        Visualizer.draw_featmap(np.ones((3, 3, 3)))
    with pytest.raises(AssertionError, match="Input dimension must be 3, but got 4"):
        Visualizer.draw_featmap(torch.randn(1, 1, 3, 3))
    with pytest.raises(AssertionError, match='Mode only support "squeeze_mean", "select_max", '
                                             'but got xx'):
        Visualizer.draw_featmap(torch.randn(2, 3, 3), channel_reduction="xx")
    message = ("The input tensor channel dimension must be 1 or 3 when topk is less than 1, "
               "but the channel dimension you input is 6, you can use the channel_reduction "
               "parameter or set topk greater than 0 to solve the error")
    with pytest.raises(AssertionError) as info:
        Visualizer.draw_featmap(torch.randn(6, 3, 3), channel_reduction=None, topk=0)
    assert str(info.value) == message
    with pytest.raises(AssertionError, match="The product of row and col in the `arrangement` "
                                             "is less than topk"):
        Visualizer.draw_featmap(torch.randn(6, 3, 3), channel_reduction=None, topk=4,
                                arrangement=(1, 2))


def test_shapes_and_resizing():
    with pytest.warns(UserWarning, match="not same"):
        out = Visualizer.draw_featmap(torch.randn(1, 4, 3), overlaid_image=IMAGE)
    assert out.shape == (3, 3, 3)  # featmap resized to the image
    assert Visualizer.draw_featmap(torch.randn(1, 3, 3), resize_shape=(6, 7)).shape[:2] == (6, 7)
    with pytest.warns(UserWarning):
        out = Visualizer.draw_featmap(torch.randn(1, 4, 3), overlaid_image=IMAGE,
                                      resize_shape=(6, 7))
    assert out.shape == (6, 7, 3)
    out = Visualizer.draw_featmap(torch.randn(2, 3, 3), channel_reduction="select_max")
    assert out.shape == (3, 3, 3) and out.dtype == np.uint8
    out = Visualizer.draw_featmap(torch.randn(1, 4, 3), channel_reduction=None, topk=-1)
    assert out.shape == (4, 3, 3)
    out = Visualizer.draw_featmap(torch.randn(3, 4, 3), channel_reduction=None, topk=0)
    assert out.shape == (4, 3, 3)
    feat = torch.randn(6, 3, 3)
    assert Visualizer.draw_featmap(feat, channel_reduction=None, topk=4,
                                   arrangement=(2, 2)).shape == (6, 6, 3)
    assert Visualizer.draw_featmap(feat, channel_reduction=None, topk=4,
                                   arrangement=(1, 4)).shape == (3, 12, 3)
    # a grayscale image is accepted and the featmap follows it
    gray = np.zeros((5, 5), np.uint8)
    with pytest.warns(UserWarning):
        assert Visualizer.draw_featmap(feat, overlaid_image=gray).shape == (5, 5, 3)


def test_select_max_picks_the_strongest_channel():
    feat = torch.zeros(3, 4, 4)
    feat[1, 0, 0] = 10.0  # channel 1 has the largest sum; its hot spot is top-left
    out = Visualizer.draw_featmap(feat, channel_reduction="select_max")
    # jet: max -> dark red, min -> dark blue
    assert out[0, 0, 0] > 100 and out[0, 0, 2] < 50
    assert out[3, 3, 2] > 100 and out[3, 3, 0] < 50
    mean = Visualizer.draw_featmap(feat, channel_reduction="squeeze_mean")
    np.testing.assert_array_equal(mean, out)  # same normalised pattern


def test_topk_grid_order_labels_and_blank_cells():
    h, w = 40, 60
    feat = torch.zeros(3, h, w)
    for channel, value in enumerate((1.0, 3.0, 2.0)):
        feat[channel, : h // 2] = value  # sums rank channel 1 > 2 > 0
    grid = Visualizer.draw_featmap(feat, channel_reduction=None, topk=2, arrangement=(2, 2))
    assert grid.shape == (2 * h, 2 * w, 3)
    # second row stays blank (white): only 2 channels were asked for
    assert (grid[h:] == 255).all()
    # each tile carries a black "channel: i" label near its top-left corner
    for col in (0, 1):
        tile = grid[:h, col * w:(col + 1) * w]
        label_area = tile[2:17, 2:58]
        assert (label_area.sum(axis=2) < 150).any()


def test_overlay_blends_with_alpha():
    img = np.full((4, 4, 3), 100, np.uint8)
    feat = np.arange(16, dtype=np.float32).reshape(4, 4)
    heat = convert_overlay_heatmap(feat)
    assert heat.shape == (4, 4, 3) and heat.dtype == np.uint8
    blended = convert_overlay_heatmap(feat, img, alpha=0.25)
    expected = np.rint(img * 0.75 + heat.astype(float) * 0.25)
    np.testing.assert_allclose(blended, expected, atol=1)
    chw = convert_overlay_heatmap(feat[None])
    np.testing.assert_array_equal(chw, heat)
