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

# scope -> distribution (project) name of the libraries the seed knows.
PKG2PROJECT: dict[str, str] = {
    'mmcls': 'mmcls',
    'mmdet': 'mmdet',
    'mmdet3d': 'mmdet3d',
    'mmseg': 'mmsegmentation',
    'mmaction2': 'mmaction2',
    'mmtrack': 'mmtrack',
    'mmpose': 'mmpose',
    'mmedit': 'mmedit',
    'mmocr': 'mmocr',
    'mmgen': 'mmgen',
    'mmfewshot': 'mmfewshot',
    'mmrazor': 'mmrazor',
    'mmflow': 'mmflow',
    'mmhuman3d': 'mmhuman3d',
    'mmrotate': 'mmrotate',
    'mmselfsup': 'mmselfsup',
}

ENTRY_POINT_GROUP = 'engine.scopes'
_PKG_PATH = re.compile(r'^\w+::[\w.-]*/\w*')
_PKG_NAME = re.compile(r'^\w+::\w')


def known_scopes() -> dict[str, str]:
    """Scope -> distribution name: the built-in table plus entry points.

    An entry point ``<scope> = <module>`` in group ``engine.scopes`` adds
    ``<scope>`` (its distribution is the one declaring the entry point).
    """
    table = dict(PKG2PROJECT)
    from importlib import metadata

    try:
        eps = metadata.entry_points()
        group = (eps.select(group=ENTRY_POINT_GROUP) if hasattr(eps, 'select')
                 else eps.get(ENTRY_POINT_GROUP, ()))
    except Exception:  # broken metadata must not break config loading
        return table
    for ep in group:
        dist = getattr(ep, 'dist', None)
        table.setdefault(ep.name, dist.metadata['Name'] if dist is not None else ep.name)
    return table


def split_package_path(cfg_path: str, require_dir: bool = True) -> tuple[str, str]:
    """Split ``'pkg::dir/file.py'`` into ``('pkg', 'dir/file.py')``.

    Without ``require_dir`` the part after ``::`` may be a bare model name
    (``'mmdet::faster-rcnn_r50_fpn_1x_coco'``), looked up in the model index.
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
            "e.g. 'mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py'")
    return parts[0], parts[1]


def package_dir(package: str) -> str:
    """Directory of an installed, known package (not imported)."""
    if package not in known_scopes():
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
    such as ``'mmdet::faster-rcnn_r50_fpn_1x_coco'`` is first looked up in
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
