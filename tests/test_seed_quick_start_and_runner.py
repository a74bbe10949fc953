"""The seed's 15-minute quick start (§3), Runner tutorial (§6) and MMEngine-style training
script (§31.2.2), run as written.

What stands in for the tutorials' downloads, and the other changes, are listed in
``tutorial_standins.py``.
"""

from __future__ import annotations

import os
import os.path as osp
import re

import pytest
import torch
import torch.nn as nn
from torch.utils.data import DataLoader
from tutorial_standins import cifar10_like, collapse, mnist_like, read_log, resnet50

pytestmark = pytest.mark.usefixtures('in_tmp_dir')


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

    log = read_log(runner)
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
    out = collapse(capsys.readouterr().out)
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
    assert re.search(r'Epoch\(test\) \[8/8\] accuracy: \d\.\d{4}', read_log(runner))

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
    log = read_log(runner)
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
    log = read_log(runner)
    assert 'Epoch(val) [2][2/2] accuracy:' in log and 'Epoch(test) [2/2] accuracy:' in log
    assert runner.optim_wrapper.get_lr()['lr'] == [pytest.approx(0.01)]  # MultiStepLR at 1


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
    log = read_log(runner)
    assert 'resumed epoch: 1, iter: 4' in log and 'Epoch(val) [2][2/2] accuracy' in log
    assert 'Epoch(val) [1]' not in log and runner.epoch == 2
