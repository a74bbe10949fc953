"""engine.hub (HUB-01/02): error texts, weights checks, default arguments."""
import importlib
import subprocess
import sys
import textwrap

import pytest

from engine.hub import get_config, get_model
from engine.hub import hub as hub_module
from engine.registry import MODELS, DefaultScope


@pytest.fixture
def fake_mmocr(tmp_path, monkeypatch):
    """An importable ``mmocr`` with a model index whose entry carries no ``Weights``."""
    pkg = tmp_path / "site" / "mmocr"
    (pkg / ".mim" / "configs" / "dbnet").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "utils.py").write_text(textwrap.dedent("""
        from torch import nn
        from engine.registry import MODELS, Registry

        OCR_MODELS = Registry("model", parent=MODELS, scope="mmocr")

        class Audit2Net(nn.Module):
            def __init__(self, width, depth=1):
                super().__init__()
                self.width, self.depth = width, depth

        def register_all_modules():
            OCR_MODELS.register_module(module=Audit2Net, force=True)
    """))
    (pkg / ".mim" / "configs" / "dbnet" / "dbnet_r18.py").write_text(
        "model = dict(type='Audit2Net', width=2)\n")
    (pkg / ".mim" / "model-index.yml").write_text("Import:\n  - configs/dbnet/metafile.yml\n")
    (pkg / ".mim" / "configs" / "dbnet" / "metafile.yml").write_text(textwrap.dedent("""
        Models:
          - Name: dbnet_r18
            Config: configs/dbnet/dbnet_r18.py
    """))
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    importlib.invalidate_caches()

    def no_pip(distribution):
        raise subprocess.CalledProcessError(1, ["pip", "install", distribution])

    monkeypatch.setattr(hub_module, "install_package", no_pip)
    yield pkg
    for name in [m for m in sys.modules if m == "mmocr" or m.startswith("mmocr.")]:
        del sys.modules[name]
    MODELS.children.pop("mmocr", None)


def test_error_texts_of_bad_paths():
    # HUB-01: the regex, the single `::`, and the unknown package (message of the original)
    with pytest.raises(ValueError, match="mmdet::faster"):
        get_config("faster_rcnn_r50_fpn_1x_coco.py")
    with pytest.raises(ValueError, match="::"):
        get_config("mmdet::a::b/c.py")
    with pytest.raises(AssertionError, match="engine does not support to load nolib config"):
        get_config("nolib::a/b.py")


def test_pretrained_needs_weights_in_the_index_entry(fake_mmocr):
    # HUB-01 step 4: an indexed config without `Weights` cannot give pretrained weights
    cfg = get_config("mmocr::dbnet/dbnet_r18.py")
    assert cfg.model.width == 2 and "model_path" not in cfg
    with pytest.raises(AssertionError, match="Cannot find `Weights`"):
        get_config("mmocr::dbnet/dbnet_r18.py", pretrained=True)


def test_get_model_kwargs_are_default_arguments(fake_mmocr):
    # HUB-02: kwargs fill constructor arguments the config leaves out; they do not override it
    model = get_model("mmocr::dbnet/dbnet_r18.py", depth=3, width=9)
    assert type(model).__name__ == "Audit2Net"
    assert (model.width, model.depth) == (2, 3)


def test_get_model_restores_the_caller_scope(fake_mmocr):
    # HUB-02 step 2: the library scope holds only while building
    DefaultScope.get_instance("audit2_hub_scope", scope_name="audit2_scope")
    try:
        get_model("mmocr::dbnet/dbnet_r18.py")
        assert DefaultScope.get_current_instance().scope_name == "audit2_scope"
    finally:
        DefaultScope._instance_dict.pop("audit2_hub_scope")
