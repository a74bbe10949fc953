"""Registry: maps names to classes or functions and builds them from configs.

Registries form trees: a downstream library creates children of the root
registries (``Registry('model', parent=MODELS, scope='mmdet')``); a key
``'mmdet.X'`` addresses another scope of the same tree, and a current
:class:`DefaultScope` redirects builds to the registry of that scope.
"""

from __future__ import annotations

import importlib
import logging
import sys
import types
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Callable

from engine.utils.misc import is_seq_of
from engine.utils.package_utils import PKG2PROJECT, get_scope_entry_point

from .build_functions import build_from_cfg
from .default_scope import DefaultScope

__all__ = ['Registry', 'ROOT_SCOPE', 'ROOT_SCOPE_ALIASES']

logger = logging.getLogger(__name__)

#: Scope of the root registries (spec decision 1).
ROOT_SCOPE = 'engine'
#: Other spellings that address the root scope, for code written for mmengine.
ROOT_SCOPE_ALIASES = ('mmengine',)


class Registry:
    """A mapping from names to classes or functions, with a build function.

    Args:
        name: Registry name, shown in error messages (``'model'``).
        build_func: ``build_func(cfg, *args, registry=..., **kwargs)``; defaults
            to the parent's, then to :func:`build_from_cfg`.
        parent: Parent registry; unprefixed lookups fall back to it.
        scope: Scope name; inferred from the calling module's top-level
            package when omitted (``'mmdet'`` for code under ``mmdet/``).
    """

    def __init__(self, name: str, build_func: Callable | None = None,
                 parent: Registry | None = None, scope: str | None = None) -> None:
        self._name = name
        self._module_dict: dict[str, type | Callable] = {}
        self._children: dict[str, Registry] = {}
        if scope is not None:
            assert isinstance(scope, str), f'scope must be a str, but got {type(scope)}'
            self._scope = scope
        else:
            self._scope = self.infer_scope()

        self.parent: Registry | None = None
        if parent is not None:
            assert isinstance(parent, Registry), \
                f'parent must be a Registry, but got {type(parent)}'
            parent._add_child(self)
            self.parent = parent

        if build_func is not None:
            self.build_func: Callable = build_func
        elif self.parent is not None:
            self.build_func = self.parent.build_func
        else:
            self.build_func = build_from_cfg

    # -- introspection -------------------------------------------------------

    @property
    def name(self) -> str:
        return self._name

    @property
    def scope(self) -> str:
        return self._scope

    @property
    def module_dict(self) -> dict[str, type | Callable]:
        """The live ``{name: class or function}`` dict, in registration order."""
        return self._module_dict

    @property
    def children(self) -> dict[str, Registry]:
        """The ``{scope: Registry}`` dict of direct children."""
        return self._children

    @property
    def root(self) -> Registry:
        """The top of this registry's tree."""
        node = self
        while node.parent is not None:
            node = node.parent
        return node

    def _get_root_registry(self) -> Registry:
        """The reference's name for :attr:`root`, for code written against it."""
        return self.root

    def __len__(self) -> int:
        return len(self._module_dict)

    def __contains__(self, key: str) -> bool:
        return self.get(key) is not None

    def __repr__(self) -> str:
        # The reference's exact form: code written for it compares against it.
        return f'{type(self).__name__}(name={self._name}, items={self._module_dict})'

    def __str__(self) -> str:
        """A readable table of the registered names and objects (``print(reg)``)."""
        header = (f'{type(self).__name__}(name={self._name}, scope={self._scope}, '
                  f'items={len(self._module_dict)})')
        if not self._module_dict:
            return header
        rows = [(key, _describe(obj)) for key, obj in self._module_dict.items()]
        w_name = max(len('Names'), *(len(r[0]) for r in rows))
        w_obj = max(len('Objects'), *(len(r[1]) for r in rows))
        rule = f'+-{"-" * w_name}-+-{"-" * w_obj}-+'
        lines = [header, rule, f'| {"Names":<{w_name}} | {"Objects":<{w_obj}} |', rule]
        lines += [f'| {key:<{w_name}} | {obj:<{w_obj}} |' for key, obj in rows]
        lines.append(rule)
        return '\n'.join(lines)

    # -- scope helpers ---------------------------------------------------------

    @staticmethod
    def infer_scope() -> str:
        """Top-level package name of the module that creates the registry.

        Frames of ``Registry.__init__`` (including subclasses' overrides) and of
        this module are skipped, so subclassing does not change the answer. A
        registry created in a script gets ``'__main__'``.
        """
        frame = sys._getframe(1)
        while frame is not None:
            module_name = frame.f_globals.get('__name__', '')
            in_init = (frame.f_code.co_name == '__init__'
                       and isinstance(frame.f_locals.get('self'), Registry))
            if module_name != __name__ and not in_init:
                return module_name.split('.')[0]
            frame = frame.f_back  # type: ignore[assignment]
        return '__main__'

    @staticmethod
    def split_scope_key(key: str) -> tuple[str | None, str]:
        """Split ``'mmdet.ResNet'`` into ``('mmdet', 'ResNet')`` at the first dot.

        A key without a dot gives ``(None, key)``.
        """
        scope, sep, rest = key.partition('.')
        if not sep:
            return None, key
        return scope, rest

    def _add_child(self, registry: Registry) -> None:
        assert isinstance(registry, Registry)
        assert registry.scope not in self._children, \
            f'scope {registry.scope} exists in {self.name} registry'
        self._children[registry.scope] = registry

    def _search_child(self, scope: str) -> Registry | None:
        """Depth-first search (self first, children in insertion order) for ``scope``."""
        if self._scope == scope:
            return self
        for child in self._children.values():
            found = child._search_child(scope)
            if found is not None:
                return found
        return None

    def _find_scope_registry(self, scope: str) -> Registry | None:
        """The registry of ``scope`` in this tree, searched from the root."""
        root = self.root
        found = root._search_child(scope)
        if found is None and scope in ROOT_SCOPE_ALIASES and root.scope == ROOT_SCOPE:
            found = root
        return found

    # -- lookup ----------------------------------------------------------------

    def get(self, key: str) -> type | Callable | None:
        """The class or function registered as ``key``, or None.

        An unprefixed key is searched here, then in the ancestors. A key
        prefixed with this registry's scope is searched here only; another
        prefix selects a direct child, the root or a child of the root.
        """
        if not isinstance(key, str):
            return None
        scope, real_key = self.split_scope_key(key)
        obj = None
        owner = self
        if scope is None or scope == self._scope:
            obj = self._module_dict.get(real_key)
            if obj is None and scope is None:
                node = self.parent
                while node is not None and obj is None:
                    obj = node._module_dict.get(real_key)
                    owner = node
                    node = node.parent
        elif scope in self._children:
            return self._children[scope].get(real_key)
        else:
            root = self.root
            if root is not self and (scope == root.scope or scope in root._children):
                return root.get(key)
            if scope in ROOT_SCOPE_ALIASES and root.scope == ROOT_SCOPE:
                return root.get(f'{ROOT_SCOPE}.{real_key}')
        if obj is not None:
            logger.debug('Get class `%s` from "%s" registry in "%s"',
                         getattr(obj, '__name__', real_key), owner.name, owner.scope)
        return obj

    # -- registration ----------------------------------------------------------

    def register_module(self, name: str | Sequence[str] | None = None, force: bool = False,
                        module: type | Callable | None = None) -> Any:
        """Register a class or function, as a decorator or a direct call.

        ``@REG.register_module()``, ``@REG.register_module(name='x')`` or
        ``REG.register_module(module=cls)``. ``name`` may be a list of
        names; ``force=True`` overwrites an existing entry.
        """
        if not isinstance(force, bool):
            raise TypeError(f'force must be a boolean, but got {type(force)}')
        if not (name is None or isinstance(name, str) or is_seq_of(name, str)):
            raise TypeError('name must be None, an instance of str, or a sequence of str, '
                            f'but got {type(name)}')
        if module is not None:
            self._register_module(module=module, module_name=name, force=force)
            return module

        def _register(module: type | Callable) -> type | Callable:
            self._register_module(module=module, module_name=name, force=force)
            return module

        return _register

    def _register_module(self, module: Any, module_name: str | Sequence[str] | None = None,
                         force: bool = False) -> None:
        if not isinstance(module, (type, types.FunctionType)):
            raise TypeError(f'module must be a class or a function, but got {type(module)}')
        if module_name is None:
            module_name = module.__name__
        names = [module_name] if isinstance(module_name, str) else list(module_name)
        if not force:
            for index, key in enumerate(names):
                if key in names[:index]:
                    raise KeyError(f'{key} is given twice in the names {names} to register '
                                   f'{module.__name__} in {self.name}')
                if key in self._module_dict:
                    existing = self._module_dict[key]
                    raise KeyError(f'{key} is already registered in {self.name} '
                                   f'at {existing.__module__}')
        for key in names:
            self._module_dict[key] = module

    # -- building ----------------------------------------------------------------

    def build(self, cfg: Any, *args: Any, **kwargs: Any) -> Any:
        """Build an object from ``cfg`` with this registry's build function."""
        return self.build_func(cfg, *args, **kwargs, registry=self)

    @contextmanager
    def switch_scope_and_registry(self, scope: str | None) -> Iterator[Registry]:
        """Make ``scope`` the default scope and yield the registry to build with.

        The yielded registry is the one of the current default scope in this
        tree (searched from the root), or ``self`` when there is no default
        scope or no registry of that scope. ``scope=None`` keeps the current
        default scope. The previous default scope is restored on exit.
        """
        with DefaultScope.overwrite_default_scope(scope):
            default_scope = DefaultScope.get_current_instance()
            registry = self
            if default_scope is not None:
                scope_name = default_scope.scope_name
                import_scope_modules(scope_name)
                found = self._find_scope_registry(scope_name)
                if found is None:
                    logger.warning(
                        'Failed to search registry with scope "%s" in the "%s" registry tree. '
                        'As a workaround, the current "%s" registry in "%s" is used to build '
                        'instance. This may cause unexpected failure when running the built '
                        'modules. Please check whether "%s" is a correct scope, or whether the '
                        'registry is initialized.', scope_name, self.root.name, self.name,
                        self.scope, scope_name)
                else:
                    registry = found
            yield registry


def _describe(obj: Any) -> str:
    module = getattr(obj, '__module__', '?')
    qualname = getattr(obj, '__qualname__', repr(obj))
    kind = 'class' if isinstance(obj, type) else 'function'
    return f'{kind} {module}.{qualname}'


# Scopes whose modules were registered (or failed to): done once per process.
_imported_scopes: set[str] = set()


def import_scope_modules(scope: str) -> None:
    """Register the modules of a known downstream scope (``mmdet``, ...).

    For a scope of the built-in table or of an ``engine.scopes`` entry point,
    call ``<scope>.utils.register_all_modules(False)`` (or the entry point's
    callable), falling back to importing ``<scope>.registry`` so that at least
    its registries join the tree. A missing library is logged as a warning,
    not raised: the build then proceeds in the caller's registry. Entry points
    are scanned once per process (``get_scope_distributions(refresh=True)``
    re-scans after installing a library at runtime).
    """
    if scope in _imported_scopes:
        return
    entry_point = get_scope_entry_point(scope)
    if entry_point is None and scope not in PKG2PROJECT:
        return
    _imported_scopes.add(scope)
    try:
        if entry_point is not None:
            target = entry_point.load()
            if callable(target) and not isinstance(target, types.ModuleType):
                _call_register_all(target)
            return
        try:
            utils = importlib.import_module(f'{scope}.utils')
            register_all = utils.register_all_modules
        except (ImportError, AttributeError):
            importlib.import_module(f'{scope}.registry')
        else:
            _call_register_all(register_all)
    except (ImportError, AttributeError) as err:
        logger.warning('Failed to import the modules of scope "%s" (%s: %s); its registries '
                       'may be missing from the registry tree.', scope,
                       type(err).__name__, err)


def _call_register_all(func: Callable) -> None:
    # Downstream ``register_all_modules(init_default_scope=True)`` would create
    # a DefaultScope of its own; the switch already set the scope.
    try:
        import inspect  # rare path; inspect is slow to import
        inspect.signature(func).bind(False)
    except (TypeError, ValueError):
        func()
    else:
        func(False)
