"""``engine plot`` writes the requested PNG; ``engine registry`` lists and locates types."""

from __future__ import annotations

import json
import re

import pytest

from engine.cli.main import main


def _write_run(folder, losses, accuracies):
    vis = folder / 'vis_data'
    vis.mkdir(parents=True)
    with open(vis / 'scalars.json', 'w') as f:
        for step, loss in enumerate(losses, 1):
            f.write(json.dumps(dict(lr=0.1, loss=loss, time=0.01, epoch=1, step=step)) + '\n')
        for epoch, acc in enumerate(accuracies, 1):
            f.write(json.dumps(dict(accuracy=acc, step=epoch)) + '\n')
    return vis / 'scalars.json'


def test_plot_overlays_runs_into_a_png_of_the_requested_size(tmp_path, engine_cli):
    import matplotlib.image

    # a work dir with a timestamped run, and a second run given as a file
    _write_run(tmp_path / 'work_a' / '20240101_000000', [2.0, 1.0, 0.5], [0.5, 0.8])
    file_b = _write_run(tmp_path / 'work_b', [2.1, 1.5, 0.9], [0.4, 0.7])
    out = tmp_path / 'plots' / 'curves.png'
    proc = engine_cli('plot', tmp_path / 'work_a', file_b, '--keys', 'loss', 'accuracy',
                      '--out', out, '--size', '640x480')
    assert proc.returncode == 0, proc.stderr
    image = matplotlib.image.imread(out)
    assert image.shape[:2] == (480, 640)
    assert image.std() > 0  # something was drawn
    assert [p.name for p in out.parent.iterdir()] == ['curves.png']  # no temp file left

    proc = engine_cli('plot', tmp_path / 'work_a', '--keys', 'acc', '--out', out)
    assert proc.returncode != 0
    assert proc.stderr.strip().splitlines() == [
        f"engine: error: no values for acc in {tmp_path / 'work_a'}; "
        'available keys: lr, loss, accuracy']


def test_plot_names_the_bad_line_of_a_scalars_file(tmp_path, capsys):
    bad = tmp_path / 'scalars.json'
    bad.write_text('{"loss": 1.0, "step": 1}\n{"loss": 0.5, "step"\n')
    assert main(['plot', str(bad), '--out', str(tmp_path / 'x.png')]) == 1
    assert f'{bad}:2: not a JSON line' in capsys.readouterr().err
    assert not (tmp_path / 'x.png').exists()


def test_registry_lists_known_types_with_module_and_line(engine_cli):
    proc = engine_cli('registry')
    assert proc.returncode == 0, proc.stderr
    listing = proc.stdout
    assert re.search(r'^engine::hook \(\d+ modules\)$', listing, re.M)
    for name, module in (('Runner', 'engine.runner.runner'), ('LoggerHook', 'engine.hooks.'),
                         ('SGD', 'torch.optim.')):
        assert re.search(rf'^  {name} +{re.escape(module)}\S*:\d+$', listing, re.M), name


def test_registry_find_points_at_the_defining_line(capsys):
    assert main(['registry', 'engine', '--find', 'LoggerHook']) == 0
    out = capsys.readouterr().out
    path, line = re.search(r'^  (\S+\.py):(\d+)$', out, re.M).groups()
    with open(path) as f:
        assert f.readlines()[int(line) - 1].startswith('class LoggerHook')


@pytest.mark.parametrize('query, hint', [('LogerHook', 'did you mean LoggerHook'),
                                         ('NoSuchThingAtAll', 'custom_imports')])
def test_registry_find_miss_explains_itself(query, hint, capsys):
    assert main(['registry', '--find', query]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and query in err[0] and hint in err[0]
