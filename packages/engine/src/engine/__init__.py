"""engine: a modular training engine for PyTorch.

This ``__init__`` belongs to the meta-package. It does two things:

* extends ``__path__`` so that the ``engine/`` folders of every installed
  ``engine-*`` distribution (regular or editable installs) form one package;
* re-exports every public name of those packages lazily (PEP 562), so
  ``from engine import Config`` works while ``import engine.config`` stays as
  light as it is without the meta-package (no torch, no numpy).
"""

from __future__ import annotations

import importlib
from pkgutil import extend_path
from typing import Any

__path__ = extend_path(__path__, __name__)  # type: ignore[name-defined]  # noqa: F821

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
