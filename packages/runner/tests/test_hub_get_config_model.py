"""engine.hub against a real package on sys.path shaped like a downstream library (HUB-01/02)."""
import importlib
import subprocess
import sys
import textwrap

import pytest
import torch
from torch import nn

from engine.hub import get_config, get_model
from engine.hub import hub as hub_module
from engine.registry import MODELS, DefaultScope

WEIGHTS_URL = "https://download.example.org/mmdet/faster_rcnn_r50_fpn_1x_coco_20200130.pth"


@pytest.fixture
def fake_mmdet(tmp_path, monkeypatch):
    """An importable ``mmdet`` with .mim configs, a model index and register_all_modules."""
    pkg = tmp_path / "site" / "mmdet"
    (pkg / ".mim" / "configs" / "faster_rcnn").mkdir(parents=True)
    (pkg / ".mim" / "configs" / "_base_").mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "utils.py").write_text(textwrap.dedent("""
        from torch import nn
        from engine.registry import MODELS, Registry

        DET_MODELS = Registry("model", parent=MODELS, scope="mmdet")
        calls = []

        class ToyDetector(nn.Module):
            def __init__(self, channels, extra=None):
                super().__init__()
                self.linear = nn.Linear(channels, channels)
                self.extra = extra

        def register_all_modules():
            calls.append(1)
            DET_MODELS.register_module(module=ToyDetector, force=True)
    """))
    (pkg / ".mim" / "configs" / "faster_rcnn" / "faster_rcnn_r50_fpn_1x_coco.py").write_text(
        "model = dict(type='ToyDetector', channels=2)\n")
    (pkg / ".mim" / "configs" / "_base_" / "schedule_1x.py").write_text("max_epochs = 12\n")
    (pkg / ".mim" / "model-index.yml").write_text("Import:\n  - configs/faster_rcnn/metafile.yml\n")
    (pkg / ".mim" / "configs" / "faster_rcnn" / "metafile.yml").write_text(textwrap.dedent(f"""
        Models:
          - Name: no_config_entry
          - Name: faster_rcnn_r50_fpn_1x_coco
            Config: configs/faster_rcnn/faster_rcnn_r50_fpn_1x_coco.py
            Weights: {WEIGHTS_URL}
          - Name: duplicate
            Config: configs/faster_rcnn/faster_rcnn_r50_fpn_1x_coco.py
            Weights: https://elsewhere/other.pth
    """))
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    importlib.invalidate_caches()
    yield pkg
    for name in [m for m in sys.modules if m == "mmdet" or m.startswith("mmdet.")]:
        del sys.modules[name]
    MODELS.children.pop("mmdet", None)  # the next import of mmdet.utils creates it again


def test_bad_paths_fail_before_any_lookup():
    with pytest.raises(ValueError):
        get_config("mmdet_faster_rcnn.py")
    with pytest.raises(ValueError):
        get_config("mmdet::a::b/c.py")
    with pytest.raises(AssertionError, match="foo"):
        get_config("foo::a/b.py")


@pytest.fixture
def pip_calls(monkeypatch):
    """Record install_package calls instead of running pip (no network in tests)."""
    calls = []

    def fake_install(distribution):
        calls.append(distribution)
        raise subprocess.CalledProcessError(1, ["pip", "install", distribution])

    monkeypatch.setattr(hub_module, "install_package", fake_install)
    return calls


def test_bad_paths_fail_before_any_install(pip_calls):
    for bad, error in [("mmdet_faster_rcnn.py", ValueError), ("mmdet::a::b/c.py", ValueError),
                       ("foo::a/b.py", AssertionError)]:
        with pytest.raises(error):
            get_config(bad)
    assert pip_calls == []


def test_known_but_missing_package_is_installed_first(pip_calls):
    # HUB-01 step 1: the distribution (mmseg -> mmsegmentation) is pip-installed
    with pytest.raises(ModuleNotFoundError, match="mmrotate is not installed"):
        get_config("mmrotate::a/b.py")
    with pytest.raises(ModuleNotFoundError, match="pip install mmsegmentation"):
        get_config("mmseg::a/b.py")
    assert pip_calls == ["mmrotate", "mmsegmentation"]


def test_install_then_load(tmp_path, monkeypatch):
    """A package that appears after install_package is found without a restart."""
    site = tmp_path / "site"
    monkeypatch.syspath_prepend(str(site))

    def fake_install(distribution):
        cfg_dir = site / "mmflow" / ".mim" / "configs" / "raft"
        cfg_dir.mkdir(parents=True)
        (site / "mmflow" / "__init__.py").write_text("")
        (cfg_dir / "raft.py").write_text("lr = 0.1\n")

    monkeypatch.setattr(hub_module, "install_package", fake_install)
    try:
        assert get_config("mmflow::raft/raft.py").lr == 0.1
    finally:
        sys.modules.pop("mmflow", None)


def test_importable_package_is_not_reinstalled(fake_mmdet, pip_calls):
    # a library on sys.path without distribution metadata (a source checkout) is used as is
    with pytest.warns(UserWarning):
        get_config("mmdet::faster_rcnn/faster_rcnn_r50_fpn_1x_coco.py")
    assert pip_calls == []


def test_get_config_from_model_index(fake_mmdet):
    with pytest.warns(UserWarning, match="no_config_entry"):
        cfg = get_config("mmdet::faster_rcnn/faster_rcnn_r50_fpn_1x_coco.py", pretrained=True)
    assert cfg.model.type == "ToyDetector"
    assert cfg.model_path == WEIGHTS_URL  # the first entry wins over "duplicate"
    with pytest.warns(UserWarning):
        assert "model_path" not in get_config("mmdet::faster_rcnn/faster_rcnn_r50_fpn_1x_coco.py")


def test_get_config_base_file_and_missing_file(fake_mmdet):
    with pytest.warns(UserWarning):
        cfg = get_config("mmdet::_base_/schedule_1x.py", pretrained=True)
    assert cfg.max_epochs == 12 and "model_path" not in cfg
    with pytest.warns(UserWarning), pytest.raises(FileNotFoundError, match="nothing.py"):
        get_config("mmdet::_base_/nothing.py")


def test_get_model_builds_in_the_library_scope(fake_mmdet):
    with pytest.warns(UserWarning):
        model = get_model("mmdet::faster_rcnn/faster_rcnn_r50_fpn_1x_coco.py", extra="kw")
    assert type(model).__name__ == "ToyDetector"
    assert type(model).__module__ == "mmdet.utils"
    assert model.extra == "kw" and isinstance(model.linear, nn.Linear)
    assert sys.modules["mmdet.utils"].calls  # register_all_modules ran
    assert DefaultScope.get_current_instance() is None or \
        DefaultScope.get_current_instance().scope_name != "mmdet"  # scope restored


def test_get_model_of_a_config_without_a_model_names_the_config(fake_mmdet):
    with pytest.warns(UserWarning), pytest.raises(
            KeyError, match="The config mmdet::_base_/schedule_1x.py has no `model` field"):
        get_model("mmdet::_base_/schedule_1x.py")


def test_get_model_pretrained_loads_weights(fake_mmdet, tmp_path):
    pytest.importorskip("engine.runner.checkpoint", reason="load_checkpoint is in engine.runner")
    weights = tmp_path / "weights.pth"
    state = {"linear.weight": torch.full((2, 2), 3.0), "linear.bias": torch.zeros(2)}
    torch.save({"state_dict": state}, weights)
    metafile = fake_mmdet / ".mim" / "configs" / "faster_rcnn" / "metafile.yml"
    metafile.write_text(metafile.read_text().replace(WEIGHTS_URL, str(weights)))
    with pytest.warns(UserWarning):
        model = get_model("mmdet::faster_rcnn/faster_rcnn_r50_fpn_1x_coco.py", pretrained=True)
    assert torch.equal(model.linear.weight, state["linear.weight"])
    assert model._is_init is True


@pytest.fixture
def entry_point_library(tmp_path, monkeypatch):
    """A library unknown to engine's table that declares its scope via ``engine.scopes``."""
    site = tmp_path / "site"
    pkg = site / "hubtestlib"
    (pkg / ".mim" / "configs" / "nets").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "registration.py").write_text(textwrap.dedent("""
        from torch import nn
        from engine.registry import MODELS, Registry

        LIB_MODELS = Registry("model", parent=MODELS, scope="hubtestlib")

        class TinyNet(nn.Module):
            def __init__(self, width):
                super().__init__()
                self.fc = nn.Linear(width, 1)

        def register():
            LIB_MODELS.register_module(module=TinyNet, force=True)
    """))
    (pkg / ".mim" / "configs" / "nets" / "tiny.py").write_text(
        "model = dict(type='TinyNet', width=3)\n")
    dist_info = site / "hubtestlib-0.1.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: hubtestlib\nVersion: 0.1\n")
    (dist_info / "entry_points.txt").write_text(
        "[engine.scopes]\nhubtestlib = hubtestlib.registration:register\n")
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    yield pkg
    for name in [m for m in sys.modules if m.startswith("hubtestlib")]:
        del sys.modules[name]
    MODELS.children.pop("hubtestlib", None)


def test_library_registered_through_entry_point(entry_point_library):
    assert get_config("hubtestlib::nets/tiny.py").model.width == 3
    model = get_model("hubtestlib::nets/tiny.py")
    assert type(model).__name__ == "TinyNet" and model.fc.in_features == 3
