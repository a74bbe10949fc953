"""Registry analysis: walk registry trees and count registered modules."""

from __future__ import annotations

import importlib
import os
import os.path as osp
from typing import Any

from .registry import Registry
from .root import ROOT_REGISTRIES

__all__ = ['traverse_registry_tree', 'count_registered_modules', 'REGISTERING_PACKAGES']

#: Upper-layer packages that register modules into the root registries. They
#: are imported by name at call time; ones not installed are skipped.
REGISTERING_PACKAGES = (
    'engine.dataset', 'engine.evaluator', 'engine.hooks', 'engine.model', 'engine.optim',
    'engine.runner', 'engine.visualization',
)


def traverse_registry_tree(registry: Registry, verbose: bool = True) -> list[dict[str, Any]]:
    """Summarise every registry of ``registry``'s tree, root first, depth-first.

    Each entry is ``{'num_modules': n, 'scope': scope, <folder>: [names]}``
    where ``<folder>`` is the module path of the registered objects without
    its last part, joined by ``/`` (``''`` for ``__main__``).
    """
    summaries: list[dict[str, Any]] = []

    def visit(node: Registry) -> None:
        entry: dict[str, Any] = {'num_modules': len(node), 'scope': node.scope}
        for name, obj in node.module_dict.items():
            folder = '/'.join(obj.__module__.split('.')[:-1])
            entry.setdefault(folder, []).append(name)
        summaries.append(entry)
        if verbose:
            print(f"Find {len(node)} modules in {node.scope}'s '{node.name}' registry ")
        for child in node.children.values():
            visit(child)

    visit(registry.root)
    return summaries


def _import_registering_packages() -> None:
    for name in REGISTERING_PACKAGES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as err:
            # Tolerate "not installed", not a broken import inside it.
            if err.name is None or not name.startswith(err.name):
                raise


def count_registered_modules(save_path: str | None = None,
                             verbose: bool = True) -> dict[str, Any]:
    """Count the modules of every root registry's tree.

    First imports the installed engine packages that register modules. With
    ``save_path``, writes ``modules_statistic_results.json`` there.
    """
    import datetime
    import json
    import tempfile

    _import_registering_packages()
    registries = {
        name: traverse_registry_tree(registry, verbose)
        for name, registry in ROOT_REGISTRIES.items()
    }
    result = {
        'scan_date': datetime.datetime.now().strftime('%Y-%m-%d %H:%M:%S'),
        'registries': registries,
    }
    if verbose:
        print('Finish registry analysis, got: ', result)
    if save_path is not None:
        os.makedirs(save_path, exist_ok=True)
        json_path = osp.join(save_path, 'modules_statistic_results.json')
        # Write next to the target and rename: no half-written file on failure.
        fd, tmp_path = tempfile.mkstemp(dir=save_path, suffix='.tmp')
        try:
            with os.fdopen(fd, 'w') as f:
                json.dump(result, f, indent=2)
            os.replace(tmp_path, json_path)
        except BaseException:
            os.unlink(tmp_path)
            raise
        if verbose:
            print(f'Result has been saved to {json_path}')
    return result
