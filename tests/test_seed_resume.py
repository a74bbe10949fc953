"""The seed's resume tutorial (§21), run as written.

What stands in for the tutorials' downloads, and the other changes, are listed in
``tutorial_standins.py``.
"""

from __future__ import annotations

import os.path as osp

import pytest
import torch
import torch.nn as nn
from tutorial_standins import cifar10_like, read_log, resnet50

pytestmark = pytest.mark.usefixtures('in_tmp_dir')


# --- §21: resume ---------------------------------------------------------------------

def test_resume_tutorial_auto_and_from_path():
    from engine.model import BaseModel
    from engine.runner import Runner

    class ResNet18(BaseModel):
        def __init__(self):
            super().__init__()
            self.net = resnet50()

        def forward(self, imgs, labels, mode='tensor'):
            x = self.net(torch.stack(imgs))
            if mode == 'loss':
                return {'loss': nn.functional.cross_entropy(
                    x, torch.tensor(labels, device=x.device))}
            return x

    train_dataloader_cfg = dict(dataset=cifar10_like(12, 0), batch_size=4,
                                sampler=dict(type='DefaultSampler', shuffle=True))

    # an earlier run that saved epoch_1 and epoch_2 (interrupted before epoch 3)
    runner = Runner(
        model=ResNet18(),
        work_dir='./work_dir',
        train_dataloader=train_dataloader_cfg,
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.001, momentum=0.9)),
        train_cfg=dict(by_epoch=True, max_epochs=2),
        randomness=dict(seed=0),
    )
    runner.train()
    after_two = {k: v.clone() for k, v in runner.model.state_dict().items()}

    # §21.1 automatic resume
    runner = Runner(
        model=ResNet18(),
        work_dir='./work_dir',
        train_dataloader=train_dataloader_cfg,
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.001, momentum=0.9)),
        train_cfg=dict(by_epoch=True, max_epochs=3),
        resume=True,
    )
    runner.train()
    log = read_log(runner)
    assert 'Auto resumed from the latest checkpoint' in log
    assert 'resumed epoch: 2, iter: 6' in log
    assert 'Epoch(train) [3]' in log or runner.epoch == 3
    assert runner.epoch == 3 and runner.iter == 9
    with open('./work_dir/last_checkpoint') as f:
        assert f.read().strip() == osp.abspath('./work_dir/epoch_3.pth')

    # §21.2 resume from a given checkpoint
    runner = Runner(
        model=ResNet18(),
        work_dir='./work_dir',
        train_dataloader=train_dataloader_cfg,
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.001, momentum=0.9)),
        train_cfg=dict(by_epoch=True, max_epochs=3),
        load_from='./work_dir/epoch_2.pth',
        resume=True,
    )
    seen = {}

    class Probe:
        def before_train(self, runner):
            seen.update({k: v.clone() for k, v in runner.model.state_dict().items()})

    from engine.hooks import Hook
    runner.register_hook(type('ProbeHook', (Probe, Hook), {})())
    runner.train()
    assert 'resumed epoch: 2, iter: 6' in read_log(runner)
    assert all(torch.equal(seen[k], after_two[k]) for k in after_two)
    assert runner.epoch == 3

    # load_from without resume: weights only, training restarts at epoch 1
    runner = Runner(
        model=ResNet18(),
        work_dir='./work_dir',
        train_dataloader=train_dataloader_cfg,
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.001, momentum=0.9)),
        train_cfg=dict(by_epoch=True, max_epochs=1),
        load_from='./work_dir/epoch_2.pth',
    )
    runner.train()
    log = read_log(runner)
    assert 'Load checkpoint from ./work_dir/epoch_2.pth' in log and 'resumed epoch' not in log
    assert runner.epoch == 1
