"""Loops, hooks and AMP (LOOP-01..08, HOOK-17, HOOK-20, HOOK-23, AMP-01):
the cases other tests leave open."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from runner_toys import toy_runner_cfg
from torch.utils.data import DataLoader

from engine.hooks import EMAHook, Hook, IterTimerHook, NaiveVisualizationHook
from engine.runner import EpochBasedTrainLoop, IterBasedTrainLoop, Runner, ValLoop, autocast
from engine.structures import BaseDataElement
from engine.visualization import Visualizer


def _cfg(work_dir, **overrides) -> dict:
    """One batch per training epoch (24 samples, batch 24), one validation batch."""
    overrides.setdefault('param_scheduler', None)
    cfg = toy_runner_cfg(work_dir, **overrides)
    cfg['train_dataloader']['batch_size'] = 24
    if cfg['val_dataloader'] is not None:
        cfg['val_dataloader']['batch_size'] = 8
    return cfg


class _ValSpy(Hook):
    """Records the finished-step count at each validation."""

    def __init__(self, by_epoch: bool = True):
        self.by_epoch = by_epoch
        self.seen = []

    def after_val_epoch(self, runner, metrics=None):
        self.seen.append(runner.epoch if self.by_epoch else runner.iter)


# ------------------------------------------------------------------- AMP-01
@pytest.mark.parametrize('device_type', ['mps', 'npu', 'xpu', 'tpu'])
@pytest.mark.parametrize('enabled', [True, False])
def test_autocast_device_type_must_be_cuda_or_cpu(device_type, enabled):
    # the documented choice is 'cuda' or 'cpu'; anything else is a ValueError naming it,
    # also with enabled=False (a misspelt device is a mistake either way)
    with pytest.raises(ValueError, match=repr(device_type)):
        with autocast(device_type=device_type, enabled=enabled):
            pass


def test_autocast_disabled_on_the_current_device_needs_no_arguments():
    layer = torch.nn.Linear(2, 2)
    with autocast(enabled=False):
        assert layer(torch.ones(1, 2)).dtype == torch.float32


# ------------------------------------------------------------ LOOP-01/02/08
def test_loop_runner_is_read_only_and_dict_loaders_are_built(tmp_path):
    runner = Runner(**_cfg(tmp_path))
    loop = runner.train_loop
    assert isinstance(loop, EpochBasedTrainLoop) and loop.runner is runner
    assert isinstance(loop.dataloader, DataLoader)
    with pytest.raises(AttributeError):
        loop.runner = None
    # the dataset's metainfo reaches the visualizer and the evaluator
    val_loop = runner.val_loop
    assert runner.visualizer.dataset_meta == dict(classes=('toy',))
    assert val_loop.evaluator.dataset_meta == dict(classes=('toy',))


def test_a_dataset_without_metainfo_warns(tmp_path):
    runner = Runner(**_cfg(tmp_path))
    plain = DataLoader([(torch.ones(2), torch.ones(()))] * 4, batch_size=2)
    with pytest.warns(UserWarning, match='has no metainfo'):
        EpochBasedTrainLoop(runner, plain, max_epochs=1)
    with pytest.warns(UserWarning, match='has no metainfo'):
        ValLoop(runner, plain, evaluator=dict(type='ToyMetric'))


def test_val_loop_evaluator_forms(tmp_path):
    runner = Runner(**_cfg(tmp_path))
    loader = runner.val_dataloader
    from engine.evaluator import Evaluator
    built = ValLoop(runner, loader, evaluator=[dict(type='ToyMetric')])
    assert isinstance(built.evaluator, Evaluator)
    evaluator = Evaluator(dict(type='ToyMetric'))
    assert ValLoop(runner, loader, evaluator=evaluator).evaluator is evaluator
    with pytest.raises(AssertionError, match='evaluator'):
        ValLoop(runner, loader, evaluator='ToyMetric')
    assert ValLoop(runner, loader, evaluator=evaluator).fp16 is False


# ------------------------------------------------------------------ LOOP-04/05
def test_iter_based_validation_schedule_with_val_begin_and_dynamic_intervals(tmp_path):
    spy = _ValSpy(by_epoch=False)
    Runner(**_cfg(tmp_path, custom_hooks=[spy], default_hooks=dict(checkpoint=None),
                  train_cfg=dict(by_epoch=False, max_iters=9, val_begin=4,
                                 val_interval=3))).train()
    assert spy.seen == [6, 9]

    # the same milestone rule as epochs: the new interval applies from milestone - 1
    spy = _ValSpy(by_epoch=False)
    Runner(**_cfg(tmp_path / 'dyn', custom_hooks=[spy], default_hooks=dict(checkpoint=None),
                  train_cfg=dict(by_epoch=False, max_iters=8, val_interval=1,
                                 dynamic_intervals=[(3, 2)]))).train()
    assert spy.seen == [1, 2, 4, 6, 8]


def test_dynamic_intervals_must_be_tuples(tmp_path):
    runner = Runner(**_cfg(tmp_path))
    with pytest.raises(AssertionError, match='tuples'):
        runner.build_train_loop(dict(by_epoch=True, max_epochs=2, dynamic_intervals=[[1, 2]]))


@pytest.mark.parametrize('train_cfg', [dict(val_interval=0), dict(val_interval=1.5),
                                       dict(val_interval=2, dynamic_intervals=[(2, 0)])])
def test_intervals_must_be_positive_ints_before_training_starts(tmp_path, train_cfg):
    runner = Runner(**_cfg(tmp_path))
    # once a ZeroDivisionError ("integer modulo by zero") after the first epoch
    with pytest.raises(ValueError, match='val_interval and the intervals of dynamic_intervals '
                                         'must be positive ints, got (0|1.5); to train '
                                         'without validation, leave out val_dataloader'):
        runner.build_train_loop(dict(by_epoch=True, max_epochs=2, **train_cfg))
    loop = runner.build_train_loop(dict(by_epoch=True, max_epochs=2, val_interval=1e9))
    assert loop.dynamic_intervals == [10**9]  # a whole float ("never") is fine


@pytest.mark.parametrize('by_epoch', [True, False])
def test_a_subclass_deciding_the_val_interval_is_obeyed(tmp_path, by_epoch):
    base = EpochBasedTrainLoop if by_epoch else IterBasedTrainLoop

    class SlowingDown(base):
        """Every 2 steps until step 4, then every 5."""

        def _decide_current_val_interval(self):
            done = self.epoch if by_epoch else self.iter
            self.val_interval = 2 if done < 4 else 5

    spy = _ValSpy(by_epoch)
    cfg = _cfg(tmp_path, custom_hooks=[spy], default_hooks=dict(checkpoint=None))
    runner = Runner(**cfg)
    kwargs = dict(max_epochs=10) if by_epoch else dict(max_iters=10)
    runner._train_loop = SlowingDown(runner, runner.train_loop.dataloader, **kwargs)
    runner.train()
    assert spy.seen == [2, 5, 10]


# ------------------------------------------------------------------ HOOK-17
class _TimerWithGenericOverride(IterTimerHook):
    """A subclass extending the mode-generic method, as a downstream library would."""

    def __init__(self):
        super().__init__()
        self.modes = []

    def _after_iter(self, runner, batch_idx, data_batch=None, outputs=None, mode='train'):
        super()._after_iter(runner, batch_idx, data_batch, outputs, mode)
        self.modes.append(mode)


def test_iter_timer_subclass_extending_after_iter_runs_in_every_phase(tmp_path):
    timer = _TimerWithGenericOverride()
    runner = Runner(**_cfg(tmp_path, default_hooks=dict(timer=timer),
                           train_cfg=dict(by_epoch=True, max_epochs=2)))
    runner.train()
    assert timer.modes == ['train', 'val', 'train', 'val']
    hub = runner.message_hub
    assert hub.get_scalar('train/time').data[0].size == 2
    assert hub.get_scalar('val/time').data[0].size == 2


# ------------------------------------------------------------------ HOOK-20
def test_ema_hook_with_momentum_annealing(tmp_path):
    runner = Runner(**_cfg(tmp_path, train_cfg=dict(by_epoch=True, max_epochs=2),
                           custom_hooks=[dict(type='EMAHook', ema_type='MomentumAnnealingEMA',
                                              gamma=10)]))
    runner.train()
    hook = next(h for h in runner.hooks if isinstance(h, EMAHook))
    assert type(hook.ema_model).__name__ == 'MomentumAnnealingEMA'
    assert int(hook.ema_model.steps) == 2
    ckpt = torch.load(tmp_path / 'epoch_2.pth', weights_only=True)
    assert 'ema_state_dict' in ckpt


# ------------------------------------------------------------------ HOOK-23
def test_naive_visualization_hook_takes_a_list_of_per_sample_dicts():
    class RecordingVisualizer(Visualizer):
        def add_datasample(self, name, image, data_sample=None, draw_gt=True,
                           draw_pred=True, show=False, wait_time=0, step=0):
            self.drawn.append((name, image, data_sample))

    visualizer = RecordingVisualizer.get_instance('audit2_naive_vis_list')
    visualizer.drawn = []
    # the ground truth carries the meta (normalisation, original shape, path)
    gt = BaseDataElement(metainfo=dict(img_path='a/dog.jpg', ori_shape=(2, 2),
                                       img_norm_cfg=dict(mean=[10.0] * 3, std=[2.0] * 3)))
    batch = [dict(inputs=torch.full((3, 2, 2), 5.0), data_sample=gt)]
    pred = BaseDataElement()
    hook = NaiveVisualizationHook()
    from types import SimpleNamespace
    hook.after_test_iter(SimpleNamespace(visualizer=visualizer), batch_idx=0,
                         data_batch=batch, outputs=[pred])
    (name, image, sample), = visualizer.drawn
    assert name == 'dog.jpg' and sample is pred
    assert image.shape == (2, 2, 3) and np.all(image == 20)  # 5 * 2 + 10


def test_no_warning_for_a_dataset_with_metainfo(tmp_path):
    runner = Runner(**_cfg(tmp_path))
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        assert runner.train_loop is not None and runner.val_loop is not None


# ------------------------------------------------------------------ HOOK-08/10
def test_checkpoint_hook_deprecated_file_client_args_still_saves(tmp_path):
    # FileClient's backend names ('disk') keep working on the deprecated route
    cfg = _cfg(tmp_path, val_dataloader=None, val_cfg=None, val_evaluator=None,
               train_cfg=dict(by_epoch=True, max_epochs=3),
               default_hooks=dict(checkpoint=dict(
                   type='CheckpointHook', interval=1, max_keep_ckpts=1,
                   file_client_args=dict(backend='disk'))))
    with pytest.warns(DeprecationWarning, match='file_client_args'):
        runner = Runner(**cfg)
        runner.train()
    assert sorted(p.name for p in tmp_path.glob('*.pth')) == ['epoch_3.pth']
    assert (tmp_path / 'last_checkpoint').read_text() == str(tmp_path / 'epoch_3.pth')


# ------------------------------------------------------------------ HOOK-09
def test_iteration_based_run_with_the_default_checkpoint_hook_saves_epoch_1(tmp_path):
    # the default hook counts epochs: iteration-based training has one, ended at the end
    cfg = _cfg(tmp_path, val_dataloader=None, val_cfg=None, val_evaluator=None,
               train_cfg=dict(by_epoch=False, max_iters=3))
    Runner(**cfg).train()
    assert sorted(p.name for p in tmp_path.glob('*.pth')) == ['epoch_1.pth']
    meta = torch.load(tmp_path / 'epoch_1.pth', weights_only=False)['meta']
    assert (meta['epoch'], meta['iter']) == (1, 3)


# ------------------------------------------------------------------ LOOP-01/10
def test_custom_val_loop_with_a_second_loader_and_its_own_hook_points(tmp_path):
    """§27.1's custom loop, with the example's slips fixed (C14): BaseLoop takes the
    runner and a dataloader; ``call_hook``; hooks get the runner first."""
    from engine.registry import HOOKS, LOOPS
    from engine.runner import BaseLoop

    @LOOPS.register_module(force=True)
    class CustomValLoop(BaseLoop):
        def __init__(self, runner, dataloader, evaluator, dataloader2):
            super().__init__(runner, dataloader)
            self.evaluator = runner.build_evaluator(evaluator)
            self.dataloader2 = runner.build_dataloader(dataloader2)

        def run(self):
            runner = self.runner
            runner.call_hook('before_val_epoch')
            for idx, data_batch in enumerate(self.dataloader2):
                runner.call_hook('before_valloader2_iter', batch_idx=idx, data_batch=data_batch)
                outputs = runner.model.val_step(data_batch)
                runner.call_hook('after_valloader2_iter', batch_idx=idx, data_batch=data_batch,
                                 outputs=outputs)
            runner.call_hook('after_val_epoch', metrics={})
            return {}

    @HOOKS.register_module(force=True)
    class CustomValHook(Hook):
        def __init__(self):
            self.calls = []

        def before_valloader2_iter(self, runner, batch_idx, data_batch):
            self.calls.append(('before', batch_idx))

        def after_valloader2_iter(self, runner, batch_idx, data_batch, outputs):
            self.calls.append(('after', batch_idx, len(outputs)))

    loader2 = dict(dataset=dict(type='ToyDataset', size=6), sampler=dict(type='DefaultSampler',
                   shuffle=False), batch_size=3, num_workers=0)
    cfg = _cfg(tmp_path, val_cfg=dict(type='CustomValLoop', dataloader2=loader2),
               custom_hooks=[dict(type='CustomValHook')])
    runner = Runner(**cfg)
    assert runner.val() == {}
    assert isinstance(runner.val_loop.dataloader2, DataLoader)
    hook = next(h for h in runner.hooks if type(h).__name__ == 'CustomValHook')
    assert hook.calls == [('before', 0), ('after', 0, 3), ('before', 1), ('after', 1, 3)]


# ------------------------------------------------------------------ HOOK-04
def test_a_subclass_adding_a_generic_method_keeps_its_parents_train_points(tmp_path):
    """Overriding ``_after_epoch`` adds behaviour in every phase; the parent's own
    ``after_train_epoch`` (here: stepping the schedulers) still runs, as in the reference."""
    from engine.hooks import ParamSchedulerHook

    class CountingSchedulerHook(ParamSchedulerHook):
        def __init__(self):
            self.modes = []

        def _after_epoch(self, runner, mode='train'):
            self.modes.append(mode)

    hook = CountingSchedulerHook()
    cfg = _cfg(tmp_path, train_cfg=dict(by_epoch=True, max_epochs=2),
               param_scheduler=dict(type='MultiStepLR', milestones=[1], gamma=0.1),
               default_hooks=dict(param_scheduler=hook))
    runner = Runner(**cfg)
    runner.train()
    lr = runner.optim_wrapper.get_lr()['lr'][0]
    assert lr == pytest.approx(0.005)  # stepped after each epoch: 0.05 -> 0.005
    assert hook.modes == ['val', 'val']  # the parent's after_train_epoch ran for training


# ------------------------------------------------------------------ HOOK-13
def test_standalone_validation_with_save_best_saves_nothing(tmp_path):
    # configs often carry save_best='auto'; runner.val() with them must just validate
    hooks = dict(checkpoint=dict(type='CheckpointHook', interval=1, save_best='auto'))
    runner = Runner(**_cfg(tmp_path, default_hooks=hooks,
                           train_cfg=dict(by_epoch=True, max_epochs=1)))
    metrics = runner.val()
    assert set(metrics) == {'acc', 'mse'}
    assert list(tmp_path.glob('*.pth')) == []
    runner.train()  # the same hook then tracks the best during training
    assert sorted(p.name for p in tmp_path.glob('*.pth')) == ['best_acc_epoch_1.pth',
                                                               'epoch_1.pth']
