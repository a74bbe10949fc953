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

from operator import attrgetter, itemgetter

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
_PLAIN_CALL: dict = {}  # (model class, preprocessor class) -> whether the shortcut applies

# Each reads its hook dicts in one C call: this check runs on every training step,
# where each bytecode of Python counts.
_module_hooks = itemgetter(*_MODULE_HOOKS)  # of a module's instance dict
_global_hooks = attrgetter(*_GLOBAL_HOOKS)  # of torch.nn.modules.module


def _plain_call(cls: type) -> bool:
    """Calling instances of ``cls`` is nn.Module's call, on a torch we know."""
    return _shortcut_supported() and all(
        getattr(cls, name) is getattr(nn.Module, name) for name in _CALL_METHODS)


def _remember_classes(model_class: type, preprocessor_class: type) -> bool:
    plain = _PLAIN_CALL[model_class, preprocessor_class] = (
        _plain_call(model_class) and _plain_call(preprocessor_class))
    return plain


def forwards_directly(model: nn.Module, preprocessor: nn.Module) -> bool:
    """Whether calling ``forward`` equals calling the module, for both modules of a
    training step (one call for the pair: it runs once per step)."""
    classes = type(model), type(preprocessor)
    plain = _PLAIN_CALL.get(classes)
    if plain is None:
        plain = _remember_classes(*classes)
    if not plain:
        return False
    # the test nn.Module._call_impl makes before its own shortcut, on the instance
    # dicts (attribute reads on a module never take CPython's fast path: nn.Module
    # defines __getattr__)
    state, other = model.__dict__, preprocessor.__dict__
    return not (any(_module_hooks(state)) or any(_module_hooks(other))
                or any(_global_hooks(torch_module))
                or state.get('_compiled_call_impl') is not None
                or other.get('_compiled_call_impl') is not None)
