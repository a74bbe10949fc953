"""Which hook methods run at a point, and calling them cheaply every iteration.

``Runner.call_hook(name, **kwargs)`` is the general entry point. The training
loops call the two per-iteration points themselves, from :func:`train_iter_hooks`:
the same methods in the same order, with the arguments passed by position,
which spares a keyword dict per hook and a dispatch call per point on every
step.
"""

from __future__ import annotations

import inspect
from typing import Callable, NoReturn, Sequence

from engine.hooks import Hook, ParamSchedulerHook

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
    # and nothing after them that a positional call would leave unbound
    rest_bound = all(p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
                     for p in params[len(names) + 1:])
    return rest_bound and [p.name for p in params[1:len(names) + 1]] == list(names)


def positional_callable(method: Callable, names: Sequence[str]) -> Callable:
    """``method`` itself when it takes ``names`` by position, else an adapter that
    passes them as keywords (a hook written as ``after_train_iter(self, runner, **kw)``)."""
    if takes_by_position(method, names):
        return method

    def by_keyword(runner, *values):
        return method(runner, **dict(zip(names, values)))

    by_keyword.__self__ = getattr(method, '__self__', method)  # for error messages
    return by_keyword


def train_iter_hooks(runner) -> tuple:
    """``(before, after)``: the callables of ``before_train_iter`` and
    ``after_train_iter``, taking ``(runner, batch_idx, data_batch[, outputs])``
    by position, as the training loops call them.

    Cached in ``runner._train_iter_hooks`` (reset when a hook is registered or
    ``runner.param_schedulers`` is assigned); methods :func:`_idle` names are left out. A
    runner whose class overrides ``call_hook`` (``runner._own_call_hook``) gets
    callables that go through it, so that its dispatch is used.
    """
    if runner._own_call_hook:
        hooks = tuple((_through_call_hook(point),) for point in ITER_ARGS)
    else:
        hooks = tuple(tuple(positional_callable(method, names)
                            for method in runner._dispatch_list(point)
                            if not _idle(method, runner))
                      for point, names in ITER_ARGS.items())
    runner._train_iter_hooks = hooks
    return hooks


def _idle(method: Callable, runner) -> bool:
    """Whether ``method`` is known to do nothing at every iteration of ``runner``
    as it is now: ``ParamSchedulerHook.after_train_iter`` (not a subclass's)
    while ``runner.param_schedulers`` is None. Assigning the schedulers resets
    the cached list, so ones set mid-run are stepped from the next iteration."""
    return (getattr(method, '__func__', None) is ParamSchedulerHook.after_train_iter
            and runner.param_schedulers is None)


def _through_call_hook(point: str) -> Callable:
    names = ITER_ARGS[point]

    def call(runner, *values):
        runner.call_hook(point, **dict(zip(names, values)))

    return call


def reraise_naming_hook(error: TypeError, hook: Callable) -> NoReturn:
    """Raise the ``TypeError`` a hook raised again, naming the hook (RUN-26).

    A function set on a hook instance, or a call through ``call_hook`` (which
    names its hooks itself), has no ``__self__``: its error goes on unchanged.
    """
    owner = getattr(hook, '__self__', None)
    if owner is None:
        raise error
    raise TypeError(f'{error} in {owner}') from error
