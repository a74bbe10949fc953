"""Hook base class, priorities and the no-op detection used for dispatch
(HOOK-01..05), without a Runner."""

from __future__ import annotations

import warnings
from types import SimpleNamespace

import pytest

from engine.hooks import (
    CheckpointHook,
    DistSamplerSeedHook,
    EMAHook,
    EmptyCacheHook,
    Hook,
    IterTimerHook,
    LoggerHook,
    NaiveVisualizationHook,
    ParamSchedulerHook,
    RuntimeInfoHook,
    SyncBuffersHook,
)
from engine.hooks.hook import HOOK_POINTS
from engine.runner import Priority, get_priority


def test_priority_values():
    assert {p.name: p.value for p in Priority} == dict(
        HIGHEST=0, VERY_HIGH=10, HIGH=30, ABOVE_NORMAL=40, NORMAL=50, BELOW_NORMAL=60,
        LOW=70, VERY_LOW=90, LOWEST=100)


def test_get_priority():
    assert get_priority('HIGH') == 30
    assert get_priority('very_low') == 90
    assert get_priority(Priority.LOW) == 70
    assert get_priority(55) == 55
    assert get_priority(0) == 0 and get_priority(100) == 100
    for bad in (101, -1):
        with pytest.raises(ValueError, match='priority must be between 0 and 100'):
            get_priority(bad)
    with pytest.raises(TypeError):
        get_priority(1.5)
    with pytest.raises(TypeError):
        get_priority(None)
    with pytest.raises(KeyError, match='foo'):
        get_priority('foo')


def test_hook_points_and_default_priority():
    assert len(HOOK_POINTS) == 22
    assert Hook.priority == 'NORMAL'
    hook = Hook()
    runner = SimpleNamespace(epoch=0, iter=0, max_epochs=1, max_iters=1)
    # every point is a callable no-op taking keyword arguments
    for point in HOOK_POINTS:
        kwargs = {}
        if point.endswith('_iter'):
            kwargs = dict(batch_idx=0, data_batch=None)
            if point.startswith('after'):
                kwargs['outputs'] = None
        elif point in ('after_val_epoch', 'after_test_epoch'):
            kwargs = dict(metrics={})
        elif point.endswith('checkpoint'):
            kwargs = dict(checkpoint={})
        assert getattr(hook, point)(runner, **kwargs) is None
    assert hook.get_triggered_stages() == []


def test_builtin_priorities():
    assert CheckpointHook.priority == 'VERY_LOW'
    assert LoggerHook.priority == 'BELOW_NORMAL'
    assert ParamSchedulerHook.priority == 'LOW'
    assert RuntimeInfoHook.priority == 'VERY_HIGH'
    for cls in (IterTimerHook, DistSamplerSeedHook, EMAHook, EmptyCacheHook, SyncBuffersHook,
                NaiveVisualizationHook):
        assert cls.priority == 'NORMAL', cls


class _Recorder(Hook):
    def __init__(self):
        self.calls = []

    def _before_epoch(self, runner, mode='train'):
        self.calls.append(('before_epoch', mode))

    def _after_epoch(self, runner, mode='train'):
        self.calls.append(('after_epoch', mode))

    def _before_iter(self, runner, batch_idx, data_batch=None, mode='train'):
        self.calls.append(('before_iter', mode, batch_idx, data_batch))

    def _after_iter(self, runner, batch_idx, data_batch=None, outputs=None, mode='train'):
        self.calls.append(('after_iter', mode, batch_idx, data_batch, outputs))


def test_mode_generic_forwarding():
    hook = _Recorder()
    for mode in ('train', 'val', 'test'):
        getattr(hook, f'before_{mode}_epoch')(None)
        getattr(hook, f'before_{mode}_iter')(None, batch_idx=1, data_batch='d')
        getattr(hook, f'after_{mode}_iter')(None, batch_idx=1, data_batch='d', outputs='o')
        if mode == 'train':
            hook.after_train_epoch(None)
        else:
            getattr(hook, f'after_{mode}_epoch')(None, metrics={'a': 1})
    assert hook.calls[:4] == [('before_epoch', 'train'), ('before_iter', 'train', 1, 'd'),
                              ('after_iter', 'train', 1, 'd', 'o'), ('after_epoch', 'train')]
    assert [c[1] for c in hook.calls] == ['train'] * 4 + ['val'] * 4 + ['test'] * 4


def test_is_noop_detects_overrides():
    class OnlyRun(Hook):
        def before_run(self, runner):
            pass

    class Generic(Hook):
        def _after_iter(self, runner, batch_idx, data_batch=None, outputs=None, mode='train'):
            pass

    class Sub(Generic):
        pass

    assert not Hook._is_noop(OnlyRun, 'before_run')
    assert Hook._is_noop(OnlyRun, 'after_run')
    assert Hook._is_noop(OnlyRun, 'after_train_iter')
    for point in ('after_train_iter', 'after_val_iter', 'after_test_iter'):
        assert not Hook._is_noop(Generic, point)
        assert not Hook._is_noop(Sub, point)  # inherited overrides count
    assert Hook._is_noop(Generic, 'before_train_iter')
    assert Hook._is_noop(Generic, 'after_train_epoch')
    assert Hook._points_of(Generic) == ['after_train_iter', 'after_val_iter', 'after_test_iter']
    assert OnlyRun().get_triggered_stages() == ['before_run']
    # IterTimerHook uses generic methods in every phase
    stages = IterTimerHook().get_triggered_stages()
    for mode in ('train', 'val', 'test'):
        assert {f'before_{mode}_epoch', f'before_{mode}_iter', f'after_{mode}_iter'} <= \
            set(stages)
    assert 'before_train' in stages and 'after_run' not in stages
    assert set(CheckpointHook().get_triggered_stages()) == {
        'before_train', 'after_train_epoch', 'after_train_iter', 'after_val_epoch',
        'after_train',  # frees the ranks' stop vote (distributed runs)
        'after_val_iter',  # stops a validation on SIGTERM once its iteration is saved
        'before_val_epoch',  # can the ranks vote during this validation?
        'after_run'}  # after_run hands SIGTERM back


def test_helper_predicates():
    hook = Hook()
    runner = SimpleNamespace(epoch=4, iter=9, max_epochs=5, max_iters=20)
    assert hook.every_n_epochs(runner, 5)
    assert not hook.every_n_epochs(runner, 3)
    assert not hook.every_n_epochs(runner, 0) and not hook.every_n_epochs(runner, -1)
    assert hook.every_n_train_iters(runner, 10) and hook.every_n_train_iters(runner, 5)
    assert not hook.every_n_train_iters(runner, 3)
    assert not hook.every_n_train_iters(runner, 0)
    assert hook.every_n_inner_iters(9, 10) and not hook.every_n_inner_iters(8, 10)
    assert not hook.every_n_inner_iters(9, -1)
    assert hook.end_of_epoch([0] * 10, 9) and not hook.end_of_epoch([0] * 10, 8)
    assert hook.is_last_train_epoch(runner)
    assert not hook.is_last_train_iter(runner)
    runner.iter = 19
    assert hook.is_last_train_iter(runner)
    runner.epoch = 3
    assert not hook.is_last_train_epoch(runner)


def test_empty_cache_and_sync_buffers_are_noops_on_cpu():
    # single process, no CUDA: nothing to release, nothing to reduce
    hook = EmptyCacheHook(before_epoch=True, after_epoch=True, after_iter=True)
    for mode in ('train', 'val', 'test'):
        hook._before_epoch(None, mode=mode)
        hook._after_iter(None, 0, mode=mode)
        hook._after_epoch(None, mode=mode)
    assert SyncBuffersHook().distributed is False
    SyncBuffersHook().after_train_epoch(None)  # never touches the runner when not distributed


def test_generic_override_still_runs_for_training():
    # IterTimerHook implements its train points directly; a subclass that
    # overrides only the mode-generic methods must still be called in training
    calls = []

    class Timer(IterTimerHook):
        def _before_iter(self, runner, batch_idx, data_batch=None, mode='train'):
            calls.append(('before', mode))

        def _after_iter(self, runner, batch_idx, data_batch=None, outputs=None, mode='train'):
            calls.append(('after', mode))

    runner = SimpleNamespace()
    for mode in ('train', 'val', 'test'):
        getattr(Timer(), f'before_{mode}_iter')(runner, batch_idx=0)
        getattr(Timer(), f'after_{mode}_iter')(runner, batch_idx=0, outputs=None)
    assert calls == [(point, mode) for mode in ('train', 'val', 'test')
                     for point in ('before', 'after')]
    assert {'before_train_iter', 'after_train_iter'} <= set(Timer().get_triggered_stages())

    class Both(IterTimerHook):  # overriding the point itself wins, as usual
        def _after_iter(self, runner, batch_idx, data_batch=None, outputs=None, mode='train'):
            calls.append('generic')

        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
            calls.append('train')

    calls.clear()
    Both().after_train_iter(runner, batch_idx=0)
    Both().after_val_iter(runner, batch_idx=0)
    assert calls == ['train', 'generic']


def test_a_method_named_almost_like_a_hook_point_warns_where_the_class_is_defined():
    with pytest.warns(UserWarning, match=r"Late.after_train_iteration is not a hook point, so "
                                         r"the Runner will not call it: did you mean "
                                         r"'after_train_iter'\?") as caught:
        class Late(Hook):
            def after_train_iteration(self, runner, batch_idx, data_batch=None, outputs=None):
                pass
    assert caught[0].filename == __file__  # points at the class, not at the hook module

    with warnings.catch_warnings():
        warnings.simplefilter('error')

        class Custom(Hook):  # custom points (a loop's own call_hook) are far from the built-ins
            def after_optimizer_step(self, runner):
                pass

            def before_backward(self, runner):
                pass

            def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
                pass
