"""Drawing on the Visualizer: round trip, pixel checks, argument validation."""

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties

from engine.visualization import ImageNotSetError, Visualizer
from engine.visualization._canvas import Canvas

GREEN = np.array([0, 128, 0])


def make_vis(h=60, w=80, value=255):
    with pytest.warns(UserWarning, match="save_dir is None"):
        vis = Visualizer(image=np.full((h, w, 3), value, np.uint8))
    return vis


def test_round_trip_and_image_errors():
    img = np.random.randint(0, 256, (10, 12, 3)).astype("uint8")
    with pytest.warns(UserWarning, match=r"`Visualizer` backend is not initialized because "
                                         r"save_dir is None\."):
        vis = Visualizer(image=img)
    out = vis.get_image()
    assert out.shape == (10, 12, 3) and out.dtype == np.uint8
    np.testing.assert_array_equal(out, img)
    assert (vis.width, vis.height) == (12, 10)
    with pytest.raises(AssertionError):
        vis.set_image(None)
    with pytest.warns(UserWarning):
        empty = Visualizer()
    with pytest.raises(ImageNotSetError, match="set_image"):
        empty.get_image()
    with pytest.raises(AttributeError):
        empty.draw_bboxes(torch.tensor([1, 1, 2, 2]))
    # set_image resets earlier drawings; float input is cast to uint8
    vis.draw_bboxes(np.array([1, 1, 8, 8]), face_colors="r", alpha=1.0)
    vis.set_image(img.astype(np.float64))
    np.testing.assert_array_equal(vis.get_image(), img)


def test_default_font_size_follows_image_size():
    vis = make_vis(480, 640)
    assert vis._default_font_size == 10
    vis.set_image(np.zeros((2000, 2000, 3), np.uint8))
    assert vis._default_font_size == 2000 // 90


def test_bbox_edges_take_colour_interior_untouched():
    vis = make_vis()
    vis.draw_bboxes(np.array([20, 10, 60, 50]), edge_colors=(255, 0, 0), line_widths=2,
                    alpha=1.0)
    img = vis.get_image().astype(int)
    # edges: the centre of each side is pure red
    for y, x in ((10, 40), (50, 40), (30, 20), (30, 60)):
        assert tuple(img[y, x]) == (255, 0, 0), (y, x, img[y, x])
    # interior and outside untouched
    assert (img[15:46, 25:56] == 255).all()
    assert (img[:5] == 255).all() and (img[:, :15] == 255).all()


def test_filled_bbox_and_alpha_blending():
    vis = make_vis(value=0)
    vis.draw_bboxes(torch.tensor([[10.0, 10.0, 50.0, 40.0]]), edge_colors="none",
                    face_colors=(0, 0, 255), alpha=0.5)
    img = vis.get_image().astype(int)
    # 0.5 * blue over black: 127 or 128 depending on rounding
    assert abs(img[25, 30, 2] - 127.5) <= 1 and img[25, 30, 0] == 0
    assert (img[0:5, 0:5] == 0).all()


def test_default_green_edges_with_alpha():
    vis = make_vis(value=0)
    vis.draw_bboxes(np.array([10, 10, 50, 50]))  # 'g', alpha 0.8 over black
    pixel = vis.get_image()[10, 30].astype(int)
    assert pixel[0] == 0 and pixel[2] == 0 and abs(pixel[1] - 0.8 * 128) <= 2


def test_binary_mask_alpha_maths():
    img = np.random.RandomState(0).randint(0, 256, (20, 30, 3)).astype(np.uint8)
    with pytest.warns(UserWarning):
        vis = Visualizer(image=img)
    mask = np.zeros((20, 30), bool)
    mask[5:15, 10:20] = True
    vis.draw_binary_masks(mask, colors=(200, 100, 0), alphas=0.3)
    out = vis.get_image().astype(float)
    expected = np.rint(img[mask] * 0.7 + np.array([200, 100, 0]) * 0.3)
    np.testing.assert_allclose(out[mask], expected, atol=1)
    np.testing.assert_array_equal(out[~mask], img[~mask])
    # two masks with a str colour ('g' -> (0, 127, 0)) and an int alpha
    vis.set_image(np.zeros_like(img))
    masks = torch.zeros((2, 20, 30), dtype=torch.bool)
    masks[0, :10] = True
    masks[1, 10:] = True
    vis.draw_binary_masks(masks, colors=["g", (255, 0, 0)], alphas=[1, 0.5])
    out = vis.get_image().astype(int)
    assert tuple(out[0, 0]) == (0, 127, 0)
    assert abs(out[15, 0, 0] - 127.5) <= 1 and out[15, 0, 1] == 0


def test_binary_mask_validation():
    vis = make_vis(10, 10)
    with pytest.raises(AssertionError, match="np.bool_"):
        vis.draw_binary_masks(np.random.randint(0, 2, (10, 10)))
    with pytest.raises(AssertionError):
        vis.draw_binary_masks(np.ones((8, 10), bool))
    with pytest.raises(AssertionError):
        vis.draw_binary_masks(np.ones((10, 10, 3), bool))
    with pytest.raises(AssertionError):
        vis.draw_binary_masks(np.ones((10, 10), bool), colors=(0, 300, 0))
    with pytest.raises(AssertionError, match="length of colors"):
        vis.draw_binary_masks(np.ones((2, 10, 10), bool), colors=["r"])
    with pytest.raises(TypeError):
        vis.draw_binary_masks([[True]])


def test_lines_points_circles_polygons_pixels():
    vis = make_vis(value=0)
    vis.draw_lines(np.array([5, 70]), np.array([30, 30]), colors=(255, 255, 255),
                   line_widths=3)
    img = vis.get_image()
    assert (img[30, 10:65] > 200).all() and (img[20] == 0).all()

    vis.set_image(np.zeros((60, 80, 3), np.uint8))
    vis.draw_points(torch.tensor([[40.0, 30.0]]), colors="r", sizes=np.array([100]))
    img = vis.get_image()
    assert tuple(img[30, 40]) == (255, 0, 0) and (img[0:10, 0:10] == 0).all()

    vis.set_image(np.zeros((60, 80, 3), np.uint8))
    vis.draw_circles(np.array([40, 30]), np.array([20]), edge_colors=(255, 255, 255),
                     alpha=1.0)
    img = vis.get_image()
    assert img[10, 40].max() > 200 and img[30, 60].max() > 200  # on the circle
    assert (img[25:35, 35:45] == 0).all()  # centre untouched

    vis.set_image(np.zeros((60, 80, 3), np.uint8))
    # flat (x1, y1, ..., xn, yn) and a list mixing numpy and torch
    vis.draw_polygons(np.array([10, 10, 70, 10, 70, 50]), face_colors=(0, 0, 255), alpha=1.0)
    vis.draw_polygons([np.array([[0, 55], [5, 55], [5, 59]]), torch.tensor([[75, 0], [79, 0],
                                                                             [79, 5]])])
    img = vis.get_image()
    assert tuple(img[15, 60]) == (0, 0, 255)  # inside the triangle
    assert (img[45, 15] == 0).all()  # outside it


def test_texts_render_at_anchor_in_colour_and_match_matplotlib():
    vis = make_vis(60, 160)
    vis.draw_texts("Hello", torch.tensor([10, 10]), colors="b", font_sizes=14)
    img = vis.get_image().astype(int)
    ink = (255 - img).sum(axis=2) > 100
    ys, xs = np.nonzero(ink)
    assert xs.min() >= 9 and ys.min() >= 9 and xs.max() < 80 and ys.max() < 40
    darkest = img[ys, xs][np.argmax((255 - img[ys, xs]).sum(1))]
    assert darkest[2] > 200 and darkest[0] < 60  # blue
    # the fast path agrees with matplotlib's Text artist to within a pixel
    fig = Figure(frameon=False)
    for text, va, ha in (("person 0.87", "top", "left"), ("Two\nlines gy", "center", "center"),
                         ("AVA Tqg", "bottom", "right"), ("base", "baseline", "left")):
        base = np.full((80, 200, 3), 255, np.uint8)
        fast, ref = Canvas(base, fig), Canvas(base, fig)
        fast.draw_texts([text], np.array([[100.0, 40.0]]), [12], ["k"], [va], [ha],
                        ["sans-serif"], [None])
        ref._draw_text_artist(text, 100.0, 40.0, FontProperties(family="sans-serif", size=12),
                              "k", va, ha, None)
        a = 255.0 - fast.get_image().sum(2)
        b = 255.0 - ref.get_image().sum(2)
        assert abs(a.sum() - b.sum()) / b.sum() < 0.02
        for axis in (0, 1):
            grid = np.arange(a.shape[1 - axis])
            ca = (a.sum(axis) * grid).sum() / a.sum()
            cb = (b.sum(axis) * grid).sum() / b.sum()
            assert abs(ca - cb) < 1.0, (text, axis, ca, cb)


def test_text_boxes_match_matplotlib_fancybbox():
    fig = Figure(frameon=False)
    base = np.random.RandomState(2).randint(0, 256, (60, 160, 3)).astype(np.uint8)
    for box in (dict(facecolor="black", alpha=0.8, pad=0.7, edgecolor="none"),
                dict(facecolor="y", edgecolor="r", linewidth=2),
                dict(fc=(0.2, 0.4, 0.6), pad=3)):
        fast, ref = Canvas(base, fig), Canvas(base, fig)
        args = (["label 0.93"], np.array([[20.0, 15.0]]), [11], ["w"], ["top"], ["left"],
                ["sans-serif"], [box])
        fast.draw_texts(*args)
        ref._draw_text_artist("label 0.93", 20.0, 15.0,
                              FontProperties(family="sans-serif", size=11), "w", "top", "left",
                              dict(box))
        diff = np.abs(fast.get_image().astype(int) - ref.get_image().astype(int))
        assert diff.mean() < 5.0, (box, diff.mean())  # edges may shift by a pixel
        changed = np.nonzero((ref.get_image() != base).any(axis=2))
        changed_fast = np.nonzero((fast.get_image() != base).any(axis=2))
        for axis in (0, 1):  # same box extent, to a pixel
            assert abs(changed[axis].min() - changed_fast[axis].min()) <= 1
            assert abs(changed[axis].max() - changed_fast[axis].max()) <= 1


def test_texts_with_boxes_and_fallback_paths():
    vis = make_vis(60, 200)
    vis.draw_texts(["ab", "$x^2$"], np.array([[10, 10], [100, 10]]), colors=["w", "k"],
                   bboxes=[dict(facecolor="black", alpha=1.0, pad=2), dict(facecolor="r")])
    img = vis.get_image()
    assert tuple(img[12, 9]) == (0, 0, 0)  # inside the black label box, left of the text
    assert (img[10:25, 95:140] == (255, 0, 0)).all(axis=2).any()  # red box via the artist
    # rounded box styles go through FancyBboxPatch
    vis.draw_texts("c", np.array([150, 30]), bboxes=dict(boxstyle="round", facecolor="b"))
    assert (vis.get_image()[20:45, 140:175] == (0, 0, 255)).all(axis=2).any()


def test_chaining_and_validation_errors():
    vis = make_vis(10, 10)
    assert vis.draw_bboxes(torch.tensor([1, 1, 2, 2])) is vis
    chained = (vis.draw_texts("t", torch.tensor([5, 5]))
               .draw_lines(torch.tensor([1, 5]), torch.tensor([2, 6]))
               .draw_circles(torch.tensor([3, 5]), torch.tensor([2]))
               .draw_polygons(torch.tensor([[1, 1], [2, 2], [3, 4]]))
               .draw_points(np.array([[1, 1]]))
               .draw_binary_masks(np.ones((10, 10), bool)))
    assert chained is vis
    assert vis.draw_bboxes(torch.tensor([1, 1, 1, 2])) is vis  # degenerate box allowed
    with pytest.raises(AssertionError):
        vis.draw_bboxes(torch.tensor([5, 1, 2, 2]))
    with pytest.raises(AssertionError, match=r"\(N, 4\)"):
        vis.draw_bboxes(torch.tensor([1, 1, 2]))
    with pytest.raises(TypeError, match="`bboxes` should be"):
        vis.draw_bboxes([1, 1, 2, 2])
    with pytest.warns(UserWarning, match="Warning: The bbox is out of bounds, the drawn bbox "
                                         "may not be in the image"):
        vis.draw_bboxes(torch.tensor([1, 1, 20, 2]))
    with pytest.raises(AssertionError, match=r"The shape of `positions` should be \(N, 2\)"):
        vis.draw_points(positions=np.array([1, 2, 3]))
    with pytest.raises(AssertionError):
        vis.draw_texts(["a", "b"], torch.tensor([5, 5]))
    with pytest.raises(AssertionError):
        vis.draw_texts("a", torch.tensor([[5, 5], [3, 3]]))
    with pytest.raises(AssertionError, match="The length of colors must equal with or greater "
                                             "than 2, but got 1"):
        vis.draw_texts(["a", "b"], torch.tensor([[5, 5], [3, 3]]), colors=["r"])
    with pytest.raises(TypeError):
        vis.draw_texts("a", torch.tensor([5, 5]), font_sizes="b")
    with pytest.raises(AssertionError):
        vis.draw_texts("a", torch.tensor([5, 5]), vertical_alignments="middle")
    with pytest.raises(AssertionError):
        vis.draw_texts("a", torch.tensor([5, 5]), font_families="comic")
    with pytest.raises(TypeError, match="`colors` should be"):
        vis.draw_texts("a", torch.tensor([5, 5]), colors=3)
    with pytest.raises(TypeError, match="`edge_colors` should be"):
        vis.draw_bboxes(torch.tensor([1, 1, 2, 2]), edge_colors=3)
    with pytest.raises(AssertionError):
        vis.draw_texts("a", torch.tensor([5, 5]), colors=(0, 0, 256))
    with pytest.raises(TypeError):
        vis.draw_circles(np.array([1, 5]), radius=10)
    with pytest.raises(AssertionError):
        vis.draw_circles(np.array([[1, 5], [2, 2]]), radius=np.array([1]))
    with pytest.raises(AssertionError):
        vis.draw_lines(np.array([1, 2]), np.array([[1, 2], [3, 4]]))
    with pytest.raises(AssertionError):
        vis.draw_polygons(np.array([[1, 2, 3]]))
    with pytest.raises(TypeError):
        vis.draw_polygons("poly")
    two_boxes = torch.tensor([[1, 1, 2, 2], [3, 3, 4, 4]])
    with pytest.raises(AssertionError, match="The length of edge_colors must equal with or "
                                             "greater than 2, but got 1"):
        vis.draw_bboxes(two_boxes, edge_colors=["r"])
    with pytest.raises(AssertionError, match="line_widths"):
        vis.draw_bboxes(two_boxes, line_widths=[1])
    with pytest.raises(TypeError, match="line_widths"):
        vis.draw_bboxes(two_boxes, line_widths="2")
    with pytest.raises(AssertionError, match="line_styles"):
        vis.draw_lines(np.array([[1, 2], [3, 4]]), np.array([[1, 2], [3, 4]]), line_styles=["-"])
    with pytest.raises(AssertionError, match="face_colors"):
        vis.draw_circles(np.array([[3, 3], [5, 5]]), np.array([1, 1]), face_colors=["r"])
    assert vis.draw_bboxes(two_boxes, edge_colors=["r", (0, 0, 255)], line_widths=[1, 3]) is vis
    with pytest.warns(UserWarning, match="The text is out of bounds"):
        vis.draw_texts("far", np.array([50, 50]))
    with pytest.warns(UserWarning, match="The line is out of bounds"):
        vis.draw_lines(np.array([1, 50]), np.array([1, 2]))
    with pytest.warns(UserWarning, match="The circle is out of bounds"):
        vis.draw_circles(np.array([1, 1]), np.array([5]))
    with pytest.warns(UserWarning, match="The polygon is out of bounds"):
        vis.draw_polygons(np.array([[1, 1], [30, 1], [1, 5]]))


def test_show_without_display_warns_and_returns():
    import matplotlib

    matplotlib.use("Agg")  # what a headless machine has; never open a window in tests
    vis = make_vis(10, 10)
    with pytest.warns(UserWarning, match="no display"):
        assert vis.show(wait_time=1) is None


def test_dataset_meta():
    vis = make_vis(10, 10)
    assert vis.dataset_meta is None
    vis.dataset_meta = {"class": "cat"}
    assert vis.dataset_meta["class"] == "cat"


def test_fast_text_path_scope():
    from engine.visualization._text import layout_text

    prop = FontProperties(family="sans-serif", size=10)
    for text in ("person 0.87", "Ωψ Жж é", "two\nlines", "  spaced  "):
        assert layout_text(text, prop, 100.0) is not None, text
    # math text and scripts needing shaping go to matplotlib's Text artist
    for text in ("$x^2$", "مرحبا", "e\u0301"):
        assert layout_text(text, prop, 100.0) is None, text
    vis = make_vis(40, 120, value=0)
    vis.draw_texts("$x^2$ مرحبا", np.array([5, 5]), colors="w")
    assert vis.get_image().max() > 200  # drawn through the fallback
