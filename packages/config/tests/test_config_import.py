"""``import engine.config`` stays light: no torch, no numpy."""

import subprocess
import sys

import engine.config


def test_import_loads_neither_torch_nor_numpy():
    code = ('import sys, engine.config; '
            'from engine.config import Config; '
            'Config.fromstring("a = dict(b=[1, (2, 3)])", ".py").pretty_text; '
            'print(sorted(m for m in ("torch", "numpy") if m in sys.modules))')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == '[]'


def test_public_names():
    assert engine.config.__version__ == '0.1.0'
    assert {'Config', 'ConfigDict', 'DictAction'} <= set(engine.config.__all__)
    for name in engine.config.__all__:
        assert hasattr(engine.config, name)


def test_import_skips_typing_and_pkgutil():
    # Both cost milliseconds per process start; with the meta-package
    # installed its __init__ must not bring them in either. Some interpreters
    # (site hooks) load them at startup already: only what the import adds counts.
    def loaded_after(statement: str) -> str:
        code = (f'import sys; {statement}; '
                'print(sorted(m for m in ("typing", "pkgutil") if m in sys.modules))')
        return subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                              check=True).stdout.strip()

    assert loaded_after('import engine.config') == loaded_after('pass')
