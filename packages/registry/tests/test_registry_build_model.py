"""build_model_from_cfg (BUILD-08): torch only for the list form."""

import subprocess
import sys

import pytest

from engine.registry import Registry, build_model_from_cfg


def test_single_cfg_needs_no_torch():
    code = '''
import sys
from engine.registry import MODELS
@MODELS.register_module()
class Tiny:
    def __init__(self, width=1):
        self.width = width
assert MODELS.build(dict(type='Tiny', width=3)).width == 3
assert 'torch' not in sys.modules, 'torch imported'
print('ok')
'''
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == 'ok'


def test_list_cfg_builds_sequential():
    torch = pytest.importorskip('torch')
    model_pkg = pytest.importorskip('engine.model')
    if not hasattr(model_pkg, 'Sequential'):
        pytest.skip('engine.model.Sequential is not available yet')
    models = Registry('model', build_func=build_model_from_cfg, scope='bm_scope')
    models.register_module(module=torch.nn.Linear)
    models.register_module(module=torch.nn.ReLU)
    seq = models.build([dict(type='Linear', in_features=2, out_features=3), dict(type='ReLU')])
    assert isinstance(seq, model_pkg.Sequential)
    assert isinstance(seq[0], torch.nn.Linear) and isinstance(seq[1], torch.nn.ReLU)
    assert seq(torch.ones(1, 2)).shape == (1, 3)
