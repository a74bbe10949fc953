"""The seed's tutorials, run as written with ``mmengine`` replaced by ``engine``.

Only what cannot run here is replaced: torchvision datasets and models (not installed)
become small in-memory datasets of the same shapes and a tiny network with the same
interface, mmcv's ``to_tensor`` becomes ``torch.from_numpy``, and the epoch counts and
dataset sizes are cut so each tutorial runs in about a second. Everything else (the
classes, the Runner arguments, the relative work dirs) is the seed's code. Each test runs
in its own temporary folder so the tutorials' relative paths land there.
"""

from __future__ import annotations

import json
import os
import os.path as osp
import re

import numpy as np
import pytest
import torch
import torch.nn as nn
from torch.utils.data import DataLoader


@pytest.fixture(autouse=True)
def _in_tmp_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def _collapse(text: str) -> str:
    return re.sub(r' +', ' ', text)


def _read_log(runner) -> str:
    with open(osp.join(runner.log_dir, f'{runner.timestamp}.log')) as f:
        return _collapse(f.read())


# --- stand-ins for what the tutorials download ---------------------------------------

def cifar10_like(n: int, seed: int) -> list:
    """(3x32x32 float image, int label) pairs, like a normalised CIFAR-10 sample."""
    g = torch.Generator().manual_seed(seed)
    images = torch.randn(n, 3, 32, 32, generator=g)
    labels = torch.randint(0, 10, (n,), generator=g)
    return [(images[i], int(labels[i])) for i in range(n)]


def mnist_like(n: int, seed: int) -> list:
    """(1x28x28 float image in [0, 1], int label) pairs, like MNIST with ToTensor()."""
    g = torch.Generator().manual_seed(seed)
    images = torch.rand(n, 1, 28, 28, generator=g)
    labels = torch.randint(0, 10, (n,), generator=g)
    return [(images[i], int(labels[i])) for i in range(n)]


def resnet50() -> nn.Module:
    """Same interface as torchvision.models.resnet50(): (N, 3, H, W) -> (N, classes)."""
    return nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.ReLU(),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 10))


# --- §3: the 15-minute quick start ---------------------------------------------------

def test_quick_start_15_minutes(capsys):
    import torch.nn.functional as F
    from torch.optim import SGD

    from engine.evaluator import BaseMetric
    from engine.model import BaseModel
    from engine.runner import Runner

    class MMResNet50(BaseModel):
        def __init__(self):
            super().__init__()
            self.resnet = resnet50()

        def forward(self, imgs, labels, mode):
            x = self.resnet(imgs)
            if mode == 'loss':
                return {'loss': F.cross_entropy(x, labels)}
            elif mode == 'predict':
                return x, labels

    class Accuracy(BaseMetric):
        def process(self, data_batch, data_samples):
            score, gt = data_samples
            self.results.append({
                'batch_size': len(gt),
                'correct': (score.argmax(dim=1) == gt).sum().cpu(),
            })

        def compute_metrics(self, results):
            total_correct = sum(item['correct'] for item in results)
            total_size = sum(item['batch_size'] for item in results)
            return dict(accuracy=100 * total_correct / total_size)

    train_dataloader = DataLoader(batch_size=32, shuffle=True, dataset=cifar10_like(320, 0))
    val_dataloader = DataLoader(batch_size=32, shuffle=False, dataset=cifar10_like(64, 1))

    runner = Runner(
        model=MMResNet50(),
        work_dir='./work_dir',
        train_dataloader=train_dataloader,
        optim_wrapper=dict(optimizer=dict(type=SGD, lr=0.001, momentum=0.9)),
        train_cfg=dict(by_epoch=True, max_epochs=2, val_interval=1),  # seed: 5 epochs
        val_dataloader=val_dataloader,
        val_cfg=dict(),
        val_evaluator=dict(type=Accuracy),
    )
    runner.train()

    log = _read_log(runner)
    work_dir = osp.abspath('./work_dir')
    assert re.search(r'^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d - mmengine - INFO - $', log, re.M)
    assert 'System environment:' in log and 'sys.platform: ' in log
    assert f'Checkpoints will be saved to {work_dir}' in log
    for epoch in (1, 2):
        assert re.search(
            rf'- mmengine - INFO - Epoch\(train\) \[{epoch}\]\[10/10\] lr: 1\.0000e-03 '
            r'eta: \d+:\d\d:\d\d time: \d+\.\d{4} data_time: \d+\.\d{4} '
                r'(?:memory: \d+ )?loss: \d+\.\d{4}$',  # memory: only with CUDA
            log, re.M), log
        assert f'Saving checkpoint at {epoch} epochs' in log
        assert re.search(rf'Epoch\(val\) \[{epoch}\]\[2/2\] accuracy: \d+\.\d{{4}}$', log, re.M)
        assert osp.isfile(osp.join(work_dir, f'epoch_{epoch}.pth'))
    # the order of the seed's sample output
    assert (log.index('Checkpoints will be saved to') < log.index('Epoch(train) [1][10/10]')
            < log.index('Saving checkpoint at 1 epochs') < log.index('Epoch(val) [1][2/2]')
            < log.index('Epoch(train) [2][10/10]'))
    # the terminal shows the same records with the short time format
    out = _collapse(capsys.readouterr().out)
    assert re.search(r'^\d\d/\d\d \d\d:\d\d:\d\d - mmengine - INFO - Epoch\(val\) \[2\]\[2/2\] '
                     r'accuracy: ', out, re.M), out


# --- §6: the Runner tutorial -----------------------------------------------------------

def _mnist_network():
    from engine.model import BaseModel

    class Network(BaseModel):
        def __init__(self):
            super().__init__()
            self.mlp = nn.Sequential(nn.Linear(28 * 28, 128), nn.ReLU(), nn.Linear(128, 128),
                                     nn.ReLU(), nn.Linear(128, 10))
            self.loss = nn.CrossEntropyLoss()

        def forward(self, batch_inputs: torch.Tensor, data_samples=None, mode: str = 'tensor'):
            x = batch_inputs.flatten(1)
            x = self.mlp(x)
            if mode == 'loss':
                return {'loss': self.loss(x, data_samples)}
            elif mode == 'predict':
                return x.argmax(1)
            else:
                return x

    return Network


def _mnist_accuracy(as_written: bool = False):
    from engine.evaluator import BaseMetric

    class MnistAccuracy(BaseMetric):
        def process(self, data, preds) -> None:
            if not as_written:
                # Evaluator.process hands metrics a list (one item per sample, EVAL-09);
                # the seed's metric calls .cpu() on it as if it were the output tensor.
                preds = torch.stack(list(preds))
            self.results.append(((data[1] == preds.cpu()).sum(), len(preds)))

        def compute_metrics(self, results):
            correct, batch_size = zip(*results)
            acc = sum(correct) / sum(batch_size)
            return dict(accuracy=acc)

    return MnistAccuracy


def test_runner_tutorial_test_metric_as_written():
    from engine.evaluator import Evaluator
    from engine.runner import Runner

    runner = Runner(model=_mnist_network()(),
                    test_dataloader=DataLoader(dataset=mnist_like(2, 1)),
                    test_evaluator=Evaluator(_mnist_accuracy(as_written=True)()),
                    work_dir='./test_mnist')
    runner.test()


def test_runner_tutorial_manual_train_test_and_val():
    from engine.evaluator import Evaluator
    from engine.optim.scheduler import MultiStepLR
    from engine.runner import IterBasedTrainLoop, Runner

    Network = _mnist_network()
    MnistAccuracy = _mnist_accuracy()

    # §6.1.1 train
    model = Network()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    lr_scheduler = MultiStepLR(optimizer, milestones=[2], by_epoch=True)
    train_dataset = mnist_like(40, 0)
    train_dataloader = DataLoader(dataset=train_dataset, batch_size=10, num_workers=2)

    train_cfg = dict(by_epoch=True, max_epochs=3)
    runner = Runner(model,
                    work_dir='./train_mnist',
                    train_cfg=train_cfg,
                    train_dataloader=train_dataloader,
                    optim_wrapper=dict(optimizer=optimizer),
                    param_scheduler=lr_scheduler)
    runner.train()
    assert {'epoch_1.pth', 'epoch_2.pth', 'epoch_3.pth'} <= set(os.listdir('./train_mnist'))
    # MultiStepLR(milestones=[2]) decayed the lr after the second epoch
    assert optimizer.param_groups[0]['lr'] == pytest.approx(0.001)

    # the iteration-based variant builds an IterBasedTrainLoop
    train_cfg = dict(by_epoch=False, max_iters=9000)
    loop = runner.build_train_loop(train_cfg)
    assert isinstance(loop, IterBasedTrainLoop) and loop.max_iters == 9000

    # §6.1.2 test (no test_cfg: C4)
    model = Network()
    test_dataset = mnist_like(8, 1)
    test_dataloader = DataLoader(dataset=test_dataset)
    metric = MnistAccuracy()
    test_evaluator = Evaluator(metric)
    runner = Runner(model=model, test_dataloader=test_dataloader, test_evaluator=test_evaluator,
                    load_from='./train_mnist/epoch_3.pth', work_dir='./test_mnist')
    metrics = runner.test()
    assert set(metrics) == {'accuracy'} and 0 <= float(metrics['accuracy']) <= 1
    trained = torch.load('./train_mnist/epoch_3.pth', weights_only=True)['state_dict']
    assert torch.equal(model.mlp[0].weight.cpu(), trained['mlp.0.weight'])
    assert re.search(r'Epoch\(test\) \[8/8\] accuracy: \d\.\d{4}', _read_log(runner))

    # §6.1.3 validate during training (no val_cfg: C4; MultiStepLR given its optimizer, C14)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    lr_scheduler = MultiStepLR(optimizer, milestones=[2], by_epoch=True)
    train_dataset = mnist_like(40, 2)
    train_dataloader = DataLoader(dataset=train_dataset, batch_size=10, num_workers=2)
    val_dataset = mnist_like(4, 3)
    val_dataloader = DataLoader(dataset=val_dataset)
    metric = MnistAccuracy()
    val_evaluator = Evaluator(metric)

    train_cfg = dict(by_epoch=True, max_epochs=5, val_begin=2, val_interval=1)
    runner = Runner(model=model, optim_wrapper=dict(optimizer=optimizer),
                    param_scheduler=lr_scheduler,
                    train_dataloader=train_dataloader, val_dataloader=val_dataloader,
                    val_evaluator=val_evaluator,
                    train_cfg=train_cfg, work_dir='./train_val_mnist')
    runner.train()
    log = _read_log(runner)
    validated = [int(e) for e in re.findall(r'Epoch\(val\) \[(\d)\]\[4/4\] accuracy', log)]
    assert validated == [2, 3, 4, 5]


_CONFIG_6_2 = '''
# work dir: checkpoints and logs
work_dir = './train_resnet'

default_scope = 'engine'

model = dict(type='TutorialClassifier', num_classes=10)

train_dataloader = dict(dataset=dict(type='TutorialImageNet', size=16),
                        sampler=dict(type='DefaultSampler', shuffle=True),
                        batch_size=4,
                        num_workers=0)
val_dataloader = dict(dataset=dict(type='TutorialImageNet', size=8),
                      sampler=dict(type='DefaultSampler', shuffle=False),
                      batch_size=4)
test_dataloader = val_dataloader

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=0.0001))
param_scheduler = dict(
    type='MultiStepLR', by_epoch=True, milestones=[1], gamma=0.1)
val_evaluator = dict(type='TutorialAccuracy')
test_evaluator = dict(type='TutorialAccuracy')

train_cfg = dict(
    by_epoch=True,
    max_epochs=2,
    val_begin=1,
    val_interval=1
)
val_cfg = dict()
test_cfg = dict()

custom_hooks = []

default_hooks = dict(
    runtime_info=dict(type='RuntimeInfoHook'),
    timer=dict(type='IterTimerHook'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    logger=dict(type='TextLoggerHook'),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=1),
)

env_cfg = dict(
    cudnn_benchmark=False,
    dist_cfg=dict(backend='nccl'),
    mp_cfg=dict(mp_start_method='fork')
)

log_processor = dict(type='LogProcessor', window_size=50, by_epoch=True)
log_level = 'INFO'

load_from = None
resume = False
'''


def _register_config_tutorial_modules():
    from engine.dataset import BaseDataset
    from engine.evaluator import BaseMetric
    from engine.model import BaseModel
    from engine.registry import DATASETS, METRICS, MODELS

    @MODELS.register_module(force=True)
    class TutorialClassifier(BaseModel):
        def __init__(self, num_classes):
            super().__init__()
            self.net = nn.Sequential(nn.Flatten(), nn.Linear(3 * 8 * 8, num_classes))

        def forward(self, inputs, labels, mode='tensor', **meta):  # meta: sample_idx
            x = self.net(torch.stack(inputs))
            labels = torch.as_tensor(labels, device=x.device)
            if mode == 'loss':
                return {'loss': nn.functional.cross_entropy(x, labels)}
            return list(zip(x.argmax(1), labels))

    @DATASETS.register_module(force=True)
    class TutorialImageNet(BaseDataset):
        def __init__(self, size):
            self.size = size
            super().__init__(serialize_data=False)

        def load_data_list(self):
            g = torch.Generator().manual_seed(self.size)
            return [dict(inputs=torch.randn(3, 8, 8, generator=g), labels=i % 10)
                    for i in range(self.size)]

    @METRICS.register_module(force=True)
    class TutorialAccuracy(BaseMetric):
        def process(self, data_batch, data_samples):
            self.results.extend(int(p == t) for p, t in data_samples)

        def compute_metrics(self, results):
            return dict(accuracy=sum(results) / len(results))


def test_runner_tutorial_config_driven():
    from engine import Config
    from engine.runner import Runner

    _register_config_tutorial_modules()
    with open('resnet50_8xb32_in1k.py', 'w') as f:
        f.write(_CONFIG_6_2)

    config = Config.fromfile('resnet50_8xb32_in1k.py')
    runner = Runner.build_from_cfg(config)
    runner.train()
    metrics = runner.test()

    assert set(metrics) == {'accuracy'}
    assert {'epoch_1.pth', 'epoch_2.pth', 'resnet50_8xb32_in1k.py'} <= set(
        os.listdir('./train_resnet'))
    assert runner.experiment_name.startswith('resnet50_8xb32_in1k_')
    log = _read_log(runner)
    assert 'Epoch(val) [2][2/2] accuracy:' in log and 'Epoch(test) [2/2] accuracy:' in log
    assert runner.optim_wrapper.get_lr()['lr'] == [pytest.approx(0.01)]  # MultiStepLR at 1


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


def test_hook_tutorial_custom_hook():
    from engine.hooks import Hook
    from engine.registry import HOOKS
    from engine.runner import Runner

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
    out = _collapse(capsys.readouterr().out)
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
    lines = _train_lines(_collapse(capsys.readouterr().out))
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
    lines = _train_lines(_collapse(capsys.readouterr().out))
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
    lines = _train_lines(_collapse(capsys.readouterr().out))
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
    lines = _train_lines(_collapse(capsys.readouterr().out))
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
    out = _collapse(capsys.readouterr().out)
    assert re.search(r'- mmengine - DEBUG - Get class `RuntimeInfoHook` from "hook" registry '
                     r'in "engine"', out), out[:3000]
    assert re.search(r'- mmengine - DEBUG - An `RuntimeInfoHook` instance is built from '
                     r'registry, its implementation can be found in '
                     r'engine\.hooks\.runtime_info_hook', out)
    assert '- mmengine - DEBUG - ' in _read_log(runner)


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
    log = _read_log(runner)
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
    assert 'resumed epoch: 2, iter: 6' in _read_log(runner)
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
    log = _read_log(runner)
    assert 'Load checkpoint from ./work_dir/epoch_2.pth' in log and 'resumed epoch' not in log
    assert runner.epoch == 1


# --- §25: training a GAN -------------------------------------------------------------

def test_gan_tutorial():
    import torch.nn.functional as F

    from engine.dataset import BaseDataset
    from engine.model import BaseModel, ImgDataPreprocessor
    from engine.optim import OptimWrapper, OptimWrapperDict
    from engine.runner import Runner

    def to_tensor(img):  # mmcv.transforms.to_tensor for a NumPy array
        return torch.from_numpy(img)

    def MNIST(root, train=True, download=False):  # noqa: N802 (torchvision's name)
        rng = np.random.default_rng(0 if train else 1)
        return [(rng.integers(0, 256, (28, 28), dtype=np.uint8), int(rng.integers(10)))
                for _ in range(80)]

    def random_split(dataset, lengths):  # torch's, for the 80-sample stand-in
        return dataset[:lengths[0]], dataset[lengths[0]:]

    class MNISTDataset(BaseDataset):

        def __init__(self, data_root, pipeline, test_mode=False):
            if test_mode:
                mnist_full = MNIST(data_root, train=True, download=True)
                self.mnist_dataset, _ = random_split(mnist_full, [70, 10])
            else:
                self.mnist_dataset = MNIST(data_root, train=False, download=True)

            super().__init__(
                data_root=data_root, pipeline=pipeline, test_mode=test_mode)

        @staticmethod
        def totensor(img):
            if len(img.shape) < 3:
                img = np.expand_dims(img, -1)
            img = np.ascontiguousarray(img.transpose(2, 0, 1))
            return to_tensor(img)

        def load_data_list(self):
            return [
                dict(inputs=self.totensor(np.array(x[0]))) for x in self.mnist_dataset
            ]

    dataset = MNISTDataset("./data", [])

    NUM_WORKERS = int(os.cpu_count() / 2)
    BATCH_SIZE = 256 if torch.cuda.is_available() else 64

    train_dataloader = dict(
        batch_size=BATCH_SIZE,
        num_workers=NUM_WORKERS,
        persistent_workers=True,
        sampler=dict(type='DefaultSampler', shuffle=True),
        dataset=dataset)
    train_dataloader = Runner.build_dataloader(train_dataloader)

    class Generator(nn.Module):
        def __init__(self, noise_size, img_shape):
            super().__init__()
            self.img_shape = img_shape
            self.noise_size = noise_size

            def block(in_feat, out_feat, normalize=True):
                layers = [nn.Linear(in_feat, out_feat)]
                if normalize:
                    layers.append(nn.BatchNorm1d(out_feat, 0.8))
                layers.append(nn.LeakyReLU(0.2, inplace=True))
                return layers

            self.model = nn.Sequential(
                *block(noise_size, 128, normalize=False),
                *block(128, 256),
                *block(256, 512),
                *block(512, 1024),
                nn.Linear(1024, int(np.prod(img_shape))),
                nn.Tanh(),
            )

        def forward(self, z):
            img = self.model(z)
            img = img.view(img.size(0), *self.img_shape)
            return img

    class Discriminator(nn.Module):
        def __init__(self, img_shape):
            super().__init__()

            self.model = nn.Sequential(
                nn.Linear(int(np.prod(img_shape)), 512),
                nn.LeakyReLU(0.2, inplace=True),
                nn.Linear(512, 256),
                nn.LeakyReLU(0.2, inplace=True),
                nn.Linear(256, 1),
                nn.Sigmoid(),
            )

        def forward(self, img):
            img_flat = img.view(img.size(0), -1)
            validity = self.model(img_flat)

            return validity

    generator = Generator(100, (1, 28, 28))
    discriminator = Discriminator((1, 28, 28))

    data_preprocessor = ImgDataPreprocessor(mean=[127.5], std=[127.5])

    def set_requires_grad(nets, requires_grad=False):
        if not isinstance(nets, list):
            nets = [nets]
        for net in nets:
            if net is not None:
                for param in net.parameters():
                    param.requires_grad = requires_grad

    class GAN(BaseModel):

        def __init__(self, generator, discriminator, noise_size,
                     data_preprocessor):
            super().__init__(data_preprocessor=data_preprocessor)
            assert generator.noise_size == noise_size
            self.generator = generator
            self.discriminator = discriminator
            self.noise_size = noise_size

        def train_step(self, data, optim_wrapper):
            inputs_dict = self.data_preprocessor(data, True)
            disc_optimizer_wrapper = optim_wrapper['discriminator']
            with disc_optimizer_wrapper.optim_context(self.discriminator):
                log_vars = self.train_discriminator(inputs_dict,
                                                    disc_optimizer_wrapper)

            set_requires_grad(self.discriminator, False)
            gen_optimizer_wrapper = optim_wrapper['generator']
            with gen_optimizer_wrapper.optim_context(self.generator):
                log_vars_gen = self.train_generator(inputs_dict,
                                                    gen_optimizer_wrapper)

            set_requires_grad(self.discriminator, True)
            log_vars.update(log_vars_gen)

            return log_vars

        def forward(self, batch_inputs, data_samples=None, mode=None):
            return self.generator(batch_inputs)

        def disc_loss(self, disc_pred_fake, disc_pred_real):
            losses_dict = dict()
            losses_dict['loss_disc_fake'] = F.binary_cross_entropy(
                disc_pred_fake, 0. * torch.ones_like(disc_pred_fake))
            losses_dict['loss_disc_real'] = F.binary_cross_entropy(
                disc_pred_real, 1. * torch.ones_like(disc_pred_real))

            loss, log_var = self.parse_losses(losses_dict)
            return loss, log_var

        def gen_loss(self, disc_pred_fake):
            losses_dict = dict()
            losses_dict['loss_gen'] = F.binary_cross_entropy(
                disc_pred_fake, 1. * torch.ones_like(disc_pred_fake))
            loss, log_var = self.parse_losses(losses_dict)
            return loss, log_var

        def train_discriminator(self, inputs, optimizer_wrapper):
            real_imgs = inputs['inputs']
            z = torch.randn(
                (real_imgs.shape[0], self.noise_size)).type_as(real_imgs)
            with torch.no_grad():
                fake_imgs = self.generator(z)

            disc_pred_fake = self.discriminator(fake_imgs)
            disc_pred_real = self.discriminator(real_imgs)

            parsed_losses, log_vars = self.disc_loss(disc_pred_fake,
                                                      disc_pred_real)
            optimizer_wrapper.update_params(parsed_losses)
            return log_vars

        def train_generator(self, inputs, optimizer_wrapper):
            real_imgs = inputs['inputs']
            z = torch.randn(real_imgs.shape[0], self.noise_size).type_as(real_imgs)

            fake_imgs = self.generator(z)

            disc_pred_fake = self.discriminator(fake_imgs)
            parsed_loss, log_vars = self.gen_loss(disc_pred_fake)

            optimizer_wrapper.update_params(parsed_loss)
            return log_vars

    model = GAN(generator, discriminator, 100, data_preprocessor)

    opt_g = torch.optim.Adam(generator.parameters(), lr=0.0001, betas=(0.5, 0.999))
    opt_g_wrapper = OptimWrapper(opt_g)

    opt_d = torch.optim.Adam(
        discriminator.parameters(), lr=0.0001, betas=(0.5, 0.999))
    opt_d_wrapper = OptimWrapper(opt_d)

    opt_wrapper_dict = OptimWrapperDict(
        generator=opt_g_wrapper, discriminator=opt_d_wrapper)

    before = {k: v.clone() for k, v in model.state_dict().items()}
    train_cfg = dict(by_epoch=True, max_epochs=2)  # seed: 220
    runner = Runner(
        model,
        work_dir='runs/gan/',
        train_dataloader=train_dataloader,
        train_cfg=train_cfg,
        optim_wrapper=opt_wrapper_dict)
    runner.train()

    # 80 samples, 2 epochs: batch 64 gives 2 iterations per epoch (256 on a GPU: 1)
    assert runner.iter == 2 * -(-80 // BATCH_SIZE)
    for name in ('generator.model.0.weight', 'discriminator.model.0.weight'):
        assert not torch.equal(before[name], model.state_dict()[name].cpu()), name
    hub = runner.message_hub
    for key in ('train/loss_disc_fake', 'train/loss_disc_real', 'train/loss_gen',
                'train/generator.lr', 'train/discriminator.lr'):
        assert hub.get_scalar(key).current() == pytest.approx(
            1e-4 if key.endswith('lr') else hub.get_scalar(key).current())
    ckpt = torch.load('runs/gan/epoch_2.pth', weights_only=True)
    assert set(ckpt['optimizer']) == {'generator', 'discriminator'}

    # resuming a GAN restores both optimizers
    runner2 = Runner(
        GAN(Generator(100, (1, 28, 28)), Discriminator((1, 28, 28)), 100,
            ImgDataPreprocessor(mean=[127.5], std=[127.5])),
        work_dir='runs/gan/',
        train_dataloader=dict(batch_size=BATCH_SIZE, sampler=dict(type='DefaultSampler',
                                                                  shuffle=True),
                              dataset=dataset),
        train_cfg=dict(by_epoch=True, max_epochs=2),
        optim_wrapper=OptimWrapperDict(
            generator=OptimWrapper(torch.optim.Adam(model.generator.parameters(), lr=0.1)),
            discriminator=OptimWrapper(torch.optim.Adam(model.discriminator.parameters(),
                                                        lr=0.1))),
        resume=True)
    runner2.train()  # already finished: resumes at epoch 2 and stops
    assert runner2.epoch == 2
    assert runner2.optim_wrapper['generator'].get_lr()['lr'] == [pytest.approx(1e-4)]

    z = torch.randn(64, 100, device=next(model.parameters()).device)  # the Runner's device
    img = model(z)
    assert img.shape == (64, 1, 28, 28)
    json.dumps(ckpt['meta'], default=str)  # meta is plain data


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


# --- §31.2.2: the MMEngine-style training script -------------------------------------

def _train_script(argv):
    """The seed's migrated train script (§31.2.2), ``mmdet``'s registration aside."""
    import argparse
    import logging

    from engine.config import Config, DictAction
    from engine.logging import print_log
    from engine.registry import RUNNERS
    from engine.runner import Runner

    def parse_args():
        parser = argparse.ArgumentParser(description='Train a detector')
        parser.add_argument('config', help='train config file path')
        parser.add_argument('--work-dir', help='the dir to save logs and models')
        parser.add_argument('--amp', action='store_true', default=False)
        parser.add_argument('--auto-scale-lr', action='store_true')
        parser.add_argument('--resume', action='store_true')
        parser.add_argument('--cfg-options', nargs='+', action=DictAction)
        parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                            default='none')
        return parser.parse_args(argv)

    args = parse_args()

    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)

    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])

    if args.amp is True:
        optim_wrapper = cfg.optim_wrapper.type
        if optim_wrapper == 'AmpOptimWrapper':
            print_log(
                'AMP training is already enabled in your config.',
                logger='current',
                level=logging.WARNING)
        else:
            assert optim_wrapper == 'OptimWrapper', (
                '`--amp` is only supported when the optimizer wrapper type is '
                f'`OptimWrapper` but got {optim_wrapper}.')
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.loss_scale = 'dynamic'

    if args.auto_scale_lr:
        if 'auto_scale_lr' in cfg and \
                'enable' in cfg.auto_scale_lr and \
                'base_batch_size' in cfg.auto_scale_lr:
            cfg.auto_scale_lr.enable = True
        else:
            raise RuntimeError('Can not find "auto_scale_lr" or '
                               '"auto_scale_lr.enable" or '
                               '"auto_scale_lr.base_batch_size" in your'
                               ' configuration file.')

    cfg.resume = args.resume

    if 'runner_type' not in cfg:
        runner = Runner.from_cfg(cfg)
    else:
        runner = RUNNERS.build(cfg)

    runner.train()
    return runner


def test_migrated_train_script_with_cli_options_and_resume():
    _register_config_tutorial_modules()
    config = _CONFIG_6_2.replace("work_dir = './train_resnet'\n", '') + (
        "optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.1))\n"
        "auto_scale_lr = dict(enable=False, base_batch_size=2)\n"
        "param_scheduler = None\n")
    with open('faster_rcnn.py', 'w') as f:
        f.write(config)

    runner = _train_script(['faster_rcnn.py', '--auto-scale-lr',
                            '--cfg-options', 'train_cfg.max_epochs=1'])
    assert runner.work_dir == osp.abspath('./work_dirs/faster_rcnn')
    assert runner.max_epochs == 1
    # batch size 4 against a base of 2 doubles the lr
    assert runner.optim_wrapper.get_lr()['lr'] == [pytest.approx(0.2)]
    assert osp.isfile('./work_dirs/faster_rcnn/epoch_1.pth')

    runner = _train_script(['faster_rcnn.py', '--resume', '--work-dir', './work_dirs/faster_rcnn',
                            '--cfg-options', 'train_cfg.max_epochs=2', 'runner_type=Runner'])
    log = _read_log(runner)
    assert 'resumed epoch: 1, iter: 4' in log and 'Epoch(val) [2][2/2] accuracy' in log
    assert 'Epoch(val) [1]' not in log and runner.epoch == 2
