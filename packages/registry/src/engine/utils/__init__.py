"""Pure-Python utilities of engine (no torch, no numpy).

``engine.utils`` is owned by engine-registry; other distributions add
submodules to it (engine-dist ships ``engine.utils.dl_utils``), hence the
``extend_path`` below.
"""

from pkgutil import extend_path

__path__ = extend_path(__path__, __name__)  # type: ignore[name-defined]  # noqa: F821
