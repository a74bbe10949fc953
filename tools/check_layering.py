#!/usr/bin/env python3
"""Enforce the layering table of DESIGN.md from the source.

For every package under ``packages/`` it parses each module of ``src/engine``
and checks that

1. every ``engine.X`` import maps to a package that is the importer itself or
   one of its declared ``engine-*`` dependencies, and that those declared
   dependencies are allowed by the layering table below;
2. the torch-free packages (registry, config, fileio) import neither torch
   nor numpy at module level, and no package imports one of its optional
   extras (``requests``, ``lmdb``, ``wandb``, ...) at module level;
3. no non-meta package imports the top-level ``engine`` module (it belongs to
   the meta-package, which may not be installed);
4. module-level imports between engine modules form no cycle.

Run it directly (exit code 1 on violations) or call :func:`check` from tests.
Only the standard library is used so it runs before anything is installed.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass, field
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11
    import tomli as tomllib  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parents[1]

# DESIGN.md's table: package -> engine packages it may import.
ALLOWED = {
    'engine-registry': set(),
    'engine-config': {'engine-registry'},
    'engine-fileio': {'engine-registry'},
    'engine-dist': {'engine-registry', 'engine-fileio'},
    'engine-structures': {'engine-registry'},
    'engine-optim': {'engine-registry', 'engine-dist'},
    'engine-visualization': {'engine-registry', 'engine-config', 'engine-fileio', 'engine-dist'},
    'engine-runner': {'engine-registry', 'engine-config', 'engine-fileio', 'engine-dist',
                      'engine-structures', 'engine-optim', 'engine-visualization'},
}
ALLOWED['engine'] = set(ALLOWED) - {'engine'}
TORCH_FREE = {'engine-registry', 'engine-config', 'engine-fileio'}
HEAVY = {'torch', 'numpy'}
# import name of a third-party distribution, where it differs
IMPORT_NAMES = {'pyyaml': 'yaml', 'pymemcache': 'pymemcache', 'tensorboard': 'tensorboard'}


@dataclass
class Package:
    name: str
    folder: Path
    deps: set[str]
    extras: set[str]  # import names of optional third-party dependencies
    modules: dict[str, Path] = field(default_factory=dict)  # dotted name -> file


def _dist_name(requirement: str) -> str:
    for i, ch in enumerate(requirement):
        if not (ch.isalnum() or ch in '-_.'):
            return requirement[:i].lower()
    return requirement.lower()


def load_packages(root: Path = ROOT) -> dict[str, Package]:
    packages = {}
    for pyproject in sorted(root.glob('packages/*/pyproject.toml')):
        meta = tomllib.loads(pyproject.read_text())['project']
        deps = {_dist_name(r) for r in meta.get('dependencies', [])}
        extras = set()
        for reqs in meta.get('optional-dependencies', {}).values():
            for r in reqs:
                name = _dist_name(r)
                if not name.startswith('engine'):
                    extras.add(IMPORT_NAMES.get(name, name.replace('-', '_')))
        pkg = Package(meta['name'], pyproject.parent,
                      {d for d in deps if d.startswith('engine')}, extras)
        src = pyproject.parent / 'src'
        for path in sorted(src.rglob('*.py')):
            parts = list(path.relative_to(src).with_suffix('').parts)
            if parts[-1] == '__init__':
                parts.pop()
            pkg.modules['.'.join(parts)] = path
        packages[pkg.name] = pkg
    return packages


def _owner(module: str, owners: dict[str, str]) -> str | None:
    """The package owning ``module``: longest registered prefix wins."""
    parts = module.split('.')
    for n in range(len(parts), 0, -1):
        prefix = '.'.join(parts[:n])
        if prefix in owners:
            return owners[prefix]
    return None


def _imports(path: Path, module: str, is_pkg: bool):
    """Yield (target module, line, at_module_level, imported names)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    function_nodes = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)

    def visit(node, top_level):
        for child in ast.iter_child_nodes(node):
            level = top_level and not isinstance(child, function_nodes)
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield alias.name, child.lineno, top_level, ()
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = module.split('.') if is_pkg else module.split('.')[:-1]
                    base = base[:len(base) - (child.level - 1)]
                    target = '.'.join(base + ([child.module] if child.module else []))
                else:
                    target = child.module or ''
                yield target, child.lineno, top_level, tuple(a.name for a in child.names)
            else:
                yield from visit(child, level)

    yield from visit(tree, True)


def _is_type_checking_guard(path: Path) -> set[int]:
    """Line numbers of imports under ``if TYPE_CHECKING:`` (never executed)."""
    lines = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.If) and 'TYPE_CHECKING' in ast.unparse(node.test):
            for sub in ast.walk(node):
                if isinstance(sub, (ast.Import, ast.ImportFrom)):
                    lines.add(sub.lineno)
    return lines


def check(root: Path = ROOT) -> list[str]:
    packages = load_packages(root)
    owners = {m: p.name for p in packages.values() for m in p.modules}
    all_modules = set(owners)
    errors: list[str] = []
    graph: dict[str, set[str]] = {}

    for pkg in packages.values():
        allowed = ALLOWED.get(pkg.name)
        if allowed is None:
            errors.append(f'{pkg.folder}: package {pkg.name} is not in the layering table')
            continue
        for dep in sorted(pkg.deps - allowed):
            errors.append(f'{pkg.folder}/pyproject.toml: {pkg.name} declares {dep}, '
                          f'which the layering table does not allow (allowed: {sorted(allowed)})')
        for module, path in pkg.modules.items():
            rel = path.relative_to(root)
            guarded = _is_type_checking_guard(path)
            is_pkg = path.name == '__init__.py'
            edges = graph.setdefault(module, set())
            for target, line, top_level, names in _imports(path, module, is_pkg):
                where = f'{rel}:{line}'
                top = target.split('.')[0]
                if top_level and line not in guarded:
                    if pkg.name in TORCH_FREE and top in HEAVY:
                        errors.append(f'{where}: {pkg.name} must not import {top} at module level')
                    if top in pkg.extras:
                        errors.append(f'{where}: {top} is an optional extra of {pkg.name}; '
                                      'import it lazily where it is used')
                if top != 'engine':
                    continue
                if target == 'engine' and pkg.name != 'engine':
                    submodules = [n for n in names if f'engine.{n}' in all_modules]
                    if len(submodules) != len(names):
                        errors.append(f'{where}: imports the top-level `engine` module, which '
                                      'belongs to the meta-package; import from engine.<module>')
                    targets = [f'engine.{n}' for n in submodules]
                else:
                    # `from engine.x import y` is an edge to submodule engine.x.y when
                    # y is one, else to engine.x itself
                    submodules = [f'{target}.{n}' for n in names
                                  if f'{target}.{n}' in all_modules]
                    targets = submodules
                    if len(submodules) != len(names) or not names:
                        targets = [target] + submodules
                for t in targets:
                    owner = _owner(t, owners)
                    if owner is None:
                        errors.append(f'{where}: imports {t}, which no package provides')
                        continue
                    if owner != pkg.name and owner not in pkg.deps:
                        errors.append(f'{where}: {pkg.name} imports {t} (from {owner}) '
                                      'without declaring it as a dependency')
                    if top_level and line not in guarded:
                        resolved = t
                        while resolved not in all_modules and '.' in resolved:
                            resolved = resolved.rsplit('.', 1)[0]
                        if resolved != module:
                            edges.add(resolved)
    errors.extend(_cycles(graph))
    return errors


def _cycles(graph: dict[str, set[str]]) -> list[str]:
    """Report each import cycle once (iterative DFS)."""
    errors, state, seen_cycles = [], {}, set()
    for start in sorted(graph):
        if state.get(start):
            continue
        stack = [(start, iter(sorted(graph.get(start, ()))))]
        path = [start]
        state[start] = 1  # on stack
        while stack:
            node, children = stack[-1]
            for child in children:
                if state.get(child) == 1:
                    cycle = path[path.index(child):] + [child]
                    key = frozenset(cycle)
                    if key not in seen_cycles:
                        seen_cycles.add(key)
                        errors.append('import cycle: ' + ' -> '.join(cycle))
                elif not state.get(child):
                    state[child] = 1
                    path.append(child)
                    stack.append((child, iter(sorted(graph.get(child, ())))))
                    break
            else:
                state[node] = 2
                path.pop()
                stack.pop()
    return errors


def main() -> int:
    errors = check()
    for err in errors:
        print(err)
    if errors:
        print(f'{len(errors)} layering violation(s)')
        return 1
    print('layering: ok')
    return 0


if __name__ == '__main__':
    sys.exit(main())
