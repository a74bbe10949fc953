"""Model wrappers for distributed training.

Importing this package registers torch's ``DistributedDataParallel`` and
``DataParallel`` and engine's wrappers in ``MODEL_WRAPPERS``.
``MMFullyShardedDataParallel`` is registered as a placeholder that imports
the real class (and torch's slow-to-import FSDP) on first build.
"""

from typing import Any

from engine.registry import MODEL_WRAPPERS

from .distributed import MMDistributedDataParallel
from .seperate_distributed import MMSeparateDistributedDataParallel
from .utils import FSDP_WRAP_POLICIES, is_model_wrapper

__all__ = ['MMDistributedDataParallel', 'MMSeparateDistributedDataParallel',
           'MMFullyShardedDataParallel', 'FSDP_WRAP_POLICIES', 'is_model_wrapper']


def _build_fsdp(*args: Any, **kwargs: Any) -> Any:
    """Registry placeholder: import the FSDP wrapper (registering the class) and build it."""
    from .fully_sharded_distributed import MMFullyShardedDataParallel
    return MMFullyShardedDataParallel(*args, **kwargs)


if 'MMFullyShardedDataParallel' not in MODEL_WRAPPERS:
    MODEL_WRAPPERS.register_module(name='MMFullyShardedDataParallel', module=_build_fsdp)


def __getattr__(name: str) -> Any:
    if name == 'MMFullyShardedDataParallel':
        from .fully_sharded_distributed import MMFullyShardedDataParallel
        return MMFullyShardedDataParallel
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
