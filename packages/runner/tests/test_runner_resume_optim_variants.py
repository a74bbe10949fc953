"""Crash and resume with the optimizer-wrapper variants a config can ask for:
mixed precision (AmpOptimWrapper, bfloat16 on CPU, with its loss scaler),
gradient accumulation (the count restored from the iteration), gradient
clipping and a warm-up scheduler followed by a step decay. Each resumed run
must end bit-identical to the uninterrupted one."""

from __future__ import annotations

import pytest
import torch
from runner_toys import CrashAt, toy_runner_cfg

from engine.runner import Runner

VARIANTS = {
    'amp': dict(type='AmpOptimWrapper', dtype='bfloat16',
                optimizer=dict(type='SGD', lr=0.01, momentum=0.9)),
    'accumulate': dict(accumulative_counts=2,
                       optimizer=dict(type='SGD', lr=0.01, momentum=0.9)),
    'clip_adamw': dict(clip_grad=dict(max_norm=0.5),
                       optimizer=dict(type='AdamW', lr=0.01, weight_decay=0.05)),
}
SCHEDULE = [dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=5),
            dict(type='MultiStepLR', milestones=[2], gamma=0.5, by_epoch=True)]


def _cfg(work_dir, optim_wrapper: dict, **overrides) -> dict:
    cfg = toy_runner_cfg(
        work_dir, model=dict(type='ToyModel', dropout=0.2),
        optim_wrapper=optim_wrapper, param_scheduler=SCHEDULE,
        train_cfg=dict(by_epoch=True, max_epochs=3, val_interval=1),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=4, by_epoch=False),
                           logger=dict(type='LoggerHook', interval=2)))
    cfg.update(overrides)
    return cfg


def _snapshot(runner) -> dict:
    return dict(weights={k: v.clone() for k, v in runner.model.state_dict().items()},
                optimizer=runner.optim_wrapper.state_dict(),
                lr=[group['lr'] for group in runner.optim_wrapper.param_groups])


def _assert_same(a, b, where: str = '') -> None:
    if isinstance(a, torch.Tensor):
        assert torch.equal(a, b), where
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for key in a:
            _assert_same(a[key], b[key], f'{where}.{key}')
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same(x, y, f'{where}[{i}]')
    else:
        assert a == b, (where, a, b)


# With accumulation the first iteration makes no optimizer step, so the scheduler's
# step after it gets torch's ordering warning, as in the reference.
@pytest.mark.filterwarnings('ignore:Detected call of `scheduler.step\\(\\)` before')
@pytest.mark.parametrize('variant', sorted(VARIANTS))
def test_resumed_run_equals_uninterrupted(tmp_path, variant):
    optim_wrapper = VARIANTS[variant]
    whole = Runner(**_cfg(tmp_path / 'whole', dict(optim_wrapper)))
    whole.train()
    expected = _snapshot(whole)

    # crash inside epoch 2 (6 iterations an epoch), 2 iterations past the iteration-8
    # checkpoint: the warm-up is over, the step decay not yet applied
    with pytest.raises(RuntimeError, match='simulated crash'):
        Runner(**_cfg(tmp_path / 'crash', dict(optim_wrapper),
                      custom_hooks=[CrashAt(10)])).train()
    resumed = Runner(**_cfg(tmp_path / 'crash', dict(optim_wrapper), resume=True))
    resumed.train()
    assert resumed.iter == 18
    _assert_same(_snapshot(resumed), expected)
    if variant == 'amp':
        assert 'loss_scaler' in resumed.optim_wrapper.state_dict()
    if variant == 'accumulate':  # the count picks up from the checkpoint's iteration
        assert resumed.optim_wrapper._inner_count == 18
