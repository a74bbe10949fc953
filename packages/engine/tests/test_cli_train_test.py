"""``engine train`` / ``engine test`` end to end, and how their flags change the config."""

from __future__ import annotations

import argparse
import json
import os

import pytest

from engine.cli.errors import CLIError
from engine.cli.main import build_parser
from engine.cli.train import prepare_config


def test_train_resume_then_test_with_the_checkpoint(tiny_config, tmp_path, engine_cli):
    work_dir = tmp_path / 'work'
    # the console script's cwd is not the config's folder: custom_imports must still work
    proc = engine_cli('train', tiny_config, '--work-dir', work_dir, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (work_dir / 'iter_2.pth').is_file()
    assert (work_dir / 'last_checkpoint').read_text().endswith('iter_2.pth')
    assert 'Iter(train) [2/2]' in proc.stdout  # the seed's log-line format

    # --resume without a path continues from the latest checkpoint of the work dir
    proc = engine_cli('train', tiny_config, '--work-dir', work_dir, '--resume',
                      '--cfg-options', 'train_cfg.max_iters=4', cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert 'Iter(train) [3/4]' in proc.stdout and 'Iter(train) [1/4]' not in proc.stdout
    assert (work_dir / 'iter_4.pth').is_file()

    proc = engine_cli('test', tiny_config, work_dir / 'iter_4.pth', '--work-dir',
                      tmp_path / 'test_work', cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith('test metrics: ')
    metrics = json.loads(last[len('test metrics: '):])
    assert set(metrics) == {'mse'} and metrics['mse'] >= 0


def _train_args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(['train', *argv])


def test_train_flags_map_to_the_config_like_openmmlab_tools_train(tiny_config, tmp_path,
                                                                  monkeypatch):
    monkeypatch.delenv('LOCAL_RANK', raising=False)
    cfg = prepare_config(_train_args(str(tiny_config)))
    assert cfg.work_dir == os.path.join('.', 'work_dirs', 'tiny_config')
    assert cfg.launcher == 'none' and 'resume' not in cfg

    cfg = prepare_config(_train_args(str(tiny_config), '--amp', '--resume',
                                     '--launcher', 'pytorch', '--local-rank', '3',
                                     '--work-dir', str(tmp_path)))
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.loss_scale == 'dynamic'
    assert cfg.resume is True and cfg.load_from is None  # auto: latest in work_dir
    assert cfg.launcher == 'pytorch' and os.environ['LOCAL_RANK'] == '3'
    assert cfg.work_dir == str(tmp_path)

    cfg = prepare_config(_train_args(str(tiny_config), '--resume', 'some/iter_2.pth'))
    assert cfg.resume is True and cfg.load_from == 'some/iter_2.pth'


def test_amp_refuses_an_optim_wrapper_it_cannot_switch(tiny_config):
    with pytest.raises(CLIError, match="optim_wrapper.type is OptimWrapper.*'OptimWrapperDict'"):
        prepare_config(_train_args(str(tiny_config), '--amp', '--cfg-options',
                                   'optim_wrapper.type=OptimWrapperDict'))
