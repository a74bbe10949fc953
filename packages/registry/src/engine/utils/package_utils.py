"""Installed-package helpers and the downstream scope -> distribution table.

The table (spec decision 5) maps a registry scope such as ``mmdet`` to the
distribution that provides it. It is used by ``pkg::`` config inheritance and
by the automatic registration on scope switch. Besides the built-in entries
for the libraries the seed names, any installed distribution can declare its
scope through an entry point in the ``engine.scopes`` group::

    [project.entry-points."engine.scopes"]
    mylib = "mylib.utils:register_all_modules"   # or just "mylib"

The entry point's name is the scope; its value is either a callable that
registers the library's modules or a module whose import does.
"""

from __future__ import annotations

import importlib
import importlib.util
import os.path as osp
import re
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from importlib.metadata import Distribution

__all__ = [
    'PKG2PROJECT', 'SCOPE_ENTRY_POINT_GROUP', 'call_command', 'install_package',
    'get_installed_path', 'is_installed', 'get_scope_distributions', 'get_scope_entry_point',
    'package2module',
]

SCOPE_ENTRY_POINT_GROUP = 'engine.scopes'

# scope name -> distribution name, for the libraries the seed knows about.
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


def _normalize(name: str) -> str:
    # PEP 503 normalisation: case, '-', '_' and '.' do not matter.
    return re.sub(r'[-_.]+', '-', name).lower()


def _find_distribution(package: str) -> Distribution | None:
    """The installed distribution called ``package`` (any case/separator)."""
    # Imported here: importlib.metadata costs ~20 ms, too much for `import engine.config`.
    import importlib.metadata as metadata

    # importlib.metadata re-reads sys.path on each call, so distributions
    # installed at runtime are found.
    try:
        return metadata.distribution(package)
    except metadata.PackageNotFoundError:
        pass
    wanted = _normalize(package)
    for dist in metadata.distributions():
        name = dist.metadata['Name']
        if name and _normalize(name) == wanted:
            return dist
    return None


def is_installed(package: str) -> bool:
    """Whether a distribution called ``package`` is installed (case-insensitive)."""
    importlib.invalidate_caches()
    return _find_distribution(package) is not None


def package2module(package: str) -> str:
    """Top-level module name of the installed distribution ``package``.

    Raises ValueError when the distribution's metadata does not say.
    """
    dist = _find_distribution(package)
    if dist is None:
        raise ValueError(f'package {package!r} is not installed')
    top_level = dist.read_text('top_level.txt')
    if top_level:
        return top_level.split('\n')[0].strip()
    # Wheels built by modern backends omit top_level.txt: use the file list.
    for file in dist.files or ():
        parts = file.parts
        if len(parts) >= 2 and parts[1] == '__init__.py':
            return parts[0]
        if len(parts) == 1 and parts[0].endswith('.py'):
            return parts[0][:-3]
    raise ValueError(f'can not infer the module name of {package}')


def get_installed_path(package: str) -> str:
    """Directory of the installed ``package`` (e.g. ``.../site-packages/mmcls``).

    ``<location>/<package>`` if it exists, otherwise the directory of the
    distribution's top-level module (``mmcv-full`` -> ``mmcv``).
    """
    dist = _find_distribution(package)
    if dist is None:
        raise ValueError(f'package {package!r} is not installed')
    location = str(dist.locate_file(''))
    possible = osp.join(location, package)
    if osp.exists(possible):
        return possible
    module_name = package2module(package)
    possible = osp.join(location, module_name)
    if osp.exists(possible):
        return possible
    # Editable installs keep the code elsewhere; ask the import system.
    spec = importlib.util.find_spec(module_name)
    if spec is not None and spec.submodule_search_locations:
        return list(spec.submodule_search_locations)[0]
    return possible


def call_command(cmd: list) -> None:
    """Run ``cmd``; a non-zero exit raises CalledProcessError."""
    import subprocess

    subprocess.check_call(cmd)


def install_package(package: str) -> None:
    """``pip install package`` unless it is already installed."""
    if not is_installed(package):
        call_command([sys.executable, '-m', 'pip', 'install', package])


_entry_point_cache: dict[str, Any] | None = None


def _scope_entry_points(refresh: bool = False) -> dict[str, Any]:
    global _entry_point_cache
    if _entry_point_cache is None or refresh:
        import importlib.metadata as metadata

        eps = metadata.entry_points()
        if hasattr(eps, 'select'):
            group = eps.select(group=SCOPE_ENTRY_POINT_GROUP)
        else:  # Python < 3.10 returns a dict of lists
            group = eps.get(SCOPE_ENTRY_POINT_GROUP, [])  # type: ignore[attr-defined]
        _entry_point_cache = {ep.name: ep for ep in group}
    return _entry_point_cache


def get_scope_entry_point(scope: str, refresh: bool = False) -> Any:
    """The ``engine.scopes`` entry point declaring ``scope``, or None."""
    return _scope_entry_points(refresh).get(scope)


def get_scope_distributions(refresh: bool = False) -> dict[str, str]:
    """Every known scope mapped to its distribution name.

    The built-in ``PKG2PROJECT`` entries plus the scopes declared through
    ``engine.scopes`` entry points by installed distributions (those win).
    ``refresh`` re-scans the entry points, e.g. after installing a package.
    """
    table = dict(PKG2PROJECT)
    for name, ep in _scope_entry_points(refresh).items():
        dist = getattr(ep, 'dist', None)  # Python >= 3.10
        table[name] = dist.metadata['Name'] if dist is not None else name
    return table
