"""Call ``forward`` directly when calling the module would add nothing to it.

``nn.Module.__call__`` checks for hooks, compilation and tracing before it
calls ``forward``; with none of them it still costs ~9,000 instructions a
call on CPython 3.11 (two Python frames and a ``*args, **kwargs`` repack).
The training step calls two modules per iteration (the data preprocessor and
the model), so it asks :func:`forwards_directly` whether it may call their
``forward`` methods instead.

The answer is no whenever anything could run around
``forward``: a forward or backward hook on either module, a global module hook,
``module.compile()``, or a class that overrides ``__call__``. On a torch
without the attributes checked here the modules are always called, so
behaviour never depends on this shortcut. JIT tracing is not checked (a call
into torch costs as much as the shortcut saves): the training step, its only
user, updates parameters and cannot be traced.
"""

from __future__ import annotations

import torch.nn as nn
import torch.nn.modules.module as torch_module

__all__ = ['forwards_directly']

_GLOBAL_HOOKS = ('_global_backward_pre_hooks', '_global_backward_hooks',
                 '_global_forward_pre_hooks', '_global_forward_hooks')
_MODULE_HOOKS = ('_backward_pre_hooks', '_backward_hooks', '_forward_pre_hooks',
                 '_forward_hooks')


def _shortcut_supported() -> bool:
    """Whether this torch keeps hooks where :func:`forwards_directly` looks for them."""
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


def forwards_directly(model: nn.Module, preprocessor: nn.Module) -> bool:
    """Whether calling ``forward`` equals calling the module, for both modules of a
    training step (one call for the pair: it runs once per step)."""
    model_plain = _PLAIN_CALL.get(type(model))
    preprocessor_plain = _PLAIN_CALL.get(type(preprocessor))
    if model_plain is None:
        model_plain = _remember_class(type(model))
    if preprocessor_plain is None:
        preprocessor_plain = _remember_class(type(preprocessor))
    if not (model_plain and preprocessor_plain):
        return False
    # the test nn.Module._call_impl makes before its own shortcut, on the instance
    # dicts (attribute reads on a module never take CPython's fast path: nn.Module
    # defines __getattr__)
    state, other = model.__dict__, preprocessor.__dict__
    return not (state['_forward_hooks'] or state['_forward_pre_hooks']
                or state['_backward_hooks'] or state['_backward_pre_hooks']
                or other['_forward_hooks'] or other['_forward_pre_hooks']
                or other['_backward_hooks'] or other['_backward_pre_hooks']
                or state.get('_compiled_call_impl') is not None
                or other.get('_compiled_call_impl') is not None
                or torch_module._global_forward_hooks
                or torch_module._global_forward_pre_hooks
                or torch_module._global_backward_hooks
                or torch_module._global_backward_pre_hooks)
