"""What the README shows works: the demo (``hatch run demo``, shortened to 2 epochs) learns
and says where its outputs went, the example configs name only registered types, and the
tour is the runnable examples/tour.py."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / 'examples' / 'digits' / 'train.py'

pytest.importorskip('sklearn', reason='the demo reads sklearn.datasets.load_digits')


def test_short_demo_learns_and_prints_existing_paths(tmp_path):
    work_dir = tmp_path / 'digits'
    proc = subprocess.run([sys.executable, str(DEMO), '--epochs', '2', '--work-dir',
                           str(work_dir)], cwd=tmp_path, capture_output=True, text=True,
                          timeout=280, env=dict(os.environ, PYTHONWARNINGS='ignore'))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout

    accuracy = float(re.search(r'^val accuracy: ([\d.]+)', out, re.M).group(1))
    assert accuracy > 0.5, out  # chance is 0.1

    paths = dict(re.findall(r'^  (log|checkpoints|best|last|scalars|tensorboard|plot): +(\S+)$',
                            out, re.M))
    assert set(paths) == {'log', 'checkpoints', 'best', 'last', 'scalars', 'tensorboard',
                          'plot'}, out
    for name, path in paths.items():
        assert Path(path).exists(), (name, path)
        assert Path(path).resolve().is_relative_to(work_dir.resolve()), (name, path)
    assert re.fullmatch(r'best_accuracy_epoch_\d\.pth', Path(paths['best']).name)
    assert list(Path(paths['tensorboard']).glob('events.out.tfevents.*'))
    with open(paths['scalars']) as f:
        logged = [json.loads(line) for line in f]
    assert [r['step'] for r in logged if 'accuracy' in r] == [1, 2]
    assert Path(paths['plot']).read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'


def _types(node) -> list:
    if isinstance(node, dict):
        found = [node['type']] if isinstance(node.get('type'), str) else []
        return found + [t for value in node.values() for t in _types(value)]
    if isinstance(node, (list, tuple)):
        return [t for value in node for t in _types(value)]
    return []


@pytest.mark.parametrize('config', sorted((ROOT / 'examples').glob('**/config*.py')),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_example_configs_load_and_name_registered_types(config, monkeypatch):
    from engine.config import Config
    from engine.dataset import COLLATE_FUNCTIONS
    from engine.registry import count_registered_modules
    from engine.registry.root import ROOT_REGISTRIES

    monkeypatch.syspath_prepend(str(config.parent))  # what `engine train` does
    cfg = Config.fromfile(config)  # runs custom_imports: the example's classes register
    count_registered_modules(verbose=False)
    types = _types(cfg.to_dict())
    assert 'Accuracy' in types and 'DigitsDataset' in types
    registries = [*ROOT_REGISTRIES.values(), COLLATE_FUNCTIONS]
    for name in types:
        assert any(registry.get(name) is not None for registry in registries), name


def test_readme_tour_is_examples_tour_and_runs(tmp_path):
    readme = (ROOT / 'README.md').read_text()
    assert 'hatch run test' in readme and 'hatch run demo' in readme
    pyproject = (ROOT / 'pyproject.toml').read_text()
    assert re.search(r'^demo = "python examples/digits/train.py \{args\}"$', pyproject, re.M)

    tour = (ROOT / 'examples' / 'tour.py').read_text()
    body = tour.split('\n', 1)[1].strip('\n')  # without its docstring line
    assert f'```python\n{body}\n```' in readme
    proc = subprocess.run([sys.executable, str(ROOT / 'examples' / 'tour.py')], cwd=tmp_path,
                          capture_output=True, text=True, timeout=240,
                          env=dict(os.environ, OMP_NUM_THREADS='1', PYTHONWARNINGS='ignore'))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (tmp_path / 'work_dirs' / 'tour' / 'epoch_5.pth').is_file()
    losses = [float(x) for x in re.findall(r'Epoch\(train\) \[\d\]\S*  .*loss: ([\d.]+)',
                                           proc.stdout)]
    assert len(losses) == 5 and losses[-1] < losses[0] / 4, proc.stdout
