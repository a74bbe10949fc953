"""ManagerMixin: named, globally reachable instances per class (§20.1).

A class using :class:`ManagerMeta` keeps its own ordered dict of instances;
``get_instance(name)`` creates or fetches one by name and the most recently
*created* one is the "current" instance.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

__all__ = ['ManagerMeta', 'ManagerMixin', 'InstanceNotCreatedError', 'InstanceArgumentsError']

# One re-entrant lock for every manager class: creation and lookup are rare
# and short, and DefaultScope/MMLogger share it as the reference does.
_lock = threading.RLock()


class InstanceNotCreatedError(RuntimeError, AssertionError):
    """``get_current_instance()`` was called before any instance existed.

    Derives from both RuntimeError (reference implementation) and
    AssertionError (documentation) so either expectation holds.
    """


class InstanceArgumentsError(TypeError, AssertionError):
    """``get_instance`` got constructor arguments for an instance that exists.

    A TypeError for positional arguments (``get_instance(name)`` takes none)
    and an AssertionError as the documentation says: either expectation holds.
    """


class ManagerMeta(type):
    """Metaclass giving each class its own instance dict.

    Raises AssertionError at class creation when the constructor has no
    ``name`` parameter, since instances are created as ``cls(name=...)``.
    """

    def __init__(cls, *args: Any) -> None:
        cls._instance_dict = OrderedDict()
        code = getattr(cls.__init__, '__code__', None)
        if code is not None:  # read the code object: importing inspect is slow
            params = code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]
        else:
            import inspect
            params = inspect.signature(cls.__init__).parameters
        assert 'name' in params, f'{cls} must have the `name` argument'
        super().__init__(*args)


class ManagerMixin(metaclass=ManagerMeta):
    """Mixin that makes instances of a class retrievable by name.

    Subclasses take ``name`` and call ``super().__init__(name)``.
    """

    def __init__(self, name: str = '', **kwargs: Any) -> None:
        assert isinstance(name, str) and name, 'name argument must be an non-empty string.'
        self._instance_name = name

    @classmethod
    def get_instance(cls, name: str, *args: Any, **kwargs: Any) -> Any:
        """Return the instance called ``name``, creating it from ``kwargs`` if new.

        Passing arguments for an existing name is an error (AssertionError):
        they would be silently ignored otherwise. Constructor arguments are
        keywords only.
        """
        assert isinstance(name, str), f'type of name should be str, but got {type(name)}'
        if args:
            raise InstanceArgumentsError(
                f'{cls.__name__}.get_instance() takes the constructor arguments as '
                f'keywords only, but got positional {args!r} for {name!r}')
        with _lock:
            instance_dict = cls._instance_dict  # type: ignore[attr-defined]
            if name not in instance_dict:
                instance = cls(name=name, **kwargs)  # type: ignore[call-arg]
                instance_dict[name] = instance
                return instance
            if kwargs:
                raise InstanceArgumentsError(
                    f'{cls.__name__} instance named {name!r} has been created, the method '
                    '`get_instance` should not accept any other arguments '
                    f'(got {sorted(kwargs)})')
            return instance_dict[name]

    @classmethod
    def get_current_instance(cls) -> Any:
        """Return the most recently created instance.

        Raises InstanceNotCreatedError (a RuntimeError and AssertionError)
        when none has been created yet.
        """
        with _lock:
            instance_dict = cls._instance_dict  # type: ignore[attr-defined]
            if not instance_dict:
                raise InstanceNotCreatedError(
                    f'Before calling {cls.__name__}.get_current_instance(), you should call '
                    'get_instance(name=xxx) at least once.')
            return next(reversed(instance_dict.values()))

    @classmethod
    def check_instance_created(cls, name: str) -> bool:
        """Whether an instance called ``name`` exists."""
        return name in cls._instance_dict  # type: ignore[attr-defined]

    @property
    def instance_name(self) -> str:
        """The name this instance was created with."""
        return self._instance_name
