"""Each package installs on its own: real wheels into fresh virtual envs.

The wheels are built from the tree; third-party dependencies (pyyaml, addict)
are fetched once with ``pip download`` into a folder, then every install runs
with ``--no-index --find-links`` so only those files are used.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import venv
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(600)


def _run(cmd, **kwargs) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kwargs)
    assert proc.returncode == 0, f'{cmd} failed:\n{proc.stdout}\n{proc.stderr}'
    return proc


@pytest.fixture(scope='module')
def wheelhouse(built_wheels, tmp_path_factory) -> Path:
    house = tmp_path_factory.mktemp('wheelhouse')
    for wheel in built_wheels.values():
        (house / wheel.name).write_bytes(wheel.read_bytes())
    _run([sys.executable, '-m', 'pip', 'download', '--quiet', '--only-binary', ':all:',
          '--dest', house, 'pyyaml>=5.1', 'addict>=2.4'])
    return house


class Venv:
    def __init__(self, path: Path, wheelhouse: Path):
        venv.EnvBuilder(with_pip=True, clear=True).create(path)
        self.python = path / 'bin' / 'python'
        self.wheelhouse = wheelhouse

    def pip(self, *args):
        return _run([self.python, '-m', 'pip', '--disable-pip-version-check', *args])

    def install(self, *requirements, no_deps=False):
        extra = ['--no-deps'] if no_deps else []
        return self.pip('install', '--quiet', '--no-index', '--find-links', self.wheelhouse,
                        *extra, *requirements)

    def python_out(self, code: str, cwd: Path) -> str:
        return _run([self.python, '-c', textwrap.dedent(code)], cwd=cwd).stdout.strip()


def _write_config_tree(folder: Path) -> Path:
    (folder / 'base.py').write_text("model = dict(type='Net', depth=18, norm=dict(type='BN'))\n"
                                    "lr = 0.1\n")
    child = folder / 'child.py'
    child.write_text("_base_ = './base.py'\nmodel = dict(depth=50)\n")
    return child


def test_engine_config_alone_then_with_meta_package(wheelhouse, tmp_path):
    env = Venv(tmp_path / 'venv', wheelhouse)
    env.install('engine-config')
    child = _write_config_tree(tmp_path)
    code = f'''
        import importlib.util, sys
        from engine.config import Config
        cfg = Config.fromfile({str(child)!r})
        assert cfg.model.depth == 50 and cfg.model.norm.type == 'BN' and cfg.lr == 0.1
        assert importlib.util.find_spec('torch') is None, 'torch is installed'
        assert importlib.util.find_spec('numpy') is None, 'numpy is installed'
        print('ok')
    '''
    assert env.python_out(code, tmp_path) == 'ok'
    installed = env.pip('list', '--format=freeze').stdout
    assert 'engine-registry' in installed and 'torch' not in installed

    # the meta-package on top (its other dependencies left out on purpose)
    env.install('engine', no_deps=True)
    assert env.python_out('''
        import engine, sys
        from engine import Config
        assert engine.Config is Config
        assert 'torch' not in sys.modules
        print(engine.__version__)
    ''', tmp_path) == '0.1.0'

    # uninstalling the meta-package leaves every other package working
    env.pip('uninstall', '--yes', 'engine')
    assert env.python_out(f'''
        import engine
        from engine.config import Config
        from engine.registry import Registry
        assert not hasattr(engine, '__version__'), 'meta-package still present'
        print(Config.fromfile({str(child)!r}).model.depth)
    ''', tmp_path) == '50'


def test_engine_registry_alone(wheelhouse, tmp_path):
    env = Venv(tmp_path / 'venv', wheelhouse)
    env.install('engine-registry')
    assert env.python_out('''
        import importlib.util
        from engine.registry import Registry
        from engine.utils import import_modules_from_strings
        MODELS = Registry('model', scope='demo')

        @MODELS.register_module()
        class Net:
            def __init__(self, depth):
                self.depth = depth

        assert MODELS.build(dict(type='Net', depth=3)).depth == 3
        assert importlib.util.find_spec('engine.config') is None
        assert importlib.util.find_spec('yaml') is None
        print('ok')
    ''', tmp_path) == 'ok'
