"""Small general helpers (type checks, sequence helpers, module imports)."""

from __future__ import annotations

import collections.abc
import functools
import importlib
import itertools
import warnings
from collections.abc import Iterable
from types import ModuleType
from typing import Any, Callable

__all__ = [
    'is_str', 'iter_cast', 'list_cast', 'tuple_cast', 'is_seq_of', 'is_list_of',
    'is_tuple_of', 'slice_list', 'concat_list', 'check_prerequisites', 'requires_package',
    'requires_executable', 'PrerequisiteError', 'deprecated_api_warning', 'has_method',
    'is_method_overridden', 'import_modules_from_strings', 'to_1tuple', 'to_2tuple',
    'to_3tuple', 'to_4tuple', 'to_ntuple',
]


def import_modules_from_strings(imports: Any, allow_failed_imports: bool = False
                                ) -> ModuleType | list[ModuleType | None] | None:
    """Import modules named by a string or a list of strings.

    Used by ``custom_imports`` in configs: the imported modules register their
    classes as a side effect. A falsy ``imports`` returns None; a string
    returns one module, a list returns a list in the same order.
    """
    if not imports:
        return None
    single = isinstance(imports, str)
    if single:
        imports = [imports]
    if not isinstance(imports, list):
        raise TypeError(f'custom_imports must be a list but got type {type(imports)}')
    imported: list[ModuleType | None] = []
    for name in imports:
        if not isinstance(name, str):
            raise TypeError(f'{name} is of type {type(name)} and cannot be imported.')
        try:
            module = importlib.import_module(name)
        except ImportError as err:
            if not allow_failed_imports:
                raise ImportError(f'Failed to import {name}') from err
            warnings.warn(f'{name} failed to import and is ignored.', UserWarning, stacklevel=2)
            module = None
        imported.append(module)
    return imported[0] if single else imported


def is_str(x: Any) -> bool:
    """Whether ``x`` is a str (deprecated: use ``isinstance(x, str)``)."""
    return isinstance(x, str)


def iter_cast(inputs: Iterable, dst_type: type, return_type: type | None = None) -> Any:
    """Cast every element of ``inputs`` to ``dst_type``.

    Returns an iterator, or a ``return_type`` container when one is given.
    """
    if not isinstance(inputs, collections.abc.Iterable):
        raise TypeError('inputs must be an iterable object')
    if not isinstance(dst_type, type):
        raise TypeError('"dst_type" must be a valid type')
    out = map(dst_type, inputs)
    return out if return_type is None else return_type(out)


def list_cast(inputs: Iterable, dst_type: type) -> list:
    """``iter_cast`` into a list."""
    return iter_cast(inputs, dst_type, return_type=list)


def tuple_cast(inputs: Iterable, dst_type: type) -> tuple:
    """``iter_cast`` into a tuple."""
    return iter_cast(inputs, dst_type, return_type=tuple)


def is_seq_of(seq: Any, expected_type: type | tuple, seq_type: type | None = None) -> bool:
    """Whether ``seq`` is a ``seq_type`` (default: any Sequence) of ``expected_type`` items."""
    if seq_type is None:
        exp_seq_type: type = collections.abc.Sequence
    else:
        assert isinstance(seq_type, type), f'seq_type must be a type, but got {seq_type!r}'
        exp_seq_type = seq_type
    if not isinstance(seq, exp_seq_type):
        return False
    return all(isinstance(item, expected_type) for item in seq)


def is_list_of(seq: Any, expected_type: type | tuple) -> bool:
    """``is_seq_of`` with ``seq_type=list``."""
    return is_seq_of(seq, expected_type, seq_type=list)


def is_tuple_of(seq: Any, expected_type: type | tuple) -> bool:
    """``is_seq_of`` with ``seq_type=tuple``."""
    return is_seq_of(seq, expected_type, seq_type=tuple)


def slice_list(in_list: list, lens: int | list[int]) -> list[list]:
    """Cut ``in_list`` into consecutive pieces of the given lengths.

    An int ``lens`` means equal pieces of that length.
    """
    if isinstance(lens, int):
        assert len(in_list) % lens == 0, (
            f'list length {len(in_list)} is not divisible by {lens}')
        lens = [lens] * (len(in_list) // lens)
    if not isinstance(lens, list):
        raise TypeError('"indices" must be an integer or a list of integers')
    if sum(lens) != len(in_list):
        raise ValueError('sum of lens and list length does not '
                         f'match: {sum(lens)} != {len(in_list)}')
    out, idx = [], 0
    for n in lens:
        out.append(in_list[idx:idx + n])
        idx += n
    return out


def concat_list(in_list: Iterable[Iterable]) -> list:
    """Flatten one level: ``[[1, 2], [3]] -> [1, 2, 3]``."""
    return list(itertools.chain(*in_list))


class PrerequisiteError(RuntimeError, ImportError):
    """A prerequisite of a decorated function is missing.

    A RuntimeError (reference implementation) and an ImportError (documented
    for ``requires_package``), so either expectation holds.
    """


def check_prerequisites(
        prerequisites: str | list[str], checker: Callable[[str], bool],
        msg_tmpl: str = 'Prerequisites "{}" are required in method "{}" but not '
        'found, please install them first.') -> Callable:
    """Decorator factory: check ``prerequisites`` with ``checker`` at call time."""

    def wrap(func: Callable) -> Callable:

        @functools.wraps(func)
        def wrapped_func(*args, **kwargs):
            requirements = [prerequisites] if isinstance(prerequisites, str) else prerequisites
            missing = [item for item in requirements if not checker(item)]
            if missing:
                msg = msg_tmpl.format(', '.join(missing), func.__name__)
                print(msg)
                raise PrerequisiteError(f'Prerequisites not meet. {msg}')
            return func(*args, **kwargs)

        return wrapped_func

    return wrap


def _check_py_package(package: str) -> bool:
    try:
        importlib.import_module(package)
    except ImportError:
        return False
    return True


def _check_executable(cmd: str) -> bool:
    import subprocess

    try:
        return subprocess.call(['which', cmd], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL) == 0
    except OSError:
        return False


def requires_package(prerequisites: str | list[str]) -> Callable:
    """Decorator: the function needs these importable packages."""
    return check_prerequisites(prerequisites, checker=_check_py_package)


def requires_executable(prerequisites: str | list[str]) -> Callable:
    """Decorator: the function needs these executables on PATH."""
    return check_prerequisites(prerequisites, checker=_check_executable)


def deprecated_api_warning(name_dict: dict[str, str], cls_name: str | None = None) -> Callable:
    """Decorator renaming deprecated keyword arguments (old -> new) with a warning."""

    def api_warning_wrapper(old_func: Callable) -> Callable:

        @functools.wraps(old_func)
        def new_func(*args, **kwargs):
            import inspect  # only for decorated functions, when called
            arg_names = inspect.getfullargspec(old_func).args
            func_name = old_func.__name__
            if cls_name is not None:
                func_name = f'{cls_name}.{func_name}'
            for src, dst in name_dict.items():
                positional_hit = src in arg_names[:len(args)]
                if positional_hit or src in kwargs:
                    warnings.warn(f'"{src}" is deprecated in `{func_name}`, please use '
                                  f'"{dst}" instead', DeprecationWarning, stacklevel=2)
                if src in kwargs:
                    assert dst not in kwargs, (
                        f'The expected behavior is to replace the deprecated key `{src}` '
                        f'to new key `{dst}`, but got them in the arguments at the same time, '
                        f'which is confusing. `{src}` will be deprecated in the future, please '
                        f'use `{dst}` instead.')
                    kwargs[dst] = kwargs.pop(src)
            return old_func(*args, **kwargs)

        return new_func

    return api_warning_wrapper


def has_method(obj: object, method: str) -> bool:
    """Whether ``obj`` has a callable attribute ``method``."""
    return callable(getattr(obj, method, None))


def is_method_overridden(method: str, base_class: type, derived_class: type | Any) -> bool:
    """Whether ``derived_class`` (a class or an instance) overrides ``base_class.method``."""
    assert isinstance(base_class, type), \
        "base_class doesn't accept instance, Please pass class instead."
    if not isinstance(derived_class, type):
        derived_class = derived_class.__class__
    return getattr(derived_class, method) != getattr(base_class, method)


def to_ntuple(n: int) -> Callable[[Any], Any]:
    """Return a parser that repeats a non-iterable value ``n`` times.

    Iterables (lists and strings included) are returned unchanged.
    """

    def parse(x: Any) -> Any:
        if isinstance(x, collections.abc.Iterable):
            return x
        return tuple(itertools.repeat(x, n))

    return parse


to_1tuple = to_ntuple(1)
to_2tuple = to_ntuple(2)
to_3tuple = to_ntuple(3)
to_4tuple = to_ntuple(4)
