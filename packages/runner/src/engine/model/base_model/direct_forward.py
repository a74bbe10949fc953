"""Call a module's ``forward`` directly when ``module(...)`` would add nothing to it.

``nn.Module.__call__`` checks for hooks, compilation and tracing before it
calls ``forward``; with none of them it still costs ~9,000 instructions a
call on CPython 3.11 (two Python frames and a ``*args, **kwargs`` repack).
The training step calls two modules per iteration (the data preprocessor and
the model), so it asks :func:`direct_forward` which callable to use.

The answer is the module itself whenever anything could run around
``forward``: a forward or backward hook on the module, a global module hook,
``module.compile()``, or a class that overrides ``__call__``. On a torch
without the attributes checked here the module is always called, so
behaviour never depends on this shortcut. JIT tracing is not checked (a call
into torch costs as much as the shortcut saves): the training step, its only
user, updates parameters and cannot be traced.
"""

from __future__ import annotations

from typing import Any, Callable

import torch.nn as nn
import torch.nn.modules.module as torch_module

__all__ = ['direct_forward']

_GLOBAL_HOOKS = ('_global_backward_pre_hooks', '_global_backward_hooks',
                 '_global_forward_pre_hooks', '_global_forward_hooks')
_MODULE_HOOKS = ('_backward_pre_hooks', '_backward_hooks', '_forward_pre_hooks',
                 '_forward_hooks')


def _shortcut_supported() -> bool:
    """Whether this torch keeps hooks where :func:`direct_forward` looks for them."""
    probe = nn.Module()
    return (all(isinstance(getattr(torch_module, name, None), dict) for name in _GLOBAL_HOOKS)
            and all(isinstance(probe.__dict__.get(name), dict) for name in _MODULE_HOOKS)
            # None on the class; module.compile() sets it on the instance
            and getattr(nn.Module, '_compiled_call_impl', False) is None)


_CALL_METHODS = ('__call__', '_wrapped_call_impl', '_call_impl')
_PLAIN_CALL: dict = {}  # class -> whether the shortcut applies to its instances


def _remember_class(cls: type) -> bool:
    """Once per class: calling its instances is nn.Module's call, on a torch we know."""
    plain = _PLAIN_CALL[cls] = _shortcut_supported() and all(
        getattr(cls, name) is getattr(nn.Module, name) for name in _CALL_METHODS)
    return plain


def direct_forward(module: nn.Module) -> Callable[..., Any]:
    """``module.forward`` if calling it equals calling ``module``, else ``module``."""
    plain = _PLAIN_CALL.get(type(module))
    if plain is None:
        plain = _remember_class(type(module))
    if not plain:
        return module
    # Attribute reads on a module never take CPython's fast path (nn.Module
    # defines __getattr__): one read of __dict__, then plain subscripts.
    state = module.__dict__
    # the test nn.Module._call_impl makes before its own shortcut
    if (state['_forward_hooks'] or state['_forward_pre_hooks']
            or state['_backward_hooks'] or state['_backward_pre_hooks']
            or state.get('_compiled_call_impl') is not None
            or torch_module._global_forward_hooks or torch_module._global_forward_pre_hooks
            or torch_module._global_backward_hooks or torch_module._global_backward_pre_hooks):
        return module
    return module.forward
