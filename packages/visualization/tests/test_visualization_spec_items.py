"""engine.visualization: items and seed examples not covered elsewhere."""

import json
import os
import sys
import uuid
import warnings

import numpy as np
import pytest
import torch
from PIL import Image

from engine.config import Config
from engine.registry import VISBACKENDS, VISUALIZERS
from engine.visualization import (
    BaseVisBackend,
    LocalVisBackend,
    TensorboardVisBackend,
    Visualizer,
    WandbVisBackend,
)
from engine.visualization import utils as vis_utils


def unique(prefix):
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


@pytest.fixture
def image():
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (240, 320, 3)).astype(np.uint8)


@pytest.fixture(autouse=True)
def in_tmp_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the seed's examples write to a relative 'temp_dir'


def quiet_visualizer(**kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # no save_dir: "backend is not initialized"
        return Visualizer(**kwargs)


def show_without_display(visualizer, *args):
    # under Agg there is no window: show() warns and returns at once instead of blocking
    with pytest.warns(UserWarning, match="cannot open a window"):
        assert visualizer.show(*args) is None


# ---------------------------------------------------------------- seed §15.1-15.3, §48


def test_seed_15_1_drawing_examples(image):
    visualizer = quiet_visualizer(image=image)
    visualizer.draw_bboxes(torch.tensor([72, 13, 179, 147]))
    visualizer.draw_bboxes(torch.tensor([[33, 120, 209, 220], [72, 13, 179, 147]]))
    drawn = visualizer.get_image()
    assert drawn.shape == image.shape and drawn.dtype == np.uint8
    assert (drawn != image).any()
    show_without_display(visualizer)

    visualizer.set_image(image=image)
    assert (visualizer.get_image() == image).all()  # set_image resets earlier drawings
    visualizer.draw_texts("cat and dog", torch.tensor([10, 20]))
    visualizer.set_image(image=image)
    visualizer.draw_bboxes(torch.tensor([72, 13, 179, 147]), edge_colors="r", line_widths=3)
    visualizer.draw_bboxes(torch.tensor([[33, 120, 209, 220]]), line_styles="--")
    visualizer.set_image(image=image)
    visualizer.draw_bboxes(torch.tensor([[33, 120, 209, 220], [72, 13, 179, 147]]))
    chained = visualizer.draw_texts("cat and dog", torch.tensor([10, 20])).draw_circles(
        torch.tensor([40, 50]), torch.tensor([20]))
    assert chained is visualizer


def test_seed_15_2_featmap_examples(image):
    feat = torch.rand(16, 7, 7)
    visualizer = quiet_visualizer()
    drawn = visualizer.draw_featmap(feat, channel_reduction="select_max")
    assert drawn.shape == (7, 7, 3) and drawn.dtype == np.uint8
    show_without_display(visualizer, drawn)
    with pytest.warns(UserWarning, match="will be interpolated"):
        drawn = visualizer.draw_featmap(feat, image, channel_reduction="select_max")
    assert drawn.shape == image.shape
    with pytest.warns(UserWarning, match="will be interpolated"):
        drawn = visualizer.draw_featmap(feat, image, channel_reduction=None, topk=5,
                                        arrangement=(2, 3))
    assert drawn.shape == (240 * 2, 320 * 3, 3)
    with pytest.warns(UserWarning, match="will be interpolated"):
        drawn = visualizer.draw_featmap(feat, image, channel_reduction=None, topk=5,
                                        arrangement=(4, 2))
    assert drawn.shape == (240 * 4, 320 * 2, 3)


def test_seed_15_3_storage_examples(image):
    visualizer = Visualizer(name=unique("v"), image=image,
                            vis_backends=[dict(type="LocalVisBackend")], save_dir="temp_dir")
    visualizer.draw_bboxes(torch.tensor([[33, 120, 209, 220], [72, 13, 179, 147]]))
    visualizer.draw_texts("cat and dog", torch.tensor([10, 20]))
    visualizer.draw_circles(torch.tensor([40, 50]), torch.tensor([20]))
    visualizer.add_image("demo", visualizer.get_image())
    visualizer.add_image("demo", visualizer.get_image(), step=1)
    visualizer.add_image("demo", visualizer.get_image(), step=3)
    for step in (0, 1, 3):
        saved = np.asarray(Image.open(f"temp_dir/vis_data/vis_image/demo_{step}.png"))
        assert (saved == visualizer.get_image()).all()  # RGB on disk, colours intact

    with pytest.warns(UserWarning, match="will be interpolated"):
        drawn = visualizer.draw_featmap(torch.rand(8, 7, 7), image, channel_reduction=None,
                                        topk=5, arrangement=(2, 3))
    visualizer.add_image("feat", drawn)
    assert os.path.isfile("temp_dir/vis_data/vis_image/feat_0.png")

    visualizer.add_scalar("loss", 0.2, step=0)
    visualizer.add_scalar("loss", 0.1, step=1)
    visualizer.add_scalar("acc", 0.7, step=0)
    visualizer.add_scalar("acc", 0.8, step=1)
    visualizer.add_scalars({"loss": 0.3, "acc": 0.8}, step=3)
    cfg = Config(dict(a=1, b=dict(b1=[0, 1])))
    visualizer.add_config(cfg)
    visualizer.close()
    with open("temp_dir/vis_data/scalars.json") as f:
        assert f.read() == (
            '{"loss": 0.2, "step": 0}\n{"loss": 0.1, "step": 1}\n{"acc": 0.7, "step": 0}\n'
            '{"acc": 0.8, "step": 1}\n{"loss": 0.3, "acc": 0.8, "step": 3}\n')
    assert Config.fromfile("temp_dir/vis_data/config.py").b.b1 == [0, 1]


def test_seed_48_visualizer_examples_with_the_typos_errata_6_names():
    image = np.random.randint(0, 256, size=(10, 10, 3)).astype(np.uint8)
    vis = quiet_visualizer(image=image)
    vis.draw_bboxes(np.array([0, 0, 1, 1]), edge_colors="g")
    vis.draw_bboxes(np.array([[1, 1, 2, 2], [2, 2, 3, 3]]), edge_colors=["g", "r"])
    vis.draw_lines(x_datas=np.array([1, 3]), y_datas=np.array([1, 3]), colors="r",
                   line_widths=1)
    vis.draw_lines(x_datas=np.array([[1, 3], [2, 4]]), y_datas=np.array([[1, 3], [2, 4]]),
                   colors=["r", "r"], line_widths=[1, 2])
    vis.draw_texts("MMEEngine", positions=np.array([2, 2]), colors="b")
    vis.draw_texts(["MMEEngine", "OpenMMLab"], positions=np.array([[2, 2], [5, 5]]),
                   colors=["b", "b"])
    vis.draw_circles(np.array([2, 2]), radius=np.array([1]))
    vis.draw_circles(np.array([[2, 2], [3, 5]]), radius=np.array([1, 2]),
                     edge_colors=["g", "r"])
    # flat (x1, y1, ..., xn, yn) polygons, as the examples write them (VIS-16 rec)
    vis.draw_polygons(np.array([0, 0, 1, 0, 1, 1, 0, 1]), edge_colors="g")
    vis.draw_polygons([np.array([0, 0, 1, 0, 1, 1, 0, 1]), np.array([2, 2, 3, 2, 3, 3, 2, 3])],
                      edge_colors=["g", "r"])
    vis.draw_binary_masks(np.ones((10, 10), bool), alphas=0.6)

    vis = Visualizer(name=unique("v"), vis_backends=[dict(type="LocalVisBackend")],
                     save_dir="temp_dir")
    vis.add_config(Config(dict(a=1, b=dict(b1=[0, 1]))))
    vis.add_image("image", image)
    vis.add_scaler("mAP", 0.6)  # the manual's spelling of add_scalar
    vis.add_scalars({"loss": 0.1, "acc": 0.8})
    vis.close()
    with open("temp_dir/vis_data/scalars.json") as f:
        lines = [json.loads(line) for line in f]
    assert lines == [{"mAP": 0.6, "step": 0}, {"loss": 0.1, "acc": 0.8, "step": 0}]


def test_seed_48_local_backend_example():
    local_vis_backend = LocalVisBackend(save_dir="temp_dir")
    img = np.random.randint(0, 256, size=(10, 10, 3))
    with pytest.raises(AssertionError, match="uint8"):  # VBK-05: int64 pixels are refused
        local_vis_backend.add_image("img", img)
    local_vis_backend.add_image("img", img.astype(np.uint8))
    local_vis_backend.add_scaler("mAP", 0.6)
    local_vis_backend.add_scalars({"loss": [1, 2, 3], "acc": 0.8})
    local_vis_backend.add_config(Config(dict(a=1, b=dict(b1=[0, 1]))))
    local_vis_backend.close()
    with open("temp_dir/scalars.json") as f:
        assert f.read() == ('{"mAP": 0.6, "step": 0}\n'
                            '{"loss": [1, 2, 3], "acc": 0.8, "step": 0}\n')
    assert os.path.isfile("temp_dir/vis_image/img_0.png")
    assert os.path.isfile("temp_dir/config.py")


# ----------------------------------------------------------------------- VBK items


def test_base_backend_has_nothing_abstract():
    backend = BaseVisBackend("temp_dir")
    assert backend.experiment is backend
    assert backend.add_scalar("a", 1) is None and backend.add_scaler("a", 1) is None
    assert not os.path.exists("temp_dir")


def test_add_scaler_alias_reaches_an_overridden_add_scalar():
    calls = []

    @VISBACKENDS.register_module(name=unique("ScalarOnly"))
    class ScalarOnly(BaseVisBackend):
        def add_scalar(self, name, value, step=0, **kwargs):
            calls.append((name, value, step))

    backend = ScalarOnly("temp_dir")
    backend.add_scaler("mAP", 0.6, step=2)
    vis = Visualizer(name=unique("v"), vis_backends=[dict(type=ScalarOnly)], save_dir="sd")
    vis.add_scaler("mAP", 0.7)
    assert calls == [("mAP", 0.6, 2), ("mAP", 0.7, 0)]


def test_missing_tensorboard_and_wandb_name_the_pip_command(monkeypatch):
    # VBK-10 / VBK-13: the reference's messages, plus the extra to install
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)
    with pytest.raises(ImportError, match='Please run "pip install future tensorboard"'):
        TensorboardVisBackend("tb").add_scalar("a", 1)
    monkeypatch.setitem(sys.modules, "wandb", None)
    with pytest.raises(ImportError, match='Please run "pip install wandb" to install wandb'):
        WandbVisBackend("wb").experiment  # noqa: B018 - the property initialises the backend


def test_wandb_init_kwargs_are_not_mutated_and_dir_defaults_to_save_dir(monkeypatch):
    from unittest.mock import MagicMock

    wandb = MagicMock()
    monkeypatch.setitem(sys.modules, "wandb", wandb)
    init_kwargs = dict(project="p")
    backend = WandbVisBackend("wb", init_kwargs=init_kwargs, commit=False)
    assert not os.path.exists("wb")  # lazy (VBK-02)
    image = np.zeros((2, 2, 3), np.uint8)
    backend.add_image("img", image, step=4)
    wandb.init.assert_called_once_with(project="p", dir="wb")
    assert init_kwargs == dict(project="p")
    wandb.Image.assert_called_once_with(image)
    wandb.log.assert_called_with({"img": wandb.Image.return_value}, commit=False)
    backend.add_scalars({"acc": 0.5}, step=4, file_path="x.json")  # step, file_path ignored
    wandb.log.assert_called_with({"acc": 0.5}, commit=False)
    backend.close()
    wandb.join.assert_called_once_with()


def test_tensorboard_writes_through_the_writer_api(monkeypatch):
    from unittest.mock import MagicMock

    module = MagicMock()
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", module)
    backend = TensorboardVisBackend("tb")
    assert not os.path.exists("tb")
    TensorboardVisBackend("never_used").close()  # close() before any use is safe
    cfg = Config(dict(a=1))
    backend.add_config(cfg)
    writer = module.SummaryWriter.return_value
    module.SummaryWriter.assert_called_once_with("tb")
    writer.add_text.assert_called_once_with("config", cfg.pretty_text)
    image = np.zeros((2, 3, 3), np.uint8)
    backend.add_image("img", image, step=5)
    writer.add_image.assert_called_once_with("img", image, 5, dataformats="HWC")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        backend.add_scalars({"a": np.float32(0.5), "b": np.array(1.0), "c": 2}, step=7)
    assert [c.args for c in writer.add_scalar.call_args_list] == [
        ("a", np.float32(0.5), 7), ("b", np.array(1.0), 7), ("c", 2, 7)]
    with pytest.warns(UserWarning, match="skip it"):
        backend.add_scalar("d", "text")
    assert writer.add_scalar.call_count == 3


# ------------------------------------------------------------------------ VIS items


def test_heatmap_helper_shapes_and_bgr_reading_of_three_channels():
    with pytest.raises(AssertionError, match=r"\(1\|3, H, W\)"):
        vis_utils.convert_overlay_heatmap(np.ones((5, 4, 4)))
    # a 3-channel map is read as BGR (cv2.applyColorMap's grey conversion):
    # channel 0 weighs 0.114, channel 2 weighs 0.299
    blue = np.zeros((3, 1, 2), np.float32)
    blue[0, 0, 1] = 1
    red = blue[::-1].copy()
    lut = vis_utils._JET_LUT
    assert (vis_utils.convert_overlay_heatmap(blue)[0, 1] == lut[29]).all()  # 0.114 * 255
    assert (vis_utils.convert_overlay_heatmap(red)[0, 1] == lut[76]).all()  # 0.299 * 255
    assert vis_utils.convert_overlay_heatmap(torch.rand(1, 4, 5)).shape == (4, 5, 3)


def test_backend_configs_are_left_as_given_and_own_save_dir_is_not_suffixed():
    cfgs = [dict(type="LocalVisBackend", name="local"),
            dict(type="LocalVisBackend", name="other", save_dir="elsewhere")]
    vis = Visualizer(name=unique("v"), vis_backends=cfgs, save_dir="temp_dir")
    assert cfgs == [dict(type="LocalVisBackend", name="local"),
                    dict(type="LocalVisBackend", name="other", save_dir="elsewhere")]
    vis.add_scalar("a", 1)
    vis.close()
    assert os.path.isfile(os.path.join("temp_dir", "vis_data", "scalars.json"))
    assert os.path.isfile(os.path.join("elsewhere", "scalars.json"))


def test_visualizer_without_save_dir_builds_no_backend_and_stores_nothing():
    with pytest.warns(UserWarning, match="save_dir is None"):
        vis = Visualizer(name=unique("v"), vis_backends=[dict(type="LocalVisBackend")])
    vis.add_scalar("loss", 1.0)
    vis.add_image("img", np.zeros((2, 2, 3), np.uint8))
    vis.close()
    assert vis.get_backend("LocalVisBackend") is None
    assert os.listdir(".") == []


def test_built_visualizer_subclass_with_name_only_init_is_current():
    # §15.6(3): a subclass registered in VISUALIZERS, built from a config with a name
    @VISUALIZERS.register_module(name=unique("DetLocalVisualizer"))
    class DetLocalVisualizer(Visualizer):
        def add_datasample(self, name, image, data_sample=None, draw_gt=True,
                           draw_pred=True, show=False, wait_time=0, step=0):
            self.set_image(image)
            self.add_image(name, self.get_image(), step)

    name = unique("visualizer")
    built = VISUALIZERS.build(dict(type=DetLocalVisualizer, name=name,
                                   vis_backends=[dict(type="LocalVisBackend")],
                                   save_dir="temp_dir"))
    assert Visualizer.get_current_instance() is built
    assert DetLocalVisualizer.get_instance(name) is built
    Visualizer.get_current_instance().add_datasample("det", np.zeros((4, 4, 3), np.uint8))
    assert os.path.isfile("temp_dir/vis_data/vis_image/det_0.png")
