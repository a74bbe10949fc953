"""Small general helpers (type checks, sequence helpers, module imports)."""

from __future__ import annotations

import importlib
import warnings
from types import ModuleType
from typing import Any


def import_modules_from_strings(imports: Any, allow_failed_imports: bool = False
                                ) -> ModuleType | list[ModuleType | None] | None:
    """Import modules named by a string or a list of strings.

    Used by ``custom_imports`` in configs: the imported modules register their
    classes as a side effect. A falsy ``imports`` returns None; a string
    returns one module, a list returns a list in the same order.
    """
    if not imports:
        return None
    single = isinstance(imports, str)
    if single:
        imports = [imports]
    if not isinstance(imports, list):
        raise TypeError(f'custom_imports must be a list but got type {type(imports)}')
    imported: list[ModuleType | None] = []
    for name in imports:
        if not isinstance(name, str):
            raise TypeError(f'{name} is of type {type(name)} and cannot be imported.')
        try:
            module = importlib.import_module(name)
        except ImportError as err:
            if not allow_failed_imports:
                raise ImportError(f'Failed to import {name}') from err
            warnings.warn(f'{name} failed to import and is ignored.', UserWarning, stacklevel=2)
            module = None
        imported.append(module)
    return imported[0] if single else imported
