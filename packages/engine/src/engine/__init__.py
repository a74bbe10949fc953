"""engine: a modular training engine for PyTorch.

This ``__init__`` belongs to the meta-package. It does two things:

* extends ``__path__`` so that the ``engine/`` folders of every installed
  ``engine-*`` distribution (regular or editable installs) form one package;
* re-exports every public name of those packages lazily (PEP 562), so
  ``from engine import Config`` works while ``import engine.config`` stays as
  light as it is without the meta-package (no torch, no numpy).
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing is not imported at runtime: it costs import time
if TYPE_CHECKING:
    from typing import Any


def _extend_path(path: list, name: str) -> list:
    """What ``pkgutil.extend_path(path, name)`` returns for a top-level package.

    Written out because importing pkgutil also imports typing, weakref and
    functools.singledispatch machinery, most of the cost of ``import engine``.
    Same rules: a copy of ``path`` plus, for every str entry of ``sys.path``
    in order, the portions its path finder reports for ``name`` and the lines
    of a ``<name>.pkg`` file there, never modifying ``path`` itself.
    """
    if not isinstance(path, list):
        return path  # e.g. a frozen package: left as it is
    path = path[:]
    for entry in sys.path:
        if not isinstance(entry, str):
            continue
        finder = _path_finder(entry)
        if finder is not None:
            portions: list = []
            if hasattr(finder, 'find_spec'):
                spec = finder.find_spec(name)
                if spec is not None:
                    portions = spec.submodule_search_locations or []
            elif hasattr(finder, 'find_loader'):
                portions = finder.find_loader(name)[1]
            for portion in portions:
                if portion not in path:
                    path.append(portion)
        pkg_file = os.path.join(entry, name + '.pkg')
        if os.path.isfile(pkg_file):
            try:
                f = open(pkg_file)  # noqa: SIM115  # closed by the with below
            except OSError as err:
                sys.stderr.write(f"Can't open {pkg_file}: {err}\n")
            else:
                with f:
                    for line in f:
                        line = line.rstrip('\n')
                        if line and not line.startswith('#'):
                            path.append(line)  # trusted as is, like pkgutil
    return path


def _path_finder(entry: str):
    """The finder for one ``sys.path`` entry (cached like the import system does)."""
    try:
        return sys.path_importer_cache[entry]
    except KeyError:
        pass
    for hook in sys.path_hooks:
        try:
            finder = hook(entry)
        except ImportError:
            continue
        sys.path_importer_cache.setdefault(entry, finder)
        return finder
    return None


__path__ = _extend_path(__path__, __name__)  # type: ignore[name-defined]  # noqa: F821

__version__ = "0.1.0"

# Searched in this order for a top-level name; the first module exporting it
# wins. The torch-free packages come first so that names they own never
# trigger an import of torch.
_EXPORTING_MODULES = (
    "engine.registry",
    "engine.utils",
    "engine.config",
    "engine.fileio",
    "engine.logging",
    "engine.dist",
    "engine.device",
    "engine.structures",
    "engine.optim",
    "engine.visualization",
    "engine.model",
    "engine.dataset",
    "engine.evaluator",
    "engine.hooks",
    "engine.runner",
    "engine.hub",
)
_SUBMODULES = frozenset(m.rsplit(".", 1)[1] for m in _EXPORTING_MODULES)

_resolved: dict[str, Any] = {}


def _import_optional(module_name: str):
    """Import ``module_name``; ``None`` when its distribution is not installed."""
    import importlib

    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        # Only "this package is not installed" is tolerated; a missing
        # dependency *inside* an installed package must surface.
        if err.name is not None and module_name.startswith(err.name):
            return None
        raise


def __getattr__(name: str) -> Any:
    if name in _resolved:
        return _resolved[name]
    if name in _SUBMODULES:
        import importlib

        module = importlib.import_module(f"{__name__}.{name}")
        return module
    if name.startswith("__"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    for module_name in _EXPORTING_MODULES:
        module = _import_optional(module_name)
        if module is None or name not in getattr(module, "__all__", ()):
            continue
        value = getattr(module, name)
        _resolved[name] = value
        globals()[name] = value  # later lookups skip __getattr__
        return value
    raise AttributeError(
        f"module {__name__!r} has no attribute {name!r}: no installed engine "
        f"package exports it (searched {', '.join(_EXPORTING_MODULES)})")


def __dir__() -> list[str]:
    names = set(globals()) | _SUBMODULES
    for module_name in _EXPORTING_MODULES:
        module = _import_optional(module_name)
        if module is not None:
            names.update(getattr(module, "__all__", ()))
    return sorted(names)
