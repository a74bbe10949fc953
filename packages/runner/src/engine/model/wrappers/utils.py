"""``is_model_wrapper``: is a module one of the registered wrappers (DDP, FSDP, ...)?"""

from __future__ import annotations

import torch.nn as nn

from engine.registry import MODEL_WRAPPERS, Registry

__all__ = ['is_model_wrapper', 'FSDP_WRAP_POLICIES']


def is_model_wrapper(model: nn.Module, registry: Registry = MODEL_WRAPPERS) -> bool:
    """True if ``model`` is an instance of a class in ``registry`` or any registry below it.

    Downstream libraries register their wrappers in child registries of
    ``MODEL_WRAPPERS``; the whole tree is searched.
    """
    pending = [registry]
    while pending:
        current = pending.pop()
        wrapper_types = tuple(cls for cls in current.module_dict.values() if isinstance(cls, type))
        if wrapper_types and isinstance(model, wrapper_types):
            return True
        pending.extend(current.children.values())
    return False


#: Auto-wrap policies for ``MMFullyShardedDataParallel(fsdp_auto_wrap_policy='name')``.
#: Lives here, not beside FSDP, so registering a policy does not import FSDP.
FSDP_WRAP_POLICIES = Registry('fsdp wrap policy', scope='engine')
