"""Contracts of the reference release not pinned elsewhere.

Exact error sentences, positional argument order, methods replaced on an
instance (as the reference's own tests do with mocks), and scheduler state that
must live entirely in ``state_dict()``.
"""

import re
from unittest.mock import MagicMock

import pytest
import torch
import torch.nn as nn
from torch.optim import Optimizer

from engine.optim import AmpOptimWrapper, OptimWrapper, OptimWrapperDict
from engine.optim.scheduler import (
    ConstantLR,
    ConstantMomentum,
    ConstantParamScheduler,
    CosineAnnealingLR,
    CosineAnnealingMomentum,
    CosineRestartLR,
    CosineRestartMomentum,
    ExponentialLR,
    ExponentialMomentum,
    LinearLR,
    LinearMomentum,
    LinearParamScheduler,
    MultiStepLR,
    MultiStepMomentum,
    MultiStepParamScheduler,
    OneCycleLR,
    PolyLR,
    PolyMomentum,
    StepLR,
    StepMomentum,
)


def sgd(lr=0.05, **kwargs):
    return torch.optim.SGD([nn.Parameter(torch.zeros(2))], lr=lr, **kwargs)


# ------------------------------------------------------------- SCHED-08/10
@pytest.mark.parametrize('build, sentence', [
    (lambda: ConstantParamScheduler(sgd(), 'lr', factor=99),
     'Constant multiplicative factor should between 0 and 1.'),
    (lambda: ConstantLR(sgd(), factor=-0.5),
     'Constant multiplicative factor should between 0 and 1.'),
    (lambda: LinearParamScheduler(sgd(), 'lr', start_factor=10, end=900),
     'Starting multiplicative factor should between 0 and 1.'),
    (lambda: LinearMomentum(sgd(momentum=0.9), start_factor=-1, end=900),
     'Starting multiplicative factor should between 0 and 1.'),
    (lambda: LinearLR(sgd(), end_factor=1.001, end=900),
     'Ending multiplicative factor should between 0 and 1.'),
    (lambda: LinearLR(sgd(), end_factor=-0.00001, end=900),
     'Ending multiplicative factor should between 0 and 1.'),
])
def test_factor_errors_carry_the_reference_sentence_literally(build, sentence):
    with pytest.raises(ValueError, match=re.escape(sentence)):
        build()


# ------------------------------------------------------------- SCHED-06..15
def test_positional_arguments_follow_the_documented_order():
    # MultiStep puts last_step BEFORE begin/end (SCHED-07)
    s = MultiStepParamScheduler(sgd(), 'lr', [2, 5], 0.5, -1, 1, 4)
    assert (dict(s.milestones), s.gamma, s.begin, s.end) == ({2: 1, 5: 1}, 0.5, 1, 4)
    assert s.last_step == -1  # global step 0 is before begin=1: nothing applied yet
    s = MultiStepLR(sgd(), [3], 0.2, -1, 2, 6)
    assert (dict(s.milestones), s.gamma, s.begin, s.end) == ({3: 1}, 0.2, 2, 6)

    # the LR variants forward every positional argument after the optimizer
    s = StepLR(sgd(), 3, 0.5, 1, 8)
    assert (s.step_size, s.gamma, s.begin, s.end) == (3, 0.5, 1, 8)
    s = ExponentialLR(sgd(), 0.9, 0, 7)
    assert (s.gamma, s.end) == (0.9, 7)
    s = CosineAnnealingLR(sgd(), 10, 0.001)
    assert (s.T_max, s.eta_min) == (10, 0.001)
    s = PolyLR(sgd(), 0.001, 2.0)
    assert (s.eta_min, s.power) == (0.001, 2.0)
    s = LinearLR(sgd(), 0.5, 0.9, 0, 6)
    assert (s.start_factor, s.end_factor, s.total_iters) == (0.5, 0.9, 5)
    s = ConstantLR(sgd(), 0.5, 0, 5)
    assert (s.factor, s.total_iters) == (0.5, 4)
    s = OneCycleLR(sgd(), 25, 10, 0.4, 'linear', 5.0, 4.0, True)
    assert (s.total_steps, s.pct_start, s.anneal_strategy, s.div_factor,
            s.final_div_factor, s.three_phase) == (10, 0.4, 'linear', 5.0, 4.0, True)
    assert s.optimizer.param_groups[0]['lr'] == pytest.approx(25 / 5.0)
    s = CosineRestartLR(sgd(), [4, 5], [1, 0.5], 0.0)
    assert (s.periods, s.restart_weights, s.eta_min) == ([4, 5], [1, 0.5], 0.0)
    s = StepMomentum(sgd(momentum=0.9), 2, 0.5)
    assert (s.step_size, s.gamma, s.param_name) == (2, 0.5, 'momentum')


# ----------------------------------------------------------------- SCHED-03
def _adam():
    return torch.optim.Adam([nn.Parameter(torch.zeros(2))], lr=0.05, betas=(0.9, 0.99))


# (name, optimizer factory, key read, scheduler to save, differently configured one)
STATEFUL = [
    ('StepLR', sgd, 'lr', lambda o: StepLR(o, 2, 0.5), lambda o: StepLR(o, 7, 0.9, begin=1)),
    ('MultiStepLR', sgd, 'lr', lambda o: MultiStepLR(o, [2, 4, 4], 0.5),
     lambda o: MultiStepLR(o, [1], 0.1)),
    ('ConstantLR', sgd, 'lr', lambda o: ConstantLR(o, 0.5, end=6),
     lambda o: ConstantLR(o, 0.1, end=50)),
    ('ExponentialLR', sgd, 'lr', lambda o: ExponentialLR(o, 0.8),
     lambda o: ExponentialLR(o, 0.1, end=3)),
    ('LinearLR', sgd, 'lr', lambda o: LinearLR(o, 0.2, end=7),
     lambda o: LinearLR(o, 0.9, end=3)),
    ('CosineAnnealingLR', sgd, 'lr', lambda o: CosineAnnealingLR(o, 5, 0.001),
     lambda o: CosineAnnealingLR(o, 100)),
    ('PolyLR', sgd, 'lr', lambda o: PolyLR(o, 0.001, 0.9, end=8),
     lambda o: PolyLR(o, 0.0, 2.0, end=40)),
    ('OneCycleLR', sgd, 'lr', lambda o: OneCycleLR(o, 2.0, 10, anneal_strategy='linear'),
     lambda o: OneCycleLR(o, 9.0, 30, three_phase=True)),
    ('CosineRestartLR', sgd, 'lr', lambda o: CosineRestartLR(o, [3, 4], [1, 0.5], eta_min=0.0),
     lambda o: CosineRestartLR(o, [20], eta_min_ratio=0.5)),
    ('StepMomentum(betas)', _adam, 'betas',
     lambda o: StepMomentum(o, 2, 0.5), lambda o: StepMomentum(o, 9, 0.1)),
    ('MultiStepMomentum', lambda: sgd(momentum=0.9), 'momentum',
     lambda o: MultiStepMomentum(o, [1, 3]), lambda o: MultiStepMomentum(o, [6], 0.9)),
    ('ConstantMomentum', lambda: sgd(momentum=0.9), 'momentum',
     lambda o: ConstantMomentum(o, 0.5, end=5), lambda o: ConstantMomentum(o, 0.9)),
    ('ExponentialMomentum(betas)', _adam, 'betas',
     lambda o: ExponentialMomentum(o, 0.9), lambda o: ExponentialMomentum(o, 0.2)),
    ('LinearMomentum', lambda: sgd(momentum=0.9), 'momentum',
     lambda o: LinearMomentum(o, 0.5, end=6), lambda o: LinearMomentum(o, 0.1, end=2)),
    ('CosineAnnealingMomentum', lambda: sgd(momentum=0.9), 'momentum',
     lambda o: CosineAnnealingMomentum(o, 4, 0.1), lambda o: CosineAnnealingMomentum(o, 30)),
    ('PolyMomentum', lambda: sgd(momentum=0.9), 'momentum',
     lambda o: PolyMomentum(o, 0.1, 1.5, end=8), lambda o: PolyMomentum(o, end=2)),
    ('CosineRestartMomentum', lambda: sgd(momentum=0.9), 'momentum',
     lambda o: CosineRestartMomentum(o, [2, 5], [1, 0.8], eta_min=0.05),
     lambda o: CosineRestartMomentum(o, [9], eta_min=0.0)),
    ('weight_decay', lambda: sgd(weight_decay=1e-3), 'weight_decay',
     lambda o: LinearParamScheduler(o, 'weight_decay', 0.1, end=5),
     lambda o: LinearParamScheduler(o, 'weight_decay', 0.9, end=2)),
]


def _run(opt, scheduler, key, n):
    values = []
    for _ in range(n):
        value = opt.param_groups[0][key]
        values.append(value[0] if key == 'betas' else value)
        opt.step()
        scheduler.step()
    return values


@pytest.mark.parametrize('name, make_opt, key, saved, other', STATEFUL,
                         ids=[row[0] for row in STATEFUL])
def test_state_dict_alone_carries_the_schedule(name, make_opt, key, saved, other):
    """A checkpointed scheduler loaded into a differently configured one continues
    exactly as the original: no state lives outside ``state_dict()``."""
    opt = make_opt()
    scheduler = saved(opt)
    _run(opt, scheduler, key, 3)
    opt_state, sched_state = opt.state_dict(), scheduler.state_dict()
    assert 'optimizer' not in sched_state
    last_value = list(scheduler.get_last_value())
    expected = _run(opt, scheduler, key, 6)

    opt2 = make_opt()
    resumed = other(opt2)
    opt2.load_state_dict(opt_state)
    resumed.load_state_dict(sched_state)
    assert resumed.get_last_value() == pytest.approx(last_value)
    assert _run(opt2, resumed, key, 6) == pytest.approx(expected)
    assert resumed.state_dict().keys() == scheduler.state_dict().keys()


# ------------------------------------------------ OPT-03/04/05, OPT-16/17
def test_wrapper_delegates_to_a_mocked_optimizer_and_loss():
    optimizer = MagicMock(spec=Optimizer)
    wrapper = OptimWrapper(optimizer)
    wrapper.zero_grad(set_to_none=True)
    optimizer.zero_grad.assert_called_with(set_to_none=True)
    wrapper.step()
    optimizer.step.assert_called_with()
    loss = MagicMock()
    wrapper.backward(loss, retain_graph=True)
    loss.backward.assert_called_with(retain_graph=True)
    assert wrapper.inner_count == 1


def test_amp_wrapper_goes_through_its_scaler(monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    optimizer = MagicMock(spec=Optimizer)
    wrapper = AmpOptimWrapper(optimizer=optimizer)
    wrapper.loss_scaler = MagicMock()
    wrapper.step()
    wrapper.loss_scaler.step.assert_called_with(optimizer)
    wrapper.loss_scaler.update.assert_called_with(None)

    wrapper = AmpOptimWrapper(loss_scale=256.0, optimizer=sgd())
    scaler, scaled = MagicMock(), MagicMock()
    scaler.scale = MagicMock(return_value=scaled)
    wrapper.loss_scaler = scaler
    wrapper.backward(1)
    scaler.scale.assert_called_with(1)
    scaled.backward.assert_called_with()
    assert wrapper.inner_count == 1
    wrapper.step()
    scaler.update.assert_called_with(256.0)


def _mock_methods(wrapper):
    """Replace backward/step/zero_grad on the instance, as the reference's tests do."""
    def backward(loss):
        wrapper._inner_count += 1
        wrapper.scaled_loss = loss

    wrapper.backward = backward
    wrapper.step = MagicMock()
    wrapper.zero_grad = MagicMock()


def test_update_params_calls_methods_replaced_on_the_instance_when_accumulating():
    wrapper = OptimWrapper(sgd(), accumulative_counts=3)
    _mock_methods(wrapper)
    loss = torch.tensor(1.)
    wrapper.update_params(loss)
    assert wrapper.scaled_loss == torch.tensor(1.) / 3
    wrapper.step.assert_not_called()
    wrapper.zero_grad.assert_not_called()
    wrapper.update_params(loss)
    assert wrapper.inner_count == 2
    wrapper.update_params(loss)
    wrapper.step.assert_called_with()
    wrapper.zero_grad.assert_called_with()

    _mock_methods(wrapper)
    wrapper._inner_count = 99  # end of training without initialize_count_status
    wrapper.update_params(loss)
    wrapper.step.assert_not_called()
    assert wrapper.scaled_loss == torch.tensor(1.) / 3

    _mock_methods(wrapper)
    wrapper.initialize_count_status(nn.Linear(1, 1), 99, 100)
    wrapper.update_params(loss)
    wrapper.step.assert_called_with()
    wrapper.zero_grad.assert_called_with()
    assert wrapper.scaled_loss == torch.tensor(1.)

    _mock_methods(wrapper)
    wrapper.initialize_count_status(nn.Linear(1, 1), 96, 100)
    for _ in range(2):
        wrapper.update_params(loss)
        wrapper.step.assert_not_called()
        wrapper.zero_grad.assert_not_called()
    assert wrapper.scaled_loss == torch.tensor(1.) / 3


def test_update_params_calls_methods_replaced_on_the_instance_without_accumulation():
    wrapper = OptimWrapper(sgd(), accumulative_counts=1)
    _mock_methods(wrapper)
    wrapper.update_params(torch.tensor(1.))  # a leaf without grad: only the mock can take it
    assert wrapper.scaled_loss == torch.tensor(1.)
    wrapper.step.assert_called_with()
    wrapper.zero_grad.assert_called_with()


# ----------------------------------------------------------------- OPT-22
def test_optim_wrapper_dict_context_raises_when_entered_not_when_created():
    model = nn.Linear(1, 1)
    d = OptimWrapperDict(gen=OptimWrapper(sgd()), disc=OptimWrapper(sgd()))
    context = d.optim_context(model)  # building the context is harmless
    with pytest.raises(NotImplementedError,
                       match='`optim_context` should be called by each optimizer separately'):
        with context:
            pass
    d.initialize_count_status(model, 5, 10)  # a no-op, whatever the counts
    assert d['gen'].inner_count == 0 and d['gen']._max_counts == -1
