"""Audit of the runner's loop builders against the spec (T26, RUN-16/17, LOOP-02/06)."""

from __future__ import annotations

import pytest
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
