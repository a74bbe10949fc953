"""Which hook methods run at a point, and calling them cheaply every iteration.

``Runner.call_hook(name, **kwargs)`` is the general entry point. The training
loops call the two per-iteration points through :func:`call_iter_hooks`
instead: the same methods in the same order, with the arguments passed by
position, which spares a keyword dict per hook on every step.
"""

from __future__ import annotations

import inspect
from typing import Callable, Sequence

from engine.hooks import Hook

# A hook method's parameters after ``runner`` at each per-iteration point.
ITER_ARGS = {
    'before_train_iter': ('batch_idx', 'data_batch'),
    'after_train_iter': ('batch_idx', 'data_batch', 'outputs'),
}


def hook_methods(hooks: Sequence[Hook], fn_name: str) -> tuple:
    """Bound ``fn_name`` methods of ``hooks``, in order, leaving out base-class no-ops.

    A point no hook uses then costs one dict lookup per call.
    """
    methods = []
    base = getattr(Hook, fn_name, None)
    for hook in hooks:
        method = getattr(hook, fn_name, None)
        if method is None:
            continue
        # a method set on the instance (hook.after_train_epoch = fn) always runs
        if (base is not None and fn_name not in getattr(hook, '__dict__', ())
                and Hook._is_noop(type(hook), fn_name)):
            continue
        methods.append(method)
    return tuple(methods)


_BY_POSITION: dict = {}  # (function, names) -> takes_by_position; hook classes repeat


def takes_by_position(method: Callable, names: Sequence[str]) -> bool:
    """True when ``method(runner, *values)`` binds ``values`` to ``names``, as keywords would."""
    key = (getattr(method, '__func__', method), tuple(names))
    try:
        return _BY_POSITION[key]
    except (KeyError, TypeError):  # TypeError: an unhashable callable
        pass
    result = _signature_matches(method, names)
    try:
        _BY_POSITION[key] = result
    except TypeError:
        pass
    return result


def _signature_matches(method: Callable, names: Sequence[str]) -> bool:
    try:
        params = list(inspect.signature(method).parameters.values())
    except (TypeError, ValueError):  # no introspectable signature
        return False
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    if len(params) < len(names) + 1 or any(p.kind not in positional
                                           for p in params[:len(names) + 1]):
        return False
    return [p.name for p in params[1:len(names) + 1]] == list(names)


def positional_callable(method: Callable, names: Sequence[str]) -> Callable:
    """``method`` itself when it takes ``names`` by position, else an adapter that
    passes them as keywords (a hook written as ``after_train_iter(self, runner, **kw)``)."""
    if takes_by_position(method, names):
        return method

    def by_keyword(runner, *values):
        return method(runner, **dict(zip(names, values)))

    by_keyword.__self__ = getattr(method, '__self__', method)  # for error messages
    return by_keyword


_NO_OUTPUTS = object()


def call_iter_hooks(runner, fn_name: str, batch_idx: int, data_batch,
                    outputs=_NO_OUTPUTS) -> None:
    """``runner.call_hook(fn_name, batch_idx=..., data_batch=...[, outputs=...])``, faster.

    Runs through ``runner._iter_dispatch`` (point -> callables, emptied when a
    hook is registered); a runner without it, which is how a Runner subclass
    overriding ``call_hook`` is marked, gets ``call_hook`` itself.
    """
    cache = getattr(runner, '_iter_dispatch', None)
    if cache is None:
        kwargs = dict(batch_idx=batch_idx, data_batch=data_batch)
        if outputs is not _NO_OUTPUTS:
            kwargs['outputs'] = outputs
        runner.call_hook(fn_name, **kwargs)
        return
    callables = cache.get(fn_name)
    if callables is None:
        callables = cache[fn_name] = tuple(
            positional_callable(method, ITER_ARGS[fn_name])
            for method in runner._dispatch_list(fn_name))
    try:
        # spelled out per arity: a star-call would build an argument tuple per hook
        if outputs is _NO_OUTPUTS:
            for method in callables:
                method(runner, batch_idx, data_batch)
        else:
            for method in callables:
                method(runner, batch_idx, data_batch, outputs)
    except TypeError as err:
        raise TypeError(f'{err} in {method.__self__}') from err
