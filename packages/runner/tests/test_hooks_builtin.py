"""Hook dispatch order and priorities, custom hook points, and the built-in
hooks other than CheckpointHook/LoggerHook, driven by a real Runner
(HOOK-06, HOOK-07, HOOK-16..22)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch
from runner_toys import toy_runner_cfg
from torch.utils.data import BatchSampler, DataLoader

from engine.dataset import DefaultSampler
from engine.hooks import DistSamplerSeedHook, EMAHook, Hook, ParamSchedulerHook
from engine.hooks.hook import HOOK_POINTS
from engine.registry import HOOKS
from engine.runner import Runner


def _loader(size: int, batch_size: int = 4, shuffle: bool = False) -> dict:
    return dict(dataset=dict(type='ToyDataset', size=size),
                sampler=dict(type='DefaultSampler', shuffle=shuffle),
                batch_size=batch_size, num_workers=0)


def small_cfg(work_dir, epochs: int = 1, val: bool = True, **overrides) -> dict:
    """2 train batches per epoch, 1 val batch, 1 test batch."""
    cfg = toy_runner_cfg(work_dir, train_dataloader=_loader(8),
                         val_dataloader=_loader(4), test_dataloader=_loader(4),
                         train_cfg=dict(by_epoch=True, max_epochs=epochs),
                         optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
                         param_scheduler=None)
    if not val:
        cfg.update(val_dataloader=None, val_cfg=None, val_evaluator=None)
    cfg.update(overrides)
    return cfg


def _recorder_class(priority='NORMAL'):
    def make(point):
        def method(self, runner, **kwargs):
            self.calls.append(point)
        return method

    namespace = {point: make(point) for point in HOOK_POINTS}
    namespace['priority'] = priority
    namespace['__init__'] = lambda self: setattr(self, 'calls', [])
    return type('Recorder', (Hook,), namespace)


# -------------------------------------------------------------- call order
TRAIN_ORDER = ['before_run', 'before_train', 'before_train_epoch',
               'before_train_iter', 'after_train_iter', 'before_train_iter',
               'after_train_iter', 'after_train_epoch', 'before_save_checkpoint',
               'before_val', 'before_val_epoch', 'before_val_iter', 'after_val_iter',
               'after_val_epoch', 'after_val', 'after_train', 'after_run']


def test_train_call_order(tmp_path):
    recorder = _recorder_class()()
    runner = Runner(**small_cfg(tmp_path, custom_hooks=[recorder]))
    runner.train()
    assert recorder.calls == TRAIN_ORDER

    # with load_from, after_load_checkpoint follows before_run
    recorder = _recorder_class()()
    runner = Runner(**small_cfg(tmp_path / 'b', custom_hooks=[recorder],
                                load_from=str(tmp_path / 'epoch_1.pth')))
    runner.train()
    assert recorder.calls == TRAIN_ORDER[:1] + ['after_load_checkpoint'] + TRAIN_ORDER[1:]


def test_val_and_test_call_order(tmp_path):
    recorder = _recorder_class()()
    runner = Runner(**small_cfg(tmp_path, custom_hooks=[recorder]))
    runner.val()
    assert recorder.calls == ['before_run', 'before_val', 'before_val_epoch', 'before_val_iter',
                              'after_val_iter', 'after_val_epoch', 'after_val', 'after_run']
    recorder.calls.clear()
    runner.test()
    assert recorder.calls == ['before_run', 'before_test', 'before_test_epoch',
                              'before_test_iter', 'after_test_iter', 'after_test_epoch',
                              'after_test', 'after_run']


def test_iter_based_order(tmp_path):
    recorder = _recorder_class()()
    cfg = small_cfg(tmp_path, custom_hooks=[recorder], default_hooks=dict(checkpoint=None),
                    train_cfg=dict(by_epoch=False, max_iters=3, val_interval=2))
    Runner(**cfg).train()
    it = ['before_train_iter', 'after_train_iter']
    val = ['before_val', 'before_val_epoch', 'before_val_iter', 'after_val_iter',
           'after_val_epoch', 'after_val']
    assert recorder.calls == ['before_run', 'before_train', 'before_train_epoch'] + it * 2 + \
        val + it + ['after_train_epoch', 'after_train', 'after_run']


# -------------------------------------------------------------- priorities
@HOOKS.register_module(force=True)
class HNormal(Hook):
    pass


@HOOKS.register_module(force=True)
class HLow(Hook):
    pass


@HOOKS.register_module(force=True)
class HHigh(Hook):
    pass


@HOOKS.register_module(force=True)
class CheckInvalidLossHook(Hook):
    """§7.2's example: stop on a non-finite loss, checked every ``interval`` iterations."""

    priority = 'ABOVE_NORMAL'

    def __init__(self, interval: int = 50):
        self.interval = interval
        self.checked = 0

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if self.every_n_train_iters(runner, self.interval):
            assert torch.isfinite(outputs['loss'])
            self.checked += 1


def test_registration_order_by_priority(tmp_path):
    cfg = small_cfg(tmp_path, custom_hooks=[dict(type='HNormal'),
                                            dict(type='HLow', priority='LOWEST'),
                                            dict(type='HHigh', priority=0)])
    runner = Runner(**cfg)
    assert [type(h).__name__ for h in runner.hooks] == [
        'HHigh', 'RuntimeInfoHook', 'IterTimerHook', 'DistSamplerSeedHook', 'HNormal',
        'LoggerHook', 'ParamSchedulerHook', 'CheckpointHook', 'HLow']

    # ties keep registration order; explicit priority beats the class attribute
    first, second = HNormal(), HNormal()
    runner.register_hook(first)
    runner.register_hook(second)
    runner.register_hook(HLow(), priority='HIGHEST')
    names = [type(h).__name__ for h in runner.hooks]
    assert names[:2] == ['HHigh', 'HLow']
    normals = [h for h in runner.hooks if type(h) is HNormal]
    assert normals[1:] == [first, second]
    assert runner.hooks.index(second) < names.index('LoggerHook')
    with pytest.raises(TypeError):
        runner.register_hook(3)
    with pytest.raises(KeyError):
        runner.register_hook(dict(type='NoSuchHookAnywhere'))


def test_custom_hook_from_config(tmp_path):
    cfg = small_cfg(tmp_path, val=False, custom_hooks=dict(type='CheckInvalidLossHook',
                                                           interval=1))
    runner = Runner(**cfg)
    hook = next(h for h in runner.hooks if isinstance(h, CheckInvalidLossHook))
    assert hook.priority == 'ABOVE_NORMAL'
    names = [type(h).__name__ for h in runner.hooks]
    assert names.index('CheckInvalidLossHook') < names.index('IterTimerHook')
    runner.train()
    assert hook.checked == 2


def test_custom_hook_point_via_call_hook(tmp_path):
    class WithPoint(Hook):
        def __init__(self):
            self.values = []

        def after_my_point(self, runner, value):
            self.values.append(value)

    hook = WithPoint()
    runner = Runner(**small_cfg(tmp_path, custom_hooks=[hook]))
    runner.call_hook('after_my_point', value=3)  # the built-in hooks lack it: skipped
    runner.call_hook('no_hook_has_this')
    assert hook.values == [3]
    with pytest.raises(TypeError, match='WithPoint'):
        runner.call_hook('after_my_point', wrong=1)


# ----------------------------------------------------------- runtime info
def test_runtime_info_keys(tmp_path):
    cfg = small_cfg(tmp_path, epochs=3,
                    param_scheduler=dict(type='MultiStepLR', milestones=[2], gamma=0.5))
    runner = Runner(**cfg)
    runner.train()
    hub = runner.message_hub
    assert hub.get_info('epoch') == 2 and hub.get_info('iter') == 5
    assert hub.get_info('max_epochs') == 3 and hub.get_info('max_iters') == 6
    assert hub.get_info('seed') == 42
    assert hub.get_info('experiment_name') == runner.experiment_name
    assert isinstance(hub.get_info('cfg'), str) and hub.get_info('mmengine_version')
    assert hub.get_info('dataset_meta') == {'classes': ('toy',)}
    assert hub.get_scalar('train/lr').current() == pytest.approx(0.005)
    assert hub.get_scalar('train/loss').data[0].shape == (6,)
    assert set(hub.log_scalars) >= {'train/lr', 'train/loss', 'val/acc', 'val/mse'}
    assert len(hub.get_scalar('val/acc').data[0]) == 3
    runner.test()
    assert {'test/acc', 'test/mse'} <= set(hub.log_scalars)


# --------------------------------------------------------------- iter timer
def test_iter_timer_records_times_and_eta(tmp_path):
    seen = {}

    class Probe(Hook):
        priority = 'LOWEST'

        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
            if runner.iter == 1:
                hub = runner.message_hub
                seen['eta'] = hub.get_info('eta')
                seen['mean'] = hub.get_scalar('train/time').mean(2)

    cfg = small_cfg(tmp_path, epochs=3, custom_hooks=[Probe()],
                    log_processor=dict(window_size=2))
    runner = Runner(**cfg)
    runner.train()
    hub = runner.message_hub
    assert len(hub.get_scalar('train/time').data[0]) == 6
    assert len(hub.get_scalar('train/data_time').data[0]) == 6
    assert len(hub.get_scalar('val/time').data[0]) == 3
    assert len(hub.get_scalar('val/data_time').data[0]) == 3
    assert all(t >= 0 for t in hub.get_scalar('train/time').data[0])
    # after 2 of 6 iterations: mean time of those 2 times the 4 left
    assert seen['eta'] == pytest.approx(4 * seen['mean'])
    assert hub.get_info('eta') == 0  # nothing left at the end

    runner = Runner(**small_cfg(tmp_path / 'b', default_hooks=dict(timer=None)))
    assert 'IterTimerHook' not in [type(h).__name__ for h in runner.hooks]
    runner.train()
    assert 'train/time' not in runner.message_hub.log_scalars


# -------------------------------------------------------- param schedulers
def _lr_probe():
    class LrProbe(Hook):
        priority = 'LOWEST'

        def __init__(self):
            self.lrs = []

        def before_train_iter(self, runner, batch_idx, data_batch=None):
            self.lrs.append(runner.optim_wrapper.get_lr()['lr'][0])

    return LrProbe()


def test_param_scheduler_by_epoch_and_by_iter(tmp_path):
    probe = _lr_probe()
    sched = dict(type='MultiStepLR', by_epoch=True, milestones=[1], gamma=0.1)
    Runner(**small_cfg(tmp_path / 'a', epochs=2, val=False, param_scheduler=sched,
                       custom_hooks=[probe])).train()
    assert probe.lrs == pytest.approx([0.01, 0.01, 0.001, 0.001])

    probe = _lr_probe()
    sched = dict(type='MultiStepLR', by_epoch=False, milestones=[1, 3], gamma=0.1)
    Runner(**small_cfg(tmp_path / 'b', epochs=2, val=False, param_scheduler=sched,
                       custom_hooks=[probe])).train()
    assert probe.lrs == pytest.approx([0.01, 0.001, 0.001, 0.0001])

    probe = _lr_probe()
    Runner(**small_cfg(tmp_path / 'c', epochs=2, val=False, param_scheduler=sched,
                       custom_hooks=[probe], default_hooks=dict(param_scheduler=None))).train()
    assert probe.lrs == pytest.approx([0.01] * 4)


@pytest.mark.filterwarnings('ignore:Detected call of `scheduler.step')
def test_param_scheduler_hook_containers():
    from engine.optim import MultiStepLR, OptimWrapper
    model = torch.nn.Linear(1, 1)
    wrappers = {name: OptimWrapper(torch.optim.SGD(model.parameters(), lr=1.0))
                for name in ('gen', 'disc')}
    schedulers = {'gen': [MultiStepLR(wrappers['gen'], milestones=[1], by_epoch=False)],
                  'disc': [MultiStepLR(wrappers['disc'], milestones=[1], by_epoch=True)]}
    hook = ParamSchedulerHook()
    runner = SimpleNamespace(param_schedulers=schedulers)
    hook.after_train_iter(runner, batch_idx=0)
    assert wrappers['gen'].get_lr()['lr'][0] == pytest.approx(0.1)
    assert wrappers['disc'].get_lr()['lr'][0] == pytest.approx(1.0)  # epoch-based: not yet
    hook.after_train_epoch(runner)
    assert wrappers['disc'].get_lr()['lr'][0] == pytest.approx(0.1)
    assert wrappers['gen'].get_lr()['lr'][0] == pytest.approx(0.1)  # iter-based: untouched
    hook.after_train_iter(SimpleNamespace(param_schedulers=None), batch_idx=0)
    with pytest.raises(TypeError, match='param_schedulers'):
        hook.after_train_epoch(SimpleNamespace(param_schedulers='bad'))


# ------------------------------------------------------------ sampler seed
def test_dist_sampler_seed_sets_epoch(tmp_path):
    class Probe(Hook):
        priority = 'LOWEST'

        def __init__(self):
            self.epochs = []

        def before_train_epoch(self, runner):
            self.epochs.append((runner.epoch, runner.train_loop.dataloader.sampler.epoch))

    probe = Probe()
    Runner(**small_cfg(tmp_path / 'a', epochs=3, val=False, custom_hooks=[probe],
                       train_dataloader=_loader(8, shuffle=True))).train()
    assert probe.epochs == [(0, 0), (1, 1), (2, 2)]

    probe = Probe()
    Runner(**small_cfg(tmp_path / 'b', epochs=3, val=False, custom_hooks=[probe],
                       default_hooks=dict(sampler_seed=None),
                       train_dataloader=_loader(8, shuffle=True))).train()
    assert probe.epochs == [(0, 0), (1, 0), (2, 0)]


def test_dist_sampler_seed_through_batch_sampler():
    dataset = list(range(8))
    sampler = DefaultSampler(dataset, shuffle=True)
    loader = DataLoader(dataset, batch_sampler=BatchSampler(sampler, 2, drop_last=False))
    runner = SimpleNamespace(epoch=5, train_loop=SimpleNamespace(dataloader=loader))
    DistSamplerSeedHook().before_train_epoch(runner)
    assert sampler.epoch == 5


# --------------------------------------------------------------------- EMA
def _weights(module) -> dict:
    return {k: v.detach().cpu().clone() for k, v in module.state_dict().items()}


def _equal(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


class EmaProbe(Hook):
    priority = 'LOWEST'

    def __init__(self):
        self.records = []

    def _ema(self, runner):
        return next(h for h in runner.hooks if isinstance(h, EMAHook)).ema_model.module

    def after_train_epoch(self, runner):
        self.records.append(('train', _weights(runner.model), _weights(self._ema(runner))))

    def before_val_iter(self, runner, batch_idx, data_batch=None):
        self.records.append(('val', _weights(runner.model)))

    def after_val(self, runner):
        self.records.append(('after_val', _weights(runner.model)))


def test_ema_swaps_for_validation_and_saves_both_weights(tmp_path):
    probe = EmaProbe()
    runner = Runner(**small_cfg(tmp_path, epochs=2, custom_hooks=[
        dict(type='EMAHook', momentum=0.5), probe]))
    runner.train()
    (_, train_w, ema_w), (_, val_w), (_, after_w) = probe.records[:3]
    assert _equal(val_w, ema_w)  # validation sees the averaged weights
    assert not _equal(val_w, train_w)
    assert _equal(after_w, train_w)  # training continues with its own weights

    ckpt = torch.load(tmp_path / 'epoch_2.pth', weights_only=True)
    assert all(t.device.type == 'cpu' for t in ckpt['ema_state_dict'].values())
    _, train_w, ema_w = probe.records[3]
    assert _equal(dict(ckpt['state_dict']), ema_w)
    ema_sd = ckpt['ema_state_dict']
    assert 'steps' in ema_sd and int(ema_sd['steps']) == 4
    assert _equal({k[len('module.'):]: v for k, v in ema_sd.items() if k.startswith('module.')},
                  train_w)

    # resume: the model gets the training weights back, the EMA copy the averaged ones
    resumed = Runner(**small_cfg(tmp_path, epochs=2, resume=True,
                                 custom_hooks=[dict(type='EMAHook', momentum=0.5)]))
    resumed.train()  # already at max_epochs: loads and stops
    assert _equal(_weights(resumed.model), train_w)
    ema_hook = next(h for h in resumed.hooks if isinstance(h, EMAHook))
    assert _equal(_weights(ema_hook.ema_model.module), ema_w)
    assert int(ema_hook.ema_model.steps) == 4

    # load_from without resume: both start from the saved (averaged) weights
    class AtStart(Hook):
        def before_train(self, runner):
            self.model = _weights(runner.model)
            self.ema = _weights(next(h for h in runner.hooks
                                     if isinstance(h, EMAHook)).ema_model.module)

    start = AtStart()
    Runner(**small_cfg(tmp_path / 'load', epochs=1, val=False,
                       load_from=str(tmp_path / 'epoch_2.pth'),
                       custom_hooks=[dict(type='EMAHook'), start])).train()
    assert _equal(start.model, ema_w) and _equal(start.ema, ema_w)


def test_ema_resume_without_ema_state_warns(tmp_path):
    Runner(**small_cfg(tmp_path, epochs=1, val=False)).train()
    runner = Runner(**small_cfg(tmp_path, epochs=1, val=False, resume=True,
                                custom_hooks=[dict(type='EMAHook')]))
    with pytest.warns(UserWarning, match='ema_state_dict'):
        runner.train()
    ema = next(h for h in runner.hooks if isinstance(h, EMAHook)).ema_model.module
    assert _equal(_weights(ema), _weights(runner.model))


def test_ema_begin_epoch(tmp_path):
    probe = EmaProbe()
    Runner(**small_cfg(tmp_path, epochs=2, val=False, custom_hooks=[
        dict(type='EMAHook', momentum=0.5, begin_epoch=2), probe])).train()
    (_, train1, ema1), (_, train2, ema2) = probe.records
    assert _equal(train1, ema1)  # before begin_epoch the copy just follows
    assert not _equal(train2, ema2)

    with pytest.raises(AssertionError):
        EMAHook(begin_iter=1, begin_epoch=1)
    with pytest.raises(AssertionError):
        EMAHook(begin_iter=-1)
    with pytest.raises(AssertionError):
        EMAHook(begin_epoch=-1)
    runner = Runner(**small_cfg(tmp_path / 'b', epochs=2, val=False,
                                custom_hooks=[dict(type='EMAHook', begin_epoch=3)]))
    with pytest.raises(AssertionError, match='begin_epoch'):
        runner.train()


# ---------------------------------------------------- cache and buffer hooks
def test_empty_cache_and_sync_buffers_run_on_cpu(tmp_path):
    runner = Runner(**small_cfg(tmp_path, custom_hooks=[
        dict(type='EmptyCacheHook', before_epoch=True, after_iter=True),
        dict(type='SyncBuffersHook')]))
    before = _weights(runner.model)
    runner.train()
    assert not _equal(before, _weights(runner.model))  # training ran normally


# ------------------------------------------------------- naive visualization
def test_naive_visualization_hook_draws_unpadded_resized_images():
    from engine.hooks import NaiveVisualizationHook
    from engine.structures import BaseDataElement
    from engine.visualization import Visualizer

    class RecordingVisualizer(Visualizer):
        def add_datasample(self, name, image, data_sample=None, draw_gt=True,
                           draw_pred=True, show=False, wait_time=0, step=0):
            self.drawn.append((name, image, data_sample, draw_gt, draw_pred))

    visualizer = RecordingVisualizer.get_instance('naive_vis_hook_test')
    visualizer.drawn = []
    output = BaseDataElement(metainfo=dict(img_path='imgs/cat.png', img_shape=(2, 3),
                                           pad_shape=(4, 4), ori_shape=(4, 6)))
    image = torch.full((3, 4, 4), 100.0)
    batch = dict(inputs=[image, image], data_samples=[None, None])
    hook = NaiveVisualizationHook(interval=2, draw_gt=False)
    runner = SimpleNamespace(visualizer=visualizer)
    hook.after_test_iter(runner, batch_idx=0, data_batch=batch, outputs=[output, output])
    assert visualizer.drawn == []  # interval 2: only every second iteration
    hook.after_test_iter(runner, batch_idx=1, data_batch=batch, outputs=[output, output])
    assert len(visualizer.drawn) == 2
    name, drawn, sample, draw_gt, draw_pred = visualizer.drawn[0]
    assert name == 'cat.png' and sample is output
    assert drawn.shape == (4, 6, 3) and drawn.dtype.name == 'uint8'
    assert (drawn == 100).all()
    assert draw_gt is False and draw_pred is True


def test_runtime_info_logs_one_element_outputs_and_names_a_bad_one():
    from types import SimpleNamespace

    from engine.hooks import RuntimeInfoHook
    from engine.logging import MessageHub
    hub = MessageHub.get_instance('runtime_info_outputs')
    runner = SimpleNamespace(message_hub=hub)
    hook = RuntimeInfoHook()
    hook.after_train_iter(runner, 0, outputs=dict(loss=torch.tensor(0.5),
                                                  acc=torch.tensor([0.25])))
    assert hub.get_scalar('train/loss').current() == 0.5
    assert hub.get_scalar('train/acc').current() == 0.25
    with pytest.raises(AssertionError, match=r"'train/bad' must be a scalar.*shape \(3,\)"):
        hook.after_train_iter(runner, 1, outputs=dict(bad=torch.ones(3)))


def test_optimizer_hook_of_the_manuals_runner_example_is_a_warning_no_op(tmp_path):
    # §38.1.1 lists optimizer=dict(type='OptimizerHook', grad_clip=False) in default_hooks
    hooks = dict(optimizer=dict(type='OptimizerHook', grad_clip=False))
    with pytest.warns(UserWarning, match='OptimizerHook does nothing'):
        runner = Runner(**toy_runner_cfg(tmp_path, default_hooks=hooks,
                                         train_cfg=dict(by_epoch=True, max_epochs=1)))
    before = [p.detach().clone() for p in runner.model.parameters()]
    runner.train()  # the optim wrapper steps once per batch, the hook adds nothing
    assert any(not torch.equal(a, b) for a, b in zip(before, runner.model.parameters()))
    assert any(type(hook).__name__ == 'OptimizerHook' for hook in runner.hooks)


def test_optimizer_hook_refuses_to_drop_gradient_clipping():
    with pytest.raises(ValueError, match=r"clip_grad=\{'max_norm': 1\.0\}"):
        HOOKS.build(dict(type='OptimizerHook', grad_clip=dict(max_norm=1.0)))


def _runtime_info_in_a_run(hub_name: str):
    """A RuntimeInfoHook after before_train, on a stand-in runner with one SGD parameter."""
    from engine.hooks import RuntimeInfoHook
    from engine.logging import MessageHub
    from engine.optim import OptimWrapper
    param = torch.nn.Parameter(torch.ones(1))
    runner = SimpleNamespace(message_hub=MessageHub.get_instance(hub_name), epoch=0, iter=0,
                             max_epochs=1, max_iters=10**4, train_dataloader=None,
                             optim_wrapper=OptimWrapper(torch.optim.SGD([param], lr=0.1)))
    hook = RuntimeInfoHook()
    hook.before_train(runner)
    return hook, runner, runner.message_hub


def test_runtime_info_checks_values_after_switching_to_appenders():
    # from the second iteration on, numbers go into the hub through list appends;
    # anything else must still take update_scalar's checks and its error
    hook, runner, hub = _runtime_info_in_a_run('runtime_info_appenders')
    for i in range(3):
        runner.iter = i
        hook.before_train_iter(runner, i)
        hook.after_train_iter(runner, i, outputs=dict(loss=torch.tensor(0.5 + i), num=i))
    runner.optim_wrapper.optimizer.param_groups[0]['lr'] = torch.tensor(0.2)  # not a float
    runner.iter = 3
    hook.before_train_iter(runner, 3)
    assert hub.get_scalar('train/lr').data[0].tolist() == pytest.approx([0.1, 0.1, 0.1, 0.2])
    assert hub.get_scalar('train/loss').data[0].tolist() == [0.5, 1.5, 2.5]
    assert hub.get_scalar('train/num').data[0].tolist() == [0, 1, 2]
    assert hub.get_info('iter') == 3
    with pytest.raises(AssertionError, match=r"'train/loss' must be a scalar.*shape \(2,\)"):
        hook.after_train_iter(runner, 3, outputs=dict(loss=torch.ones(2)))
    with pytest.raises(TypeError, match="'train/num'"):
        hook.after_train_iter(runner, 3, outputs=dict(num='7'))
    assert len(hub.get_scalar('train/loss')) == 3  # the bad values appended nothing


def test_runtime_info_moves_appended_values_into_the_arrays_every_4096_iterations():
    # without a LoggerHook nothing reads the hub: the appended values must not pile up
    hook, runner, hub = _runtime_info_in_a_run('runtime_info_flush')
    for i in range(4097):
        runner.iter = i
        hook.before_train_iter(runner, i)
        hook.after_train_iter(runner, i, outputs=dict(loss=0.5))
    buffer = hub.get_scalar('train/loss')
    assert len(buffer._pending_values) == 1  # iteration 4096's flush took the 4096 before it
    assert len(buffer) == 4097 and len(hub.get_scalar('train/lr')) == 4097
