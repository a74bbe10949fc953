"""Load configs and models shipped by installed downstream libraries (``pkg::path``)."""
from __future__ import annotations

import importlib
import importlib.util
import os.path as osp
import subprocess
import warnings
from typing import Any, Dict

from engine.config import Config
from engine.config.utils import known_scopes, package_dir, split_package_path
from engine.fileio import load
from engine.registry import MODELS, DefaultScope
from engine.utils import get_scope_entry_point, install_package

__all__ = ["get_config", "get_model"]


def _model_index(mim_dir: str) -> Dict[str, dict]:
    """Entries of ``<pkg>/.mim/model-index.yml``, keyed by config path without ``configs/``."""
    index_file = osp.join(mim_dir, "model-index.yml")
    if not osp.isfile(index_file):
        return {}
    entries: Dict[str, dict] = {}
    for meta_file in load(index_file).get("Import", []) or []:
        for model in load(osp.join(mim_dir, meta_file)).get("Models", []) or []:
            config = model.get("Config")
            if config is None:
                warnings.warn(f"There is no `Config` define in {model.get('Name', model)} "
                              f"(metafile {meta_file})", stacklevel=3)
                continue
            key = config.split("/", 1)[1] if "/" in config else config
            entries.setdefault(key, model)  # the first entry of a config wins
    return entries


def _ensure_installed(package: str) -> None:
    """Install the distribution of a known ``package`` (e.g. mmseg -> mmsegmentation) if absent.

    "Absent" means not importable: a library on ``sys.path`` without
    distribution metadata (a source checkout) is used as it is.
    """
    try:
        found = importlib.util.find_spec(package) is not None
    except (ImportError, ValueError):
        found = False
    if found:
        return
    distribution = known_scopes().get(package, package)
    try:
        install_package(distribution)
    except (subprocess.CalledProcessError, OSError) as error:
        raise ModuleNotFoundError(
            f'{package} is not installed and `pip install {distribution}` failed ({error}); '
            f'please install {distribution} manually') from error
    importlib.invalidate_caches()


def get_config(cfg_path: str, pretrained: bool = False) -> Config:
    """The config ``'pkg::relative/path.py'`` of an installed library.

    A known library that is not installed is installed with pip first.
    Configs listed in the library's model index (``.mim/model-index.yml``) may
    carry pretrained weights: with ``pretrained=True`` their URL is set as
    ``cfg.model_path``. Other paths are read from ``.mim/configs``.
    """
    package, rel_path = split_package_path(cfg_path)
    if package not in known_scopes() and package not in known_scopes(refresh=True):
        raise AssertionError(
            f'engine does not support to load {package} config. Known packages: '
            f'{sorted(known_scopes())}')
    _ensure_installed(package)
    mim_dir = osp.join(package_dir(package), ".mim")
    entry = _model_index(mim_dir).get(rel_path)
    if entry is None:
        path = osp.join(mim_dir, "configs", rel_path)
        if not osp.isfile(path):
            raise FileNotFoundError(f"{cfg_path}: neither in the model index of {package} nor a "
                                    f"config file at {path}")
        return Config.fromfile(path)
    cfg = Config.fromfile(osp.join(mim_dir, entry["Config"]))
    if pretrained:
        assert "Weights" in entry, (
            f"Cannot find `Weights` in the model-index entry of {cfg_path}, so pretrained "
            "weights cannot be loaded")
        cfg.model_path = entry["Weights"]
    return cfg


def _register_all_modules(package: str) -> None:
    """Register the library's modules: its ``engine.scopes`` entry point, else ``pkg.utils``."""
    entry_point = get_scope_entry_point(package, refresh=True)  # it may be newly installed
    if entry_point is not None:
        loaded = entry_point.load()
        if callable(loaded):
            loaded()
        return
    importlib.import_module(f"{package}.utils").register_all_modules()


def get_model(cfg_path: str, pretrained: bool = False, **kwargs: Any):
    """Build the model of ``'pkg::path'`` in the library's scope; optionally load its weights.

    ``kwargs`` are default arguments of the model's constructor. Loaded weights
    mark the model as initialised so the Runner's ``init_weights`` keeps them.
    """
    package = cfg_path.split("::")[0]
    with DefaultScope.overwrite_default_scope(package):
        cfg = get_config(cfg_path, pretrained)
        if "model" not in cfg:
            raise KeyError(f"The config {cfg_path} has no `model` field to build")
        _register_all_modules(package)
        model = MODELS.build(cfg.model, default_args=kwargs)
    if pretrained:
        from engine.runner.checkpoint import load_checkpoint  # the runner layer sits above hub

        load_checkpoint(model, cfg.model_path)
        model._is_init = True
    return model
