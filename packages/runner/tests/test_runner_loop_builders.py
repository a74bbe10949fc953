"""The runner's loop builders against the spec (T26, RUN-16/17, LOOP-02/06)."""

from __future__ import annotations

import os
import os.path as osp

import pytest
import torch.nn as nn
from runner_toys import toy_runner_cfg
from torch.utils.data import DataLoader

from engine.dataset import DefaultSampler
from engine.evaluator import Evaluator
from engine.runner import EpochBasedTrainLoop, IterBasedTrainLoop, Runner, ValLoop
from engine.runner import TestLoop as _TestLoop  # not a pytest class


def test_build_loops_from_plain_dicts_use_the_runners_pieces(tmp_path):
    runner = Runner(**toy_runner_cfg(tmp_path))
    epoch_loop = runner.build_train_loop(dict(by_epoch=True, max_epochs=3))
    assert isinstance(epoch_loop, EpochBasedTrainLoop)
    assert epoch_loop.max_iters == 3 * len(epoch_loop.dataloader) and epoch_loop.val_interval == 1
    iter_loop = runner.build_train_loop(dict(by_epoch=False, max_iters=9000))
    assert isinstance(iter_loop, IterBasedTrainLoop)
    assert iter_loop.val_interval == 1000 and iter_loop.max_epochs == 1

    # an empty dict gives the default loop over the runner's own loader and evaluator
    val_loop = runner.build_val_loop(dict())
    assert isinstance(val_loop, ValLoop) and isinstance(val_loop.evaluator, Evaluator)
    assert isinstance(val_loop.dataloader, DataLoader)
    test_loop = runner.build_test_loop(dict())
    assert isinstance(test_loop, _TestLoop) and test_loop.fp16 is False
    assert set(test_loop.run()) == {'acc', 'mse'}


def test_dict_dataloader_with_default_sampler_becomes_a_dataloader(tmp_path):
    runner = Runner(**toy_runner_cfg(tmp_path))
    assert isinstance(runner.train_dataloader, DataLoader)
    assert isinstance(runner.train_dataloader.sampler, DefaultSampler)


def test_build_loop_rejects_other_types(tmp_path):
    runner = Runner(**toy_runner_cfg(tmp_path))
    for build in (runner.build_train_loop, runner.build_val_loop, runner.build_test_loop):
        with pytest.raises(TypeError, match='dict'):
            build('x')


def test_loader_and_evaluator_properties_of_an_unconfigured_phase_are_none(tmp_path):
    cfg = toy_runner_cfg(tmp_path)
    runner = Runner(model=cfg['model'], work_dir=cfg['work_dir'],
                    test_dataloader=cfg['test_dataloader'], test_cfg=dict(),
                    test_evaluator=cfg['test_evaluator'])
    assert runner.train_loop is None and runner.train_dataloader is None
    assert runner.val_dataloader is None and runner.val_evaluator is None
    assert isinstance(runner.test_dataloader, DataLoader)
    assert isinstance(runner.test_evaluator, Evaluator)


def test_debug_level_keeps_one_log_file_per_rank(tmp_path, monkeypatch):
    import engine.logging.logger as logger_module

    # this process plays rank 1 for the logger: its file gets the rank suffix (LOG-14, §18.3)
    monkeypatch.setattr(logger_module, '_get_rank', lambda: 1)
    cfg = toy_runner_cfg(tmp_path / 'debug')
    runner = Runner(**dict(cfg, log_level='DEBUG'))
    assert osp.isfile(osp.join(runner.log_dir, f'{runner.timestamp}_rank1.log'))
    runner = Runner(**dict(toy_runner_cfg(tmp_path / 'info'), log_level='INFO'))
    assert not any(name.endswith('.log') for name in os.listdir(runner.log_dir))


def test_training_a_model_without_train_step_is_an_assertion_error(tmp_path):
    cfg = toy_runner_cfg(tmp_path)
    runner = Runner(**dict(cfg, model=nn.Linear(2, 1)))
    with pytest.raises(AssertionError, match='Linear has implemented `train_step`'):
        runner.train()
    with pytest.raises(RuntimeError, match='train_step'):  # also a RuntimeError
        runner.train()
