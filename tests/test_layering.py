"""The layering table of DESIGN.md holds for the real tree, and the checker
really catches each kind of violation (exercised on small synthetic trees)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load_checker():
    spec = importlib.util.spec_from_file_location('check_layering',
                                                  ROOT / 'tools/check_layering.py')
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


checker = _load_checker()


def test_real_tree_respects_layering():
    errors = checker.check(ROOT)
    assert errors == [], '\n'.join(errors)


def test_cli_exit_code_is_zero_on_real_tree():
    proc = subprocess.run([sys.executable, str(ROOT / 'tools/check_layering.py')],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert 'layering: ok' in proc.stdout


def _make_package(root: Path, folder: str, name: str, modules: dict[str, str],
                  deps=(), extras=None):
    base = root / 'packages' / folder
    dep_list = ', '.join(f'"{d}"' for d in deps)
    text = f'[project]\nname = "{name}"\ndependencies = [{dep_list}]\n'
    if extras:
        text += '[project.optional-dependencies]\n'
        for key, reqs in extras.items():
            text += f'{key} = [' + ', '.join(f'"{r}"' for r in reqs) + ']\n'
    base.mkdir(parents=True)
    (base / 'pyproject.toml').write_text(text)
    for rel, source in modules.items():
        path = base / 'src' / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))


@pytest.fixture
def tree(tmp_path):
    _make_package(tmp_path, 'registry', 'engine-registry', {
        'engine/registry/__init__.py': 'from .core import Registry\n',
        'engine/registry/core.py': 'class Registry: pass\n',
        'engine/utils/__init__.py': '',
    })
    return tmp_path


def test_clean_synthetic_tree_passes(tree):
    assert checker.check(tree) == []


def test_undeclared_engine_import_is_reported(tree):
    _make_package(tree, 'config', 'engine-config', {
        'engine/config/__init__.py': 'from engine.registry import Registry\n'})
    errors = checker.check(tree)
    assert len(errors) == 1
    assert 'engine-config imports engine.registry' in errors[0]
    assert 'without declaring it' in errors[0]
    assert 'config/__init__.py:1' in errors[0]


def test_upward_dependency_is_reported(tree):
    _make_package(tree, 'dist', 'engine-dist', {'engine/dist/__init__.py': ''})
    _make_package(tree, 'fileio', 'engine-fileio', {
        'engine/fileio/__init__.py': 'def f():\n    import engine.dist\n'},
        deps=['engine-registry>=0.1', 'engine-dist>=0.1'])
    errors = checker.check(tree)
    assert any('declares engine-dist, which the layering table does not allow' in e
               for e in errors), errors


def test_torch_at_module_level_in_torch_free_package(tree):
    _make_package(tree, 'fileio', 'engine-fileio', {
        'engine/fileio/__init__.py': 'import numpy as np\n\ndef f():\n    import torch\n'},
        deps=['engine-registry'])
    errors = checker.check(tree)
    assert len(errors) == 1 and 'must not import numpy at module level' in errors[0]


def test_optional_extra_at_module_level(tree):
    _make_package(tree, 'fileio', 'engine-fileio', {
        'engine/fileio/__init__.py':
            'try:\n    import lmdb\nexcept ImportError:\n    lmdb = None\n'},
        deps=['engine-registry'], extras={'lmdb': ['lmdb>=1.0']})
    errors = checker.check(tree)
    assert len(errors) == 1 and 'lmdb is an optional extra of engine-fileio' in errors[0]


def test_type_checking_imports_are_ignored(tree):
    _make_package(tree, 'fileio', 'engine-fileio', {
        'engine/fileio/__init__.py':
            'from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import numpy\n'},
        deps=['engine-registry'])
    assert checker.check(tree) == []


def test_top_level_engine_import_outside_meta(tree):
    _make_package(tree, 'config', 'engine-config', {
        'engine/config/__init__.py': 'from engine import Registry\n'}, deps=['engine-registry'])
    errors = checker.check(tree)
    assert any('top-level `engine` module' in e for e in errors), errors


def test_import_cycle_inside_a_package(tree):
    _make_package(tree, 'config', 'engine-config', {
        'engine/config/__init__.py': 'from .a import A\n',
        'engine/config/a.py': 'from .b import B\nclass A: pass\n',
        'engine/config/b.py': 'from engine.config.a import A\nclass B: pass\n',
    }, deps=['engine-registry'])
    errors = checker.check(tree)
    assert errors == ['import cycle: engine.config.a -> engine.config.b -> engine.config.a']


def test_function_level_import_breaks_no_cycle(tree):
    _make_package(tree, 'config', 'engine-config', {
        'engine/config/__init__.py': '',
        'engine/config/a.py': 'from .b import B\n',
        'engine/config/b.py': 'def late():\n    from .a import A\n',
    }, deps=['engine-registry'])
    assert checker.check(tree) == []


def test_from_package_import_submodule_is_no_cycle(tree):
    _make_package(tree, 'config', 'engine-config', {
        'engine/config/__init__.py': 'from .config import Config\n',
        'engine/config/config.py': 'from . import formats\nclass Config: pass\n',
        'engine/config/formats.py': 'X = 1\n',
    }, deps=['engine-registry'])
    assert checker.check(tree) == []
