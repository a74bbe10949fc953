"""The seed's hook (§7), logging (§18, §30) and gradient accumulation (§23.1) tutorials,
run as written.

What stands in for the tutorials' downloads, and the other changes, are listed in
``tutorial_standins.py``.
"""

from __future__ import annotations

import os
import re

import pytest
import torch
import torch.nn as nn
from torch.utils.data import DataLoader
from tutorial_standins import collapse, read_log

pytestmark = pytest.mark.usefixtures('in_tmp_dir')


# --- §7: the hook tutorial -------------------------------------------------------------

def _toy_runner_kwargs():
    from engine.model import BaseModel

    class ToyModel(BaseModel):
        def __init__(self) -> None:
            super().__init__()
            self.linear = nn.Linear(1, 1)
            self.bn = nn.BatchNorm1d(1)

        def forward(self, img, label, mode):
            feat = self.bn(self.linear(img.flatten(1)))
            if mode == 'loss':
                return dict(loss=(feat - label.flatten(1)).pow(2))
            return [feat]

    train_dataset = [(torch.ones(1, 1), torch.ones(1, 1))] * 8
    return dict(model=ToyModel(), work_dir='./work_dir',
                train_dataloader=DataLoader(train_dataset, batch_size=2),
                train_cfg=dict(by_epoch=True, max_epochs=2),
                optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)))


def test_hook_tutorial_builtin_hooks():
    from engine.runner import Runner

    default_hooks = dict(
        runtime_info=dict(type='RuntimeInfoHook'),
        timer=dict(type='IterTimerHook'),
        sampler_seed=dict(type='DistSamplerSeedHook'),
        logger=dict(type='LoggerHook'),
        param_scheduler=dict(type='ParamSchedulerHook'),
        checkpoint=dict(type='CheckpointHook', interval=1),
    )

    custom_hooks = [
        dict(type='NaiveVisualizationHook', priority='LOWEST'),
    ]

    runner = Runner(default_hooks=default_hooks, custom_hooks=custom_hooks,
                    **_toy_runner_kwargs())
    runner.train()
    assert [type(h).__name__ for h in runner.hooks] == [
        'RuntimeInfoHook', 'IterTimerHook', 'DistSamplerSeedHook', 'LoggerHook',
        'ParamSchedulerHook', 'CheckpointHook', 'NaiveVisualizationHook']
    assert {'epoch_1.pth', 'epoch_2.pth'} <= set(os.listdir('./work_dir'))

    # §7.1.1 checkpoint variants
    default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=5, by_epoch=False))
    runner = Runner(default_hooks=default_hooks, **_toy_runner_kwargs())
    runner.train()  # 8 iterations: iter_5.pth, and iter_8.pth because save_last
    assert {'iter_5.pth', 'iter_8.pth'} <= set(os.listdir('./work_dir'))

    default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=5, out_dir='./out'))
    runner = Runner(default_hooks=default_hooks, **_toy_runner_kwargs())
    runner.train()
    assert os.listdir('./out/work_dir') == ['epoch_2.pth']  # 2 epochs: save_last only

    # §7.1.2 LoggerHook(interval=20), §7.1.7-7.1.9 EMA, EmptyCache and SyncBuffers hooks
    for custom_hooks in ([dict(type='EMAHook')],
                         [dict(type='EMAHook', ema_type='StochasticWeightAverage')],
                         [dict(type='EmptyCacheHook', after_epoch=True)],
                         [dict(type='SyncBuffersHook')]):
        runner = Runner(custom_hooks=custom_hooks,
                        default_hooks=dict(logger=dict(type='LoggerHook', interval=20)),
                        **_toy_runner_kwargs())
        runner.train()
        assert type(runner.hooks[3]).__name__ == custom_hooks[0]['type']
    ckpt = torch.load('./work_dir/epoch_2.pth', weights_only=True)
    assert 'ema_state_dict' not in ckpt  # the last runner had no EMAHook


def test_hook_tutorial_custom_hook(monkeypatch):
    from engine.hooks import Hook
    from engine.registry import HOOKS
    from engine.runner import Runner

    # The tutorial registers CheckInvalidLossHook with force=True (twice); other tests
    # register their own class under that name: keep this test's ones to itself.
    monkeypatch.setattr(HOOKS, '_module_dict', dict(HOOKS._module_dict))

    @HOOKS.register_module(force=True)
    class CheckInvalidLossHook(Hook):
        """Check invalid loss hook.

        This hook will regularly check whether the loss is valid
        during training.

        Args:
            interval (int): Checking interval (every k iterations).
                Defaults to 50.
        """

        def __init__(self, interval=50):
            self.interval = interval

        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
            if self.every_n_train_iters(runner, self.interval):
                assert torch.isfinite(outputs['loss']), \
                    runner.logger.info('loss become infinite or NaN!')

    custom_hooks = dict(
        dict(type='CheckInvalidLossHook', interval=50)
    )
    runner = Runner(custom_hooks=custom_hooks, **_toy_runner_kwargs())
    runner.train()
    names = [type(h).__name__ for h in runner.hooks]
    assert names.index('CheckInvalidLossHook') == names.index('DistSamplerSeedHook') + 1

    # the check really runs on the model's outputs (interval 1 so the 8 iterations reach it)
    runner = Runner(custom_hooks=dict(dict(type='CheckInvalidLossHook', interval=1)),
                    **_toy_runner_kwargs())
    runner.train()

    custom_hooks = dict(
        dict(type='CheckInvalidLossHook', interval=50, priority='ABOVE_NORMAL')
    )
    runner = Runner(custom_hooks=custom_hooks, **_toy_runner_kwargs())
    names = [type(h).__name__ for h in runner.hooks]
    assert names.index('CheckInvalidLossHook') == names.index('RuntimeInfoHook') + 1
    assert runner.hooks[1].priority == 'ABOVE_NORMAL'

    @HOOKS.register_module(force=True)
    class CheckInvalidLossHook(Hook):  # noqa: F811 (the seed redefines it)

        priority = 'ABOVE_NORMAL'

    runner = Runner(custom_hooks=[dict(type='CheckInvalidLossHook')], **_toy_runner_kwargs())
    assert type(runner.hooks[1]).__name__ == 'CheckInvalidLossHook'


# --- §18: the logging tutorial ---------------------------------------------------------

def _logging_tutorial_setup():
    from engine.model import BaseModel

    train_dataset = [(torch.ones(1, 1), torch.ones(1, 1))] * 50
    train_dataloader = DataLoader(train_dataset, batch_size=2)

    class ToyModel(BaseModel):
        def __init__(self) -> None:
            super().__init__()
            self.linear = nn.Linear(1, 1)

        def forward(self, img, label, mode):
            feat = self.linear(img)
            loss1 = (feat - label).pow(2)
            loss2 = (feat - label).abs()
            return dict(loss1=loss1, loss2=loss2)

    return train_dataloader, ToyModel


_ITEM = r'(\d+\.\d{4})'


def _train_lines(text: str) -> list:
    return [line for line in text.splitlines() if 'Epoch(train)' in line]


def test_logging_tutorial_default_and_custom_statistics(capsys):
    from engine.runner import Runner

    train_dataloader, ToyModel = _logging_tutorial_setup()

    runner = Runner(
        model=ToyModel(),
        work_dir='tmp_dir',
        train_dataloader=train_dataloader,
        train_cfg=dict(by_epoch=True, max_epochs=1),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01))
    )
    runner.train()
    out = collapse(capsys.readouterr().out)
    lines = _train_lines(out)
    assert len(lines) == 2, out
    for step, line in zip((10, 20), lines):
        m = re.fullmatch(
            rf'\d\d/\d\d \d\d:\d\d:\d\d - mmengine - INFO - Epoch\(train\) \[1\]\[{step}/25\] '
            rf'lr: 1\.0000e-02 eta: \d+:\d\d:\d\d time: {_ITEM} data_time: {_ITEM} '
            rf'(?:memory: \d+ )?loss1: {_ITEM} loss2: {_ITEM} loss: {_ITEM}', line)
        assert m, line
        assert float(m[5]) == pytest.approx(float(m[3]) + float(m[4]), abs=2e-4)
    assert f'Exp name: {runner.experiment_name}' in out
    assert 'Saving checkpoint at 1 epochs' in out

    # loss1 as the global mean: same position, no new key
    runner = Runner(
        model=ToyModel(),
        work_dir='tmp_dir',
        train_dataloader=train_dataloader,
        train_cfg=dict(by_epoch=True, max_epochs=1),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        log_processor=dict(
            custom_cfg=[
                dict(data_src='loss1',
                     method_name='mean',
                     window_size='global')
            ])
    )
    runner.train()
    lines = _train_lines(collapse(capsys.readouterr().out))
    assert len(lines) == 2
    assert all(re.search(rf'loss1: {_ITEM} loss2: {_ITEM} loss: {_ITEM}$', x) for x in lines)
    hub = runner.message_hub
    assert float(re.search(r'loss1: (\S+)', lines[1])[1]) == pytest.approx(
        hub.get_scalar('train/loss1').data[0][:20].mean(), abs=1e-4)

    # an extra loss1_global item; loss1 keeps the 10-window mean
    runner = Runner(
        model=ToyModel(),
        work_dir='tmp_dir',
        train_dataloader=train_dataloader,
        train_cfg=dict(by_epoch=True, max_epochs=1),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        log_processor=dict(
            custom_cfg=[
                dict(data_src='loss1', log_name='loss1_global', method_name='mean',
                     window_size='global')])
    )
    runner.train()
    lines = _train_lines(collapse(capsys.readouterr().out))
    first = re.search(rf'loss1: {_ITEM} loss2: {_ITEM} loss: {_ITEM} loss1_global: {_ITEM}$',
                      lines[0])
    assert first and first[1] == first[4], lines[0]  # both average the same 10 values
    assert re.search(rf'loss1_global: {_ITEM}$', lines[1])

    # local and global max
    runner = Runner(
        model=ToyModel(),
        work_dir='tmp_dir',
        train_dataloader=train_dataloader,
        train_cfg=dict(by_epoch=True, max_epochs=1),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        log_processor=dict(custom_cfg=[
            dict(data_src='loss1',
                 log_name='loss1_local_max',
                 window_size=10,
                 method_name='max'),
            dict(
                data_src='loss1',
                log_name='loss1_global_max',
                method_name='max',
                window_size='global')
        ]))
    runner.train()
    lines = _train_lines(collapse(capsys.readouterr().out))
    for line in lines:
        m = re.search(rf'loss: {_ITEM} loss1_local_max: {_ITEM} loss1_global_max: {_ITEM}$',
                      line)
        assert m, line
    # the loss falls, so the global max stays the first iteration's
    first_loss1 = runner.message_hub.get_scalar('train/loss1').data[0][0]
    assert float(m[3]) == pytest.approx(first_loss1, abs=1e-4)


def test_logging_tutorial_custom_scalar_and_debug(capsys):
    from engine.logging import MessageHub
    from engine.model import BaseModel
    from engine.runner import Runner

    train_dataloader, _ = _logging_tutorial_setup()

    class ToyModel(BaseModel):

        def __init__(self) -> None:
            super().__init__()
            self.linear = nn.Linear(1, 1)

        def forward(self, img, label, mode):
            feat = self.linear(img)
            loss_tmp = (feat - label).abs()
            loss = loss_tmp.pow(2)

            message_hub = MessageHub.get_current_instance()
            message_hub.update_scalar('train/loss_tmp', loss_tmp.sum())
            return dict(loss=loss)

    runner = Runner(
        model=ToyModel(),
        work_dir='tmp_dir',
        train_dataloader=train_dataloader,
        train_cfg=dict(by_epoch=True, max_epochs=1),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        log_processor=dict(
            custom_cfg=[
                dict(
                    data_src='loss_tmp',
                    window_size=10,
                    method_name='mean')
            ]
        )
    )
    runner.train()
    lines = _train_lines(collapse(capsys.readouterr().out))
    assert len(lines) == 2
    for line in lines:
        assert re.search(
            rf'data_time: {_ITEM} (?:memory: \d+ )?loss_tmp: {_ITEM} loss: {_ITEM}$', line), line
    assert float(re.search(r'loss_tmp: (\S+)', lines[0])[1]) == pytest.approx(
        runner.message_hub.get_scalar('train/loss_tmp').data[0][:10].mean(), abs=1e-4)

    # §18.3 DEBUG
    runner = Runner(
        model=ToyModel(),
        work_dir='tmp_dir',
        train_dataloader=train_dataloader,
        log_level='DEBUG',
        train_cfg=dict(by_epoch=True, max_epochs=1),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)))
    runner.train()
    out = collapse(capsys.readouterr().out)
    assert re.search(r'- mmengine - DEBUG - Get class `RuntimeInfoHook` from "hook" registry '
                     r'in "engine"', out), out[:3000]
    assert re.search(r'- mmengine - DEBUG - An `RuntimeInfoHook` instance is built from '
                     r'registry, its implementation can be found in '
                     r'engine\.hooks\.runtime_info_hook', out)
    assert '- mmengine - DEBUG - ' in read_log(runner)

# --- §30: the logging design chapter -------------------------------------------------

def test_logging_design_message_hub_examples(capsys):
    from engine import MessageHub

    for name in ('task', 'name'):  # the seed's names, fresh as in a new process
        MessageHub._instance_dict.pop(name, None)

    # §30.3.1
    message_hub = MessageHub.get_instance('task')
    message_hub.update_scalar('train/loss', 1, 1)
    assert message_hub.get_scalar('train/loss').current() == 1
    message_hub.update_scalar('train/loss', 3, 1)
    assert message_hub.get_scalar('train/loss').mean() == 2
    message_hub.update_scalar('train/lr', 0.1, 1)

    message_hub.update_scalars({'train/time': {'value': 0.1, 'count': 1},
                                'train/data_time': {'value': 0.1, 'count': 1}})

    train_time = message_hub.get_scalar('train/time')
    log_dict = message_hub.log_scalars
    lr_buffer, loss_buffer, time_buffer, data_time_buffer = (
        log_dict['train/lr'], log_dict['train/loss'], log_dict['train/time'],
        log_dict['train/data_time'])
    assert time_buffer is train_time and lr_buffer.current() == 0.1
    assert list(loss_buffer.data[0]) == [1, 3] and data_time_buffer.current() == 0.1

    # §30.3.2
    message_hub = MessageHub.get_instance('task')
    message_hub.update_info('iter', 1)
    assert message_hub.get_info('iter') == 1
    message_hub.update_info('iter', 2)
    assert message_hub.get_info('iter') == 2

    # §30.3.3
    class LogProcessor:
        def __init__(self, name):
            self.message_hub = MessageHub.get_instance(name)

        def run(self):
            print(f"Learning rate is {self.message_hub.get_scalar('train/lr').current()}")
            print(f"loss is {self.message_hub.get_scalar('train/loss').current()}")
            print(f"meta is {self.message_hub.get_info('meta')}")

    class LrUpdater:
        def __init__(self, name):
            self.message_hub = MessageHub.get_instance(name)

        def run(self):
            self.message_hub.update_scalar('train/lr', 0.001)

    class MetaUpdater:
        def __init__(self, name):
            self.message_hub = MessageHub.get_instance(name)

        def run(self):
            self.message_hub.update_info(
                'meta',
                dict(experiment='retinanet_r50_caffe_fpn_1x_coco.py',
                     repo='mmdetection'))

    class LossUpdater:
        def __init__(self, name):
            self.message_hub = MessageHub.get_instance(name)

        def run(self):
            self.message_hub.update_scalar('train/loss', 0.1)

    class ToyRunner:
        def __init__(self, name):
            self.message_hub = MessageHub.get_instance(name)
            self.log_processor = LogProcessor(name)
            self.updaters = [LossUpdater(name),
                             MetaUpdater(name),
                             LrUpdater(name)]

        def run(self):
            for updater in self.updaters:
                updater.run()
            self.log_processor.run()

    task = ToyRunner('name')
    task.run()
    assert capsys.readouterr().out == (
        'Learning rate is 0.001\n'
        'loss is 0.1\n'
        "meta is {'experiment': 'retinanet_r50_caffe_fpn_1x_coco.py', 'repo': 'mmdetection'}\n")


_MMLOGGER_CREATE = '''from engine.logging import MMLogger
logger = MMLogger.get_instance('mmengine', log_level='INFO')
logger.info("this is a test")
logger.error('division by zero')
'''

_MMLOGGER_EXPORT = '''from engine.logging import MMLogger
logger = MMLogger.get_instance('mmengine', log_file='tmp.log', log_level='INFO')
logger.info("this is a test")
'''


def test_logging_design_mmlogger_examples(tmp_path):
    """§30.5.1 and §30.5.2, each in a fresh process as a script would run them."""
    import subprocess
    import sys

    (tmp_path / 'a.py').write_text(_MMLOGGER_CREATE)
    (tmp_path / 'b.py').write_text(_MMLOGGER_EXPORT)
    env = dict(os.environ, NO_COLOR='1')
    out = subprocess.run([sys.executable, 'a.py'], cwd=tmp_path, capture_output=True,
                         text=True, env=env, check=True).stdout.splitlines()
    assert re.fullmatch(r'\d\d/\d\d \d\d:\d\d:\d\d - mmengine - INFO - this is a test', out[0])
    assert re.fullmatch(r'\d\d/\d\d \d\d:\d\d:\d\d - mmengine - ERROR - \S*a\.py - <module> - 4 '
                        r'- division by zero', out[1]), out

    out = subprocess.run([sys.executable, 'b.py'], cwd=tmp_path, capture_output=True,
                         text=True, env=env, check=True).stdout
    assert out.endswith(' - mmengine - INFO - this is a test\n')
    # C3: the file is written exactly where log_file says
    text = (tmp_path / 'tmp.log').read_text()
    assert re.fullmatch(r'\d{4}/\d\d/\d\d \d\d:\d\d:\d\d - mmengine - INFO - this is a test\n',
                        text)


# --- §23.1: gradient accumulation ----------------------------------------------------

def test_gradient_accumulation_tutorial():
    from engine.hooks import Hook
    from engine.runner import Runner

    train_dataloader, ToyModel = _logging_tutorial_setup()

    runner = Runner(
        model=ToyModel(),
        work_dir='tmp_dir',
        train_dataloader=train_dataloader,
        train_cfg=dict(by_epoch=True, max_epochs=1),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01),
                           accumulative_counts=4)
    )
    weights = []

    class WeightProbe(Hook):
        def before_train(self, runner):
            weights.append(runner.model.linear.weight.item())

        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
            weights.append(runner.model.linear.weight.item())

    runner.register_hook(WeightProbe())
    runner.train()
    # 25 iterations: a step after every 4th, and one for the last (incomplete) group
    steps = [i for i in range(1, 26) if weights[i] != weights[i - 1]]
    assert steps == [4, 8, 12, 16, 20, 24, 25], weights
