"""The training loops call the per-iteration hooks by position: every hook
still receives what ``call_hook(name, **kwargs)`` would have given it."""

from __future__ import annotations

import pytest
import torch
from runner_toys import ToyModel, toy_runner_cfg

from engine.hooks import Hook
from engine.runner import Runner
from engine.runner.hook_dispatch import positional_callable, takes_by_position


def _cfg(tmp_path, hooks, by_epoch=True, **overrides):
    train_cfg = overrides.pop('train_cfg', None) or (
        dict(by_epoch=True, max_epochs=1) if by_epoch
        else dict(by_epoch=False, max_iters=6, val_interval=100))
    return toy_runner_cfg(tmp_path, custom_hooks=hooks, train_cfg=train_cfg, val_dataloader=None,
                          val_cfg=None, val_evaluator=None, param_scheduler=None,
                          default_hooks=dict(logger=None, checkpoint=None), **overrides)


class KeywordsOnly(Hook):
    def __init__(self):
        self.seen = []

    def before_train_iter(self, runner, **kwargs):
        self.seen.append(('before', sorted(kwargs)))

    def after_train_iter(self, runner, **kwargs):
        self.seen.append(('after', kwargs['batch_idx'], sorted(kwargs),
                          type(kwargs['outputs']).__name__))


class Reordered(Hook):
    def __init__(self):
        self.seen = []

    def after_train_iter(self, runner, batch_idx, outputs=None, data_batch=None):
        self.seen.append((batch_idx, isinstance(outputs, dict) and 'loss' in outputs,
                          isinstance(data_batch, dict)))


@pytest.mark.parametrize('by_epoch', [True, False])
def test_hooks_get_every_argument_whatever_their_signature(tmp_path, by_epoch):
    keywords, reordered = KeywordsOnly(), Reordered()
    Runner(**_cfg(tmp_path, [keywords, reordered], by_epoch=by_epoch)).train()
    iterations = 6  # 24 samples, batch 4
    assert keywords.seen[:2] == [('before', ['batch_idx', 'data_batch']),
                                 ('after', 0, ['batch_idx', 'data_batch', 'outputs'],
                                  'OrderedDict')]
    assert len(keywords.seen) == 2 * iterations
    assert reordered.seen == [(i, True, True) for i in range(iterations)]


def test_a_hook_registered_during_training_runs_from_the_next_iteration(tmp_path):
    late = KeywordsOnly()

    class Registrar(Hook):
        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
            if batch_idx == 1:
                runner.register_hook(late)

    Runner(**_cfg(tmp_path, [Registrar()])).train()
    assert [entry[1] for entry in late.seen if entry[0] == 'after'] == [2, 3, 4, 5]


def test_a_runner_overriding_call_hook_sees_the_iteration_points(tmp_path):
    calls = []

    class TracingRunner(Runner):
        def call_hook(self, fn_name, **kwargs):
            calls.append((fn_name, sorted(kwargs)))
            super().call_hook(fn_name, **kwargs)

    TracingRunner(**_cfg(tmp_path, [])).train()
    assert ('before_train_iter', ['batch_idx', 'data_batch']) in calls
    assert ('after_train_iter', ['batch_idx', 'data_batch', 'outputs']) in calls


def test_a_type_error_names_the_hook(tmp_path):
    class Broken(Hook):
        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
            raise TypeError('unsupported operand')

    with pytest.raises(TypeError, match=r'unsupported operand in Broken'):
        Runner(**_cfg(tmp_path, [Broken()])).train()


@pytest.mark.parametrize('by_epoch', [True, False])
def test_a_hook_needing_more_arguments_is_named(tmp_path, by_epoch):
    class NeedsMore(Hook):
        def after_train_iter(self, runner, batch_idx, data_batch, outputs, extra):
            pass

    with pytest.raises(TypeError, match=r"'extra'.* in NeedsMore"):
        Runner(**_cfg(tmp_path, [NeedsMore()], by_epoch=by_epoch)).train()


def test_a_type_error_of_the_step_is_not_blamed_on_a_hook(tmp_path):
    class BrokenModel(ToyModel):
        def forward(self, inputs, data_samples=None, mode='tensor'):
            raise TypeError('bad model input')

    with pytest.raises(TypeError) as info:
        Runner(**_cfg(tmp_path, [KeywordsOnly()], model=BrokenModel())).train()
    assert str(info.value) == 'bad model input'


def test_a_type_error_of_a_function_set_on_a_hook_passes_through(tmp_path):
    hook = Hook()

    def broken(runner, batch_idx, data_batch=None):
        raise TypeError('from a function')

    hook.before_train_iter = broken
    with pytest.raises(TypeError) as info:
        Runner(**_cfg(tmp_path, [hook])).train()
    assert str(info.value) == 'from a function'
    # the same through call_hook, at a point the loops do not call themselves
    del hook.before_train_iter
    hook.before_train_epoch = lambda runner: broken(runner, 0)
    with pytest.raises(TypeError) as info:
        Runner(**_cfg(tmp_path / 'again', [hook])).train()
    assert str(info.value) == 'from a function'


def test_positional_check():
    names = ('batch_idx', 'data_batch', 'outputs')
    hook = Reordered()
    assert not takes_by_position(hook.after_train_iter, names)
    assert takes_by_position(Hook().after_train_iter, names)
    adapter = positional_callable(hook.after_train_iter, names)
    adapter(None, 3, {'x': torch.zeros(1)}, {'loss': 1})
    assert hook.seen == [(3, True, True)]
    plain = Hook()
    assert positional_callable(plain.after_train_iter, names) == plain.after_train_iter


def test_methods_set_on_a_hook_instance_run(tmp_path):
    calls = []
    hook = Hook()  # every method a no-op on the class
    hook.before_train_epoch = lambda runner: calls.append('epoch')
    hook.after_train_iter = lambda runner, batch_idx, data_batch=None, outputs=None: \
        calls.append(batch_idx)
    runner = Runner(**_cfg(tmp_path, [hook], by_epoch=False))
    runner.train()
    assert calls == ['epoch', 0, 1, 2, 3, 4, 5]


@pytest.mark.parametrize('by_epoch', [True, False])
def test_a_run_iter_set_on_the_loop_or_overridden_runs_every_iteration(tmp_path, by_epoch):
    # run_iter is the seed's extension point: an override on the loop or a subclass runs
    runner = Runner(**_cfg(tmp_path, [], by_epoch=by_epoch))
    loop = runner.train_loop
    calls = []
    original = loop.run_iter

    def counting(*args):
        calls.append(args[-2] if by_epoch else loop.iter)  # batch_idx, or the iteration
        original(*args)

    loop.run_iter = counting
    runner.train()
    assert calls == list(range(6)) and runner.iter == 6

    from engine.registry import LOOPS
    from engine.runner import IterBasedTrainLoop

    @LOOPS.register_module(force=True)
    class TwiceIterLoop(IterBasedTrainLoop):
        def run_iter(self, data_batch):
            calls.append('twice')
            super().run_iter(data_batch)
            super().run_iter(data_batch)

    runner = Runner(**_cfg(tmp_path / 'sub', [], by_epoch=False,
                           train_cfg=dict(type='TwiceIterLoop', max_iters=6, val_interval=100)))
    calls.clear()
    runner.train()
    assert calls == ['twice'] * 3 and runner.iter == 6


def test_schedulers_assigned_mid_run_are_stepped(tmp_path):
    # without schedulers ParamSchedulerHook is left out of the per-iteration
    # calls; assigning them brings it back from the next iteration
    from engine.optim import ConstantLR
    lrs = []

    class Assigner(Hook):
        priority = 'LOWEST'

        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
            lrs.append(runner.optim_wrapper.get_lr()['lr'][0])
            if batch_idx == 1:
                runner.param_schedulers = [ConstantLR(runner.optim_wrapper, factor=0.5,
                                                      by_epoch=False, end=3)]

    runner = Runner(**_cfg(tmp_path, [Assigner()], by_epoch=False))
    runner.train()
    base = 0.05
    # ConstantLR halves the lr when built and restores it after `end` steps
    assert lrs == pytest.approx([base, base, base / 2, base, base, base])
