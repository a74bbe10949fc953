"""Registration of torch's optimizers and ``build_optim_wrapper``."""

from __future__ import annotations

import copy
import inspect
from typing import Any, List, Union

import torch
import torch.nn as nn

from engine.registry import OPTIM_WRAPPER_CONSTRUCTORS, OPTIM_WRAPPERS, OPTIMIZERS

from .optimizer_wrapper import OptimWrapper


def register_torch_optimizers() -> List[str]:
    """Register every ``torch.optim.Optimizer`` subclass in OPTIMIZERS by name.

    Names already taken (a user's own ``SGD`` registered first) are left alone.
    """
    names = []
    for name in dir(torch.optim):
        if name.startswith('__'):
            continue
        obj = getattr(torch.optim, name)
        if inspect.isclass(obj) and issubclass(obj, torch.optim.Optimizer):
            if name not in OPTIMIZERS.module_dict:
                OPTIMIZERS.register_module(module=obj)
            names.append(name)
    return names


TORCH_OPTIMIZERS = register_torch_optimizers()


def build_optim_wrapper(model: nn.Module, cfg: Union[dict, object]) -> OptimWrapper:
    """Build an OptimWrapper (or whatever the constructor returns) from ``cfg``.

    ``cfg`` holds ``optimizer``, optionally ``type`` (default ``OptimWrapper``),
    ``constructor`` (default ``DefaultOptimWrapperConstructor``),
    ``paramwise_cfg`` and the wrapper's own arguments.
    """
    wrapper_cfg = copy.deepcopy(cfg)
    _check_wrapper_type(wrapper_cfg.get('type'))
    constructor_type = wrapper_cfg.pop('constructor', 'DefaultOptimWrapperConstructor')
    paramwise_cfg = wrapper_cfg.pop('paramwise_cfg', None)
    constructor = OPTIM_WRAPPER_CONSTRUCTORS.build(
        dict(type=constructor_type, optim_wrapper_cfg=wrapper_cfg,
             paramwise_cfg=paramwise_cfg))
    return constructor(model)


def _check_wrapper_type(wrapper_type: Any) -> None:
    """An optimizer named as the wrapper's ``type`` (``optim_wrapper=dict(type='SGD', ...)``,
    mmcv's ``optimizer`` config moved up a level) gets a hint, not a bare registry miss."""
    if (isinstance(wrapper_type, str) and OPTIM_WRAPPERS.get(wrapper_type) is None
            and OPTIMIZERS.get(wrapper_type) is not None):
        # the registry's own words first: code may match on them
        raise KeyError(f'{wrapper_type} is not in the optim_wrapper registry: it is an '
                       f'optimizer, which goes in optimizer=dict(type={wrapper_type!r}, ...), '
                       "while type names the wrapper ('OptimWrapper', 'AmpOptimWrapper') or is "
                       'left out')
