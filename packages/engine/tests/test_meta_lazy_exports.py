"""The meta-package re-exports lazily and stays light."""

from __future__ import annotations

import subprocess
import sys

import pytest


def _run(code: str) -> str:
    proc = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_import_engine_config_loads_neither_torch_nor_numpy():
    out = _run('import sys, engine, engine.config, engine.registry, engine.utils\n'
               'print(sorted(m for m in ("torch", "numpy") if m in sys.modules))')
    assert out == '[]'


def test_top_level_name_resolves_to_the_package_object():
    import engine
    from engine.utils import import_modules_from_strings

    assert engine.import_modules_from_strings is import_modules_from_strings
    from engine import check_file_exist  # the `from engine import x` form
    assert check_file_exist.__module__ == 'engine.utils.path'


def test_torch_free_lookup_does_not_import_torch():
    out = _run('import sys, engine\n'
               'engine.import_modules_from_strings\n'
               'print("torch" in sys.modules)')
    assert out == 'False'


def test_submodules_are_attributes():
    import engine
    import engine.config

    assert engine.config is sys.modules['engine.config']
    assert engine.fileio is sys.modules['engine.fileio']


def test_unknown_name_raises_attribute_error_naming_it():
    import engine

    with pytest.raises(AttributeError, match="no attribute 'NoSuchThing'"):
        engine.NoSuchThing  # noqa: B018
    assert not hasattr(engine, '__wrapped__')


def test_dir_lists_public_names_and_version():
    import engine

    names = dir(engine)
    assert 'import_modules_from_strings' in names
    assert 'config' in names and '__version__' in names
    assert engine.__version__ == '0.1.0'


def test_namespace_spans_every_package_folder():
    import engine

    folders = {p.replace('\\', '/').split('/packages/')[-1].split('/')[0] for p in engine.__path__}
    assert {'engine', 'registry', 'config', 'fileio', 'dist', 'structures', 'optim',
            'visualization', 'runner'} <= folders


def test_meta_package_extend_path_matches_pkgutil(tmp_path, monkeypatch):
    import os
    import pkgutil

    import engine

    extend = engine._extend_path
    portion = tmp_path / 'site' / 'engine'
    portion.mkdir(parents=True)
    (tmp_path / 'site' / 'engine.pkg').write_text('# a comment\n/extra/from/pkg/file\n\n')
    monkeypatch.syspath_prepend(str(tmp_path / 'site'))
    monkeypatch.setattr(sys, 'path', sys.path + [b'/bytes/entry/ignored', str(tmp_path / 'no')])
    own = [os.path.dirname(engine.__file__)]
    ours = extend(own, 'engine')
    assert ours == pkgutil.extend_path(own, 'engine')
    assert str(portion) in ours and '/extra/from/pkg/file' in ours and own == [own[0]]
    assert extend(('frozen',), 'engine') == ('frozen',)
