"""A run with EMAHook that crashes and is resumed ends exactly where an
uninterrupted one does: the trained weights, the averaged copy and its step
count. EMAHook swaps the two sets of weights around every validation and
every checkpoint, so a resume that mixed them up would train on the averaged
weights (or average the wrong ones) from then on."""

from __future__ import annotations

import pytest
import torch
from runner_toys import CrashAt, toy_runner_cfg

from engine.hooks import EMAHook
from engine.runner import Runner


def _cfg(work_dir, by_epoch: bool, **overrides) -> dict:
    checkpoint = (dict(type='CheckpointHook', interval=1) if by_epoch
                  else dict(type='CheckpointHook', interval=4, by_epoch=False))
    cfg = toy_runner_cfg(
        work_dir, model=dict(type='ToyModel', dropout=0.2),  # dropout draws from the RNG
        train_cfg=dict(by_epoch=True, max_epochs=3, val_interval=1),
        default_hooks=dict(checkpoint=checkpoint, logger=dict(type='LoggerHook', interval=2)))
    cfg.update(overrides)
    return cfg


def _ema_hook(runner) -> EMAHook:
    return next(hook for hook in runner.hooks if isinstance(hook, EMAHook))


def _state(runner) -> dict:
    ema = _ema_hook(runner).ema_model
    return dict(model={k: v.clone() for k, v in runner.model.state_dict().items()},
                ema={k: v.clone() for k, v in ema.module.state_dict().items()},
                steps=int(ema.steps))


@pytest.mark.parametrize('by_epoch, crash_at', [
    (True, 8),    # at an epoch boundary, right after the epoch-2 checkpoint and validation
    (False, 10),  # inside epoch 2 (6 iterations an epoch), after the iteration-8 checkpoint
])
def test_ema_run_crashed_and_resumed_equals_uninterrupted(tmp_path, by_epoch, crash_at):
    ema_cfg = dict(type='EMAHook', momentum=0.3)
    whole = Runner(**_cfg(tmp_path / 'whole', by_epoch, custom_hooks=[dict(ema_cfg)]))
    whole.train()
    expected = _state(whole)

    crashed = Runner(**_cfg(tmp_path / 'crash', by_epoch,
                            custom_hooks=[dict(ema_cfg), CrashAt(crash_at)]))
    with pytest.raises(RuntimeError, match='simulated crash'):
        crashed.train()

    resumed = Runner(**_cfg(tmp_path / 'crash', by_epoch, resume=True,
                            custom_hooks=[dict(ema_cfg)]))
    resumed.train()
    assert resumed.iter == whole.iter == 18
    got = _state(resumed)
    assert got['steps'] == expected['steps'] == 18
    for part in ('model', 'ema'):
        for key, value in expected[part].items():
            assert torch.equal(got[part][key], value), (part, key)
    # the two sets differ: a resume that swapped them would not pass the loop above
    assert not torch.equal(expected['model']['linear1.weight'], expected['ema']['linear1.weight'])
