"""List the registered modules of every registry, with where each is defined.

``engine registry`` lists every registry tree (the root scope ``engine`` and
the downstream scopes loaded); ``engine registry mmdet`` only the registries
of one scope; ``--find NAME`` answers "why is my type not found" and "where
is this type's code" with ``module:line`` and the file path.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import inspect
from typing import Any, Iterator

from .errors import CLIError

HELP = 'list registered modules with the module:line defining each'


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('scope', nargs='?', default=None, metavar='SCOPE',
                        help="only the registries of this scope (e.g. 'engine', 'mmdet')")
    parser.add_argument('--find', metavar='NAME',
                        help='show the registries holding NAME (case-insensitive substring)')


def where_defined(obj: Any) -> tuple:
    """``(module:line, file)`` of a registered class or function; line 0 if unknown."""
    module = getattr(obj, '__module__', None) or '?'
    try:
        target = inspect.unwrap(obj)
        path = inspect.getsourcefile(target) or inspect.getfile(target)
        lines, line = inspect.getsourcelines(target)
    except (OSError, TypeError):
        return f'{module}:0', None
    # point at the `class`/`def` line, not at the decorators above it
    for offset, text in enumerate(lines):
        if text.lstrip().startswith(('class ', 'def ', 'async def ')):
            line += offset
            break
    return f'{module}:{line}', path


# Registries that live outside engine.registry.root (module, attribute).
EXTRA_REGISTRIES = (('engine.dataset', 'COLLATE_FUNCTIONS'),)


def _extra_registries() -> list:
    found = []
    for module_name, attribute in EXTRA_REGISTRIES:
        try:
            found.append(getattr(importlib.import_module(module_name), attribute))
        except (ImportError, AttributeError):
            continue  # that package is not installed
    return found


def iter_registries(scope: str | None = None) -> Iterator:
    """Every registry of every root tree (depth-first), optionally of one scope only."""
    from engine.registry.root import ROOT_REGISTRIES

    def visit(node):
        if scope is None or node.scope == scope:
            yield node
        for child in node.children.values():
            yield from visit(child)

    for registry in [*ROOT_REGISTRIES.values(), *_extra_registries()]:
        yield from visit(registry)


def _load(scope: str | None) -> None:
    from engine.registry import count_registered_modules, import_scope_modules

    count_registered_modules(verbose=False)  # imports every package that registers modules
    if scope is not None:
        import_scope_modules(scope)


def run(args: argparse.Namespace) -> int:
    _load(args.scope)
    registries = list(iter_registries(args.scope))
    if not registries:
        scopes = sorted({r.scope for r in iter_registries()})
        raise CLIError(f'no registries of scope {args.scope!r}; loaded scopes: '
                       f'{", ".join(scopes)}')
    if args.find:
        return _find(registries, args.find)
    for registry in registries:
        print(f'{registry.scope}::{registry.name} ({len(registry)} modules)')
        width = max((len(name) for name in registry.module_dict), default=0)
        for name, obj in sorted(registry.module_dict.items()):
            print(f'  {name:<{width}}  {where_defined(obj)[0]}')
    return 0


def _find(registries: list, query: str) -> int:
    needle = query.lower()
    hits = [(registry, name, obj) for registry in registries
            for name, obj in sorted(registry.module_dict.items()) if needle in name.lower()]
    if not hits:
        names = sorted({name for r in registries for name in r.module_dict})
        close = difflib.get_close_matches(query, names, n=3, cutoff=0.6)
        hint = f'; did you mean {", ".join(close)}?' if close else ''
        raise CLIError(f'no registered module matches {query!r}{hint} (a module registers '
                       f'itself when imported: add it to custom_imports in the config)')
    for registry, name, obj in hits:
        location, path = where_defined(obj)
        print(f'{name}  in {registry.scope}::{registry.name}  {location}')
        if path:
            print(f'  {path}:{location.rsplit(":", 1)[1]}')
    return 0
