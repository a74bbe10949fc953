"""Visualizer as a ManagerMixin, registry building, backend configs and fan-out."""

import uuid

import numpy as np
import pytest
import torch

from engine.registry import VISBACKENDS, VISUALIZERS
from engine.visualization import BaseVisBackend, LocalVisBackend, Visualizer


def unique(prefix):
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


@VISBACKENDS.register_module(force=True)
class RecordingVisBackend(BaseVisBackend):
    """Records every call (keyword arguments) in order."""

    def __init__(self, save_dir, log=None):
        super().__init__(save_dir)
        self.calls = []

    def add_config(self, **kwargs):
        self.calls.append(("add_config", kwargs))

    def add_graph(self, **kwargs):
        self.calls.append(("add_graph", kwargs))

    def add_image(self, **kwargs):
        self.calls.append(("add_image", kwargs))

    def add_scalar(self, **kwargs):
        self.calls.append(("add_scalar", kwargs))

    def add_scalars(self, **kwargs):
        self.calls.append(("add_scalars", kwargs))

    def close(self):
        self.calls.append(("close", {}))


@VISBACKENDS.register_module(force=True)
class DemoVisBackend(BaseVisBackend):
    """The §15.6(2) example: only add_image is overridden, with **kwargs."""

    def add_image(self, **kwargs):
        self.called = kwargs


def test_backend_name_validation(tmp_path):
    t = "RecordingVisBackend"
    with pytest.raises(AssertionError, match="empty"):
        Visualizer(vis_backends=[], save_dir=str(tmp_path))
    with pytest.raises(RuntimeError, match="all backends must use the name attribute"):
        Visualizer(vis_backends=[dict(type=t), dict(type=t, name="b")], save_dir=str(tmp_path))
    with pytest.raises(RuntimeError, match="Please specify the name field"):
        Visualizer(vis_backends=[dict(type=t), dict(type=t)], save_dir=str(tmp_path))
    with pytest.raises(RuntimeError, match="The name fields cannot be the same"):
        Visualizer(vis_backends=[dict(type=t, name="a"), dict(type=t, name="a")],
                   save_dir=str(tmp_path))
    cfgs = [dict(type=t, name="m1"), dict(type=t, name="m2")]
    vis = Visualizer(vis_backends=cfgs, save_dir=str(tmp_path))
    assert len(vis._vis_backends) == 2
    assert vis.get_backend("m1") is not None and vis.get_backend("nope") is None
    assert cfgs == [dict(type=t, name="m1"), dict(type=t, name="m2")]  # caller's dicts kept
    # backends get <save_dir>/vis_data unless their config has its own save_dir
    assert vis.get_backend("m1")._save_dir == f"{tmp_path}/vis_data"
    own = Visualizer(vis_backends=[dict(type=t, name="x", save_dir=str(tmp_path / "own"))],
                     save_dir=str(tmp_path))
    assert own.get_backend("x")._save_dir == str(tmp_path / "own")
    with pytest.warns(UserWarning, match="save_dir is None"):
        none = Visualizer(vis_backends=cfgs)
    assert none.get_backend("m1") is None


def test_fan_out_in_order_and_close(tmp_path):
    vis = Visualizer(vis_backends=[dict(type="RecordingVisBackend", name="m1"),
                                   dict(type="RecordingVisBackend", name="m2")],
                     save_dir=str(tmp_path))
    img = np.zeros((4, 4, 3), np.uint8)
    model = torch.nn.Linear(2, 2)
    vis.add_config("cfg")
    vis.add_graph(model, [dict(x=1)])
    vis.add_image("demo", img, step=3)
    vis.add_scalar("map", 0.9, step=0)
    vis.add_scalars({"map": 0.7})
    assert vis.add_datasample("x", img) is None
    vis.close()
    for name in ("m1", "m2"):
        calls = vis.get_backend(name).calls
        assert [c[0] for c in calls] == ["add_config", "add_graph", "add_image", "add_scalar",
                                         "add_scalars", "close"]
        assert calls[2][1] == dict(name="demo", image=img, step=3)
        assert calls[3][1] == dict(name="map", value=0.9, step=0)
        assert calls[4][1] == dict(scalar_dict={"map": 0.7}, step=0, file_path=None)
    # no backends: storage calls are silent no-ops
    with pytest.warns(UserWarning):
        bare = Visualizer()
    bare.add_scalar("a", 1)
    bare.add_image("a", img)
    bare.close()


def test_vis_backends_is_a_read_only_view_in_config_order(tmp_path):
    vis = Visualizer(vis_backends=[dict(type="RecordingVisBackend", name="m2"),
                                   dict(type="LocalVisBackend", name="local")],
                     save_dir=str(tmp_path))
    backends = vis.vis_backends
    assert list(backends) == ["m2", "local"]
    assert backends["m2"] is vis.get_backend("m2")
    assert isinstance(backends["local"], LocalVisBackend)
    with pytest.raises(TypeError):
        backends["extra"] = LocalVisBackend(str(tmp_path))
    assert list(vis.vis_backends) == ["m2", "local"]
    with pytest.warns(UserWarning):
        assert dict(Visualizer().vis_backends) == {}


def test_custom_backend_with_kwargs_only(tmp_path):
    vis = Visualizer(vis_backends=[dict(type="DemoVisBackend")], save_dir=str(tmp_path))
    img = np.zeros((4, 4, 3), np.uint8)
    vis.add_image("demo", img)
    backend = vis.get_backend("DemoVisBackend")
    assert backend.called["name"] == "demo" and backend.called["step"] == 0
    vis.add_scalar("x", 1)  # not overridden: no-op
    assert backend.experiment is backend


def test_get_instance_and_current_instance(tmp_path):
    class DetLocalVisualizer(Visualizer):
        def __init__(self, name):
            super().__init__(name)

    with pytest.warns(UserWarning):
        v1 = DetLocalVisualizer.get_instance(unique("name1"))
    assert Visualizer.get_current_instance() is v1
    assert DetLocalVisualizer.get_current_instance() is v1
    name = unique("vis")
    v2 = Visualizer.get_instance(name, vis_backends=[dict(type="LocalVisBackend")],
                                 save_dir=str(tmp_path))
    assert Visualizer.get_current_instance() is v2
    assert Visualizer.get_instance(name) is v2
    assert isinstance(v2.get_backend("LocalVisBackend"), LocalVisBackend)
    with pytest.raises(AssertionError):
        Visualizer.get_instance(name, save_dir=str(tmp_path))
    assert Visualizer.check_instance_created(name)
    with pytest.warns(UserWarning):
        plain = Visualizer(name=unique("plain"))
    assert Visualizer.get_current_instance() is not plain  # plain construction: unregistered
    with pytest.raises(AssertionError, match="name"):
        class NoName(Visualizer):
            def __init__(self):
                super().__init__("x")


def test_build_from_registry(tmp_path):
    name = unique("vis_new")
    built = VISUALIZERS.build(dict(type="Visualizer", name=name,
                                   vis_backends=[dict(type="LocalVisBackend")],
                                   save_dir=str(tmp_path)))
    assert Visualizer.get_current_instance() is built
    assert not (tmp_path / "vis_data").exists()  # lazy: nothing written yet

    @VISUALIZERS.register_module(force=True)
    class DetLocalVisualizer2(Visualizer):
        def __init__(self, name="visualizer", **kwargs):
            super().__init__(name, **kwargs)

        def add_datasample(self, name, image, *args, **kwargs):
            self.set_image(image)
            self.draw_bboxes(np.array([0, 0, 3, 3]), edge_colors=(255, 0, 0), alpha=1.0)
            self.add_image(name, self.get_image())

    name2 = unique("visualizer2")
    det = VISUALIZERS.build(dict(type="DetLocalVisualizer2", name=name2,
                                 vis_backends=[dict(type="LocalVisBackend")],
                                 save_dir=str(tmp_path)))
    assert Visualizer.get_current_instance() is det
    det.add_datasample("sample", np.zeros((5, 5, 3), np.uint8))
    assert (tmp_path / "vis_data" / "vis_image" / "sample_0.png").exists()
