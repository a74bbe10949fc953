"""Configs shipped inside installed downstream packages (``pkg::path``).

A library that follows the packaging convention ships its configs under
``<package>/.mim/configs``; ``mmdet::_base_/schedules/schedule_1x.py`` then
names a file there. Which scopes are allowed comes from a table of the known
libraries plus the ``engine.scopes`` entry-point group, so a new library can
register itself without editing engine (design decision 5).
"""

from __future__ import annotations

import os.path as osp
import re
from importlib import util as importlib_util

from engine.utils.package_utils import (
    PKG2PROJECT,
    SCOPE_ENTRY_POINT_GROUP,
    get_scope_distributions,
)

# The scope table lives once, in engine.utils.package_utils; these names stay
# importable from here for code written against earlier versions.
ENTRY_POINT_GROUP = SCOPE_ENTRY_POINT_GROUP

__all__ = ['PKG2PROJECT', 'ENTRY_POINT_GROUP', 'known_scopes', 'split_package_path',
           'package_dir', 'get_model_metainfo', 'external_config_path', 'inject_scope']

_PKG_PATH = re.compile(r'^\w+::[\w.-]*/\w*')
_PKG_NAME = re.compile(r'^\w+::\w')


def known_scopes(refresh: bool = False) -> dict[str, str]:
    """Scope -> distribution name: the built-in table plus ``engine.scopes`` entry points.

    Same as :func:`engine.utils.get_scope_distributions`.
    """
    return get_scope_distributions(refresh)


def split_package_path(cfg_path: str, require_dir: bool = True) -> tuple[str, str]:
    """Split ``'pkg::dir/file.py'`` into ``('pkg', 'dir/file.py')``.

    Without ``require_dir`` the part after ``::`` may be a bare model name
    (``'mmdet::faster_rcnn_r50_fpn_1x_coco'``), looked up in the model index.
    """
    parts = cfg_path.split('::')
    if len(parts) > 2:
        raise ValueError(
            f'`::` separates the package from the config path and may appear only once, '
            f'but {cfg_path!r} has {len(parts) - 1}')
    pattern = _PKG_PATH if require_dir else _PKG_NAME
    if pattern.match(cfg_path) is None or len(parts) != 2 or not parts[0] or not parts[1]:
        raise ValueError(
            f'{cfg_path!r} is not a package config path: expected the form '
            "'<package>::<dir>/<file>', "
            "e.g. 'mmdet::faster_rcnn/faster_rcnn_r50_fpn_1x_coco.py'")
    return parts[0], parts[1]


def package_dir(package: str) -> str:
    """Directory of an installed, known package (not imported)."""
    # A package installed since the last scan is found by re-reading the entry points.
    if package not in known_scopes() and package not in known_scopes(refresh=True):
        raise AssertionError(
            f'engine does not support to load {package} config. Known packages: '
            f'{sorted(known_scopes())}; a library can add itself through the '
            f'{ENTRY_POINT_GROUP!r} entry-point group.')
    spec = None
    try:
        spec = importlib_util.find_spec(package)
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        raise ModuleNotFoundError(
            f'{package} is not installed, please install {package} manually')
    if spec.submodule_search_locations:
        return list(spec.submodule_search_locations)[0]
    return osp.dirname(spec.origin)


def _model_index_entry(mim_dir: str, rel: str) -> dict | None:
    """A model's metafile entry from ``.mim/model-index.yml`` and its metafiles.

    ``rel`` matches a model's ``Name`` or its ``Config`` path without the
    leading ``configs/``.
    """
    index = osp.join(mim_dir, 'model-index.yml')
    if not osp.isfile(index):
        return None
    import yaml

    name = osp.splitext(osp.basename(rel))[0]
    with open(index, encoding='utf-8') as f:
        imports = (yaml.safe_load(f) or {}).get('Import', [])
    for meta_rel in imports:
        with open(osp.join(mim_dir, meta_rel), encoding='utf-8') as f:
            meta = yaml.safe_load(f) or {}
        for model in meta.get('Models', []):
            config = model.get('Config')
            if config and (model.get('Name') == name or config.partition('/')[2] == rel):
                return model
    return None


def get_model_metainfo(cfg_path: str) -> dict:
    """The model-index entry (``Name``, ``Config``, ``Weights``, ...) of ``'pkg::model'``.

    For a hub's ``get_config(..., pretrained=True)``. Raises ValueError when
    the package's model index does not list the model.
    """
    package, rel = split_package_path(cfg_path, require_dir=False)
    mim_dir = osp.join(package_dir(package), '.mim')
    entry = _model_index_entry(mim_dir, rel)
    if entry is None:
        raise ValueError(f'{rel!r} is not in the model index of {package} '
                         f'({osp.join(mim_dir, "model-index.yml")})')
    return entry


def external_config_path(cfg_path: str, use_model_index: bool = False) -> tuple[str, str]:
    """Resolve ``'pkg::path'`` to ``(package, absolute file path)``.

    ``path`` is relative to ``<package>/.mim/configs``. With
    ``use_model_index`` (what ``get_config``-style lookups want) a model name
    such as ``'mmdet::faster_rcnn_r50_fpn_1x_coco'`` is first looked up in
    ``.mim/model-index.yml``. A missing file raises FileNotFoundError.
    """
    package, rel = split_package_path(cfg_path, require_dir=not use_model_index)
    mim_dir = osp.join(package_dir(package), '.mim')
    path = None
    if use_model_index:
        entry = _model_index_entry(mim_dir, rel)
        if entry is not None:
            path = osp.join(mim_dir, entry['Config'])
    if path is None:
        path = osp.join(mim_dir, 'configs', rel)
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'config {cfg_path!r} not found: file "{path}" does not exist in the '
            f'installed package {package}')
    return package, path


def inject_scope(value, scope: str):
    """Add ``_scope_`` to the outermost dicts with a ``type`` key, in place.

    Dicts without ``type`` and lists/tuples are descended into; an existing
    non-None ``_scope_`` is kept.
    """
    if isinstance(value, dict):
        if 'type' in value:
            if value.get('_scope_') is None:
                value['_scope_'] = scope
        else:
            for item in value.values():
                inject_scope(item, scope)
    elif isinstance(value, (list, tuple)):
        for item in value:
            inject_scope(item, scope)
    return value
