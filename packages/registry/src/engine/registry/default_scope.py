"""DefaultScope: the scope in which unprefixed registry keys are resolved."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from contextlib import contextmanager

from engine.utils.manager import ManagerMixin, _lock

__all__ = ['DefaultScope']

_overwrite_counter = itertools.count()


class DefaultScope(ManagerMixin):
    """Names the current default scope (e.g. ``'mmdet'``).

    While one exists, ``Registry.build`` through the standard build functions
    resolves in the registry of the tree whose scope is ``scope_name``.
    Create it with ``DefaultScope.get_instance('task', scope_name='mmdet')``.
    """

    def __init__(self, name: str, scope_name: str) -> None:
        super().__init__(name)
        assert isinstance(scope_name, str), \
            f'scope_name should be a string, but got {scope_name!r} of type {type(scope_name)}'
        self._scope_name = scope_name

    @property
    def scope_name(self) -> str:
        """The scope this instance selects."""
        return self._scope_name

    @classmethod
    def get_current_instance(cls) -> DefaultScope | None:  # type: ignore[override]
        """The most recently created DefaultScope, or None if there is none."""
        with _lock:
            if not cls._instance_dict:  # type: ignore[attr-defined]
                return None
            return super().get_current_instance()

    @classmethod
    @contextmanager
    def overwrite_default_scope(cls, scope_name: str | None) -> Iterator[None]:
        """Make ``scope_name`` the current scope inside the block (None: no-op).

        Instances created inside the block are discarded on exit, and the
        previously current one is current again.
        """
        if scope_name is None:
            yield
            return
        snapshot = cls._instance_dict.copy()  # type: ignore[attr-defined]
        # time.time() alone can repeat within one clock tick; the counter cannot.
        name = f'overwrite-{time.time()}-{next(_overwrite_counter)}'
        cls.get_instance(name, scope_name=scope_name)
        try:
            yield
        finally:
            with _lock:
                cls._instance_dict = snapshot  # type: ignore[attr-defined]

    def __repr__(self) -> str:
        return f'{type(self).__name__}(name={self.instance_name!r}, scope_name={self.scope_name!r})'


