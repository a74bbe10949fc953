"""Pure-Python utilities of engine (no torch, no numpy).

``engine.utils`` is owned by engine-registry; other distributions add
submodules to it (engine-dist ships ``engine.utils.dl_utils``), hence the
``extend_path`` below.
"""

from pkgutil import extend_path

__path__ = extend_path(__path__, __name__)  # type: ignore[name-defined]  # noqa: F821

from .misc import import_modules_from_strings
from .path import check_file_exist

__all__ = ['import_modules_from_strings', 'check_file_exist']
