"""Telling a config author which argument of a call they got wrong, and the nearest right one.

Used where a config's fields become a call's keyword arguments: registry builds,
loop configs, ``clip_grad``, a hook's pass-through arguments. Only error paths
import ``inspect`` and ``difflib``, which are slow to import.
"""

from __future__ import annotations

from typing import Any, Callable, Optional


def did_you_mean(name: str, candidates: Any, n: int = 3) -> str:
    """`` Did you mean 'X'?`` for the ``n`` nearest candidates, or ``''`` when none is near."""
    import difflib

    close = difflib.get_close_matches(name.rpartition('.')[2], list(candidates), n=n)
    if not close:
        return ''
    return ' Did you mean ' + ' or '.join(repr(c) for c in close) + '?'


def accepted_arguments(target: Any) -> Optional[list]:
    """Names ``target(...)`` takes as keywords; None without a signature.

    A constructor that forwards ``**kwargs`` to its base class (a mixin such as
    ``MultiStepLR``'s) accepts what the bases' ``__init__`` methods accept too.
    """
    import inspect

    def names(params: list) -> list:
        return [p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]

    try:
        params = list(inspect.signature(target).parameters.values())
    except (TypeError, ValueError):  # builtins without a signature
        return None
    accepted = names(params)
    forwards = any(p.kind is p.VAR_KEYWORD for p in params)
    bases = [k for k in getattr(target, '__mro__', ())[1:] if '__init__' in vars(k)]
    for base in bases:
        if not forwards or base is object:
            break
        try:
            params = list(inspect.signature(base.__init__).parameters.values())[1:]  # self
        except (TypeError, ValueError):
            break
        accepted += [name for name in names(params) if name not in accepted]
        forwards = any(p.kind is p.VAR_KEYWORD for p in params)
    return accepted


def check_arguments(target: Callable, what: str, *args: Any, **kwargs: Any) -> None:
    """TypeError ``'<what>: <why> (it takes ...)'`` when ``target(*args, **kwargs)``
    would not bind, before anything is built or run.

    The names listed leave out those ``args`` fill; a misspelled keyword also gets
    the nearest accepted name.
    """
    import inspect

    try:
        inspect.signature(target).bind(*args, **kwargs)
    except TypeError as err:
        import re

        accepted = (accepted_arguments(target) or [])[len(args):]
        unexpected = re.search(r"unexpected keyword argument '(\w+)'", str(err))
        hint = did_you_mean(unexpected.group(1), accepted) if unexpected else ''
        raise TypeError(f'{what}: {err} (it takes {", ".join(accepted)}).{hint}') from err
