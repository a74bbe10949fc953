"""Scheduler values step by step: the spec's closed-form numbers and torch's schedulers."""

import math

import pytest
import torch
import torch.optim.lr_scheduler as tls

from engine.optim.scheduler import (
    ConstantLR,
    CosineAnnealingLR,
    CosineRestartLR,
    ExponentialLR,
    LinearLR,
    MultiStepLR,
    OneCycleLR,
    PolyLR,
    StepLR,
)


def make_opt(lr=0.05, second_lr=None, **kwargs):
    groups = [{'params': [torch.nn.Parameter(torch.zeros(2))]}]
    if second_lr is not None:
        groups.append({'params': [torch.nn.Parameter(torch.zeros(2))], 'lr': second_lr})
    return torch.optim.SGD(groups, lr=lr, **kwargs)


def lr_values(opt, schedulers, n, group=0):
    """Read the lr before each step, the way the spec's tables are written."""
    values = []
    for _ in range(n):
        values.append(opt.param_groups[group]['lr'])
        opt.step()
        for s in schedulers:
            s.step()
    return values


def check(values, expected):
    assert values == pytest.approx(expected, abs=1e-5)


def test_step_lr_ts01_and_second_group_scales_independently():
    opt = make_opt(second_lr=0.5)
    s = StepLR(opt, step_size=3, gamma=0.1)
    expected = [0.05] * 3 + [0.005] * 3 + [0.0005] * 3 + [0.00005]
    values = []
    for _ in range(10):
        values.append([g['lr'] for g in opt.param_groups])
        opt.step()
        s.step()
    check([v[0] for v in values], expected)
    check([v[1] for v in values], [x * 10 for x in expected])


def test_multistep_lr_ts02():
    opt = make_opt()
    s = MultiStepLR(opt, milestones=[2, 5, 9], gamma=0.1)
    check(lr_values(opt, [s], 11), [0.05, 0.05, 0.005, 0.005, 0.005, 0.0005, 0.0005,
                                    0.0005, 0.0005, 0.00005, 0.00005])


def test_multistep_repeated_milestone_decays_twice():
    opt = make_opt()
    s = MultiStepLR(opt, milestones=[2, 2], gamma=0.1)
    check(lr_values(opt, [s], 4), [0.05, 0.05, 0.0005, 0.0005])


def test_constant_lr_ts03():
    opt = make_opt()
    s = ConstantLR(opt, factor=0.5, end=5)
    check(lr_values(opt, [s], 10), [0.025] * 4 + [0.05] * 6)
    with pytest.raises(ValueError, match='Constant multiplicative factor'):
        ConstantLR(make_opt(), factor=99)


def test_constant_lr_factor_zero_restores_base():
    opt = make_opt()
    s = ConstantLR(opt, factor=0, end=3)
    check(lr_values(opt, [s], 4), [0.0, 0.0, 0.05, 0.05])


def test_linear_lr_ts04():
    opt = make_opt()
    s = LinearLR(opt, start_factor=0.5, end=5)
    check(lr_values(opt, [s], 8), [0.025, 0.03125, 0.0375, 0.04375, 0.05, 0.05, 0.05, 0.05])
    for kwargs, msg in [(dict(start_factor=10), 'Starting'), (dict(start_factor=-1), 'Starting'),
                        (dict(end_factor=1.001), 'Ending'),
                        (dict(end_factor=-0.00001), 'Ending')]:
        with pytest.raises(ValueError, match=msg):
            LinearLR(make_opt(), end=5, **kwargs)


def test_linear_lr_start_factor_zero_uses_closed_form():
    opt = make_opt()
    s = LinearLR(opt, start_factor=0.0, end=5)
    check(lr_values(opt, [s], 6), [0.0, 0.0125, 0.025, 0.0375, 0.05, 0.05])


def test_exponential_lr_ts05():
    opt = make_opt()
    s = ExponentialLR(opt, gamma=0.9)
    check(lr_values(opt, [s], 5), [0.05, 0.045, 0.0405, 0.03645, 0.032805])


def test_cosine_annealing_lr_ts06():
    opt = make_opt()
    s = CosineAnnealingLR(opt, T_max=10, eta_min=0)
    check(lr_values(opt, [s], 13),
          [0.05, 0.0487764, 0.0452254, 0.0396946, 0.0327254, 0.025, 0.0172746, 0.0103054,
           0.0047746, 0.0012236, 0.0, 0.0012236, 0.0047746])
    assert CosineAnnealingLR(make_opt(), begin=5, end=100).T_max == 95


def test_poly_lr_ts07():
    opt = make_opt()
    s = PolyLR(opt, power=0.9, eta_min=0.001, end=5)
    check(lr_values(opt, [s], 8), [0.05, 0.0388226, 0.0272584, 0.0150716, 0.001, 0.001,
                                   0.001, 0.001])
    opt = make_opt(lr=0.1)
    s = PolyLR(opt, power=1.0, eta_min=0, end=5)
    check(lr_values(opt, [s], 7), [0.1, 0.075, 0.05, 0.025, 0.0, 0.0, 0.0])


def test_one_cycle_linear_ts08():
    opt = make_opt()
    s = OneCycleLR(opt, eta_max=25, final_div_factor=2, total_steps=10,
                   anneal_strategy='linear')
    values = lr_values(opt, [s], 9) + [opt.param_groups[0]['lr']]
    check(values, [1, 13, 25, 21.5, 18, 14.5, 11, 7.5, 4, 0.5])
    s.step()  # one step past the 10th value still extrapolates
    with pytest.raises(ValueError, match='Tried to step 12 times. The specified number of '
                                         'total steps is 10'):
        s.step()


def test_one_cycle_three_phase_ts09():
    opt = make_opt()
    s = OneCycleLR(opt, eta_max=25, div_factor=25, total_steps=10, anneal_strategy='linear',
                   pct_start=0.4, final_div_factor=4, three_phase=True)
    check(lr_values(opt, [s], 10), [1, 9, 17, 25, 17, 9, 1, 0.75, 0.5, 0.25])


def test_one_cycle_cos_ts10_and_errors():
    opt = make_opt()
    s = OneCycleLR(opt, eta_max=25, final_div_factor=2, total_steps=10)
    expected = [1, 13, 25] + [0.5 + 24.5 / 2 * (1 + math.cos(math.pi * k / 7))
                              for k in range(1, 7)] + [0.5]
    check(lr_values(opt, [s], 10), expected)
    check(expected[3:8], [23.78687, 20.38775, 15.47588, 10.02412, 5.11225])
    from engine.optim.scheduler import OneCycleParamScheduler
    with pytest.raises(AssertionError):
        OneCycleParamScheduler(make_opt(momentum=0.9), 'momentum', eta_max=1, total_steps=10)
    with pytest.raises(ValueError, match='pct_start'):
        OneCycleLR(make_opt(), eta_max=1, total_steps=10, pct_start=1.5)
    with pytest.raises(ValueError, match='pct_start'):
        OneCycleLR(make_opt(), eta_max=1, total_steps=10, pct_start=1)
    with pytest.raises(ValueError, match='anneal_strategy'):
        OneCycleLR(make_opt(), eta_max=1, total_steps=10, anneal_strategy='exp')
    with pytest.raises(ValueError, match='total_steps'):
        OneCycleLR(make_opt(), eta_max=1, total_steps=0)
    with pytest.raises(ValueError, match='expected 2 values for max_lr, got 3'):
        OneCycleLR(make_opt(second_lr=0.1), eta_max=[1, 2, 3], total_steps=10)


def test_one_cycle_total_steps_from_window_and_per_group_max():
    opt = make_opt(second_lr=0.1)
    s = OneCycleLR(opt, eta_max=[25, 50], end=10, anneal_strategy='linear',
                   final_div_factor=2)
    assert s.total_steps == 10
    assert opt.param_groups[1]['max_lr'] == 50
    check(lr_values(opt, [s], 3, group=1), [2, 26, 50])


def test_warmup_handover_ts11():
    opt = make_opt()
    scheds = [LinearLR(opt, start_factor=0.5, begin=0, end=5),
              MultiStepLR(opt, gamma=0.1, milestones=[3, 6], begin=5, end=12)]
    check(lr_values(opt, scheds, 12), [0.025, 0.03125, 0.0375, 0.04375, 0.05, 0.05, 0.05,
                                       0.05, 0.005, 0.005, 0.005, 0.0005])


def test_overlap_compounds_ts12():
    opt = make_opt()
    scheds = [LinearLR(opt, start_factor=0.5, begin=0, end=5),
              MultiStepLR(opt, gamma=0.1, milestones=[3, 6, 9])]
    check(lr_values(opt, scheds, 10), [0.025, 0.03125, 0.0375, 0.004375, 0.005, 0.005,
                                       0.0005, 0.0005, 0.0005, 0.00005])


def test_gap_keeps_value_ts13():
    opt = make_opt()
    scheds = [ExponentialLR(opt, gamma=0.9, begin=0, end=5),
              CosineAnnealingLR(opt, T_max=5, eta_min=0, begin=10, end=15)]
    expected = ([0.05 * 0.9**k for k in range(5)] + [0.032805] * 6
                + [0.0296724, 0.0214712, 0.0113338, 0.0031326, 0.0031326])
    check(lr_values(opt, scheds, 16), expected)


def test_cosine_restart_ts14():
    opt = make_opt()
    s = CosineRestartLR(opt, periods=[4, 5], restart_weights=[1, 0.5], eta_min=0)
    check(lr_values(opt, [s], 10), [0.05, 0.0426777, 0.025, 0.0073223, 0.025, 0.0226127,
                                    0.0163627, 0.0086373, 0.0023873, 0.0023873])
    with pytest.raises(AssertionError):
        CosineRestartLR(make_opt(), periods=[4, 5], restart_weights=[1, 0.5], eta_min=0,
                        eta_min_ratio=0.1)
    with pytest.raises(AssertionError, match='same length'):
        CosineRestartLR(make_opt(), periods=[4, 5], restart_weights=[1, 0.5, 0.2], eta_min=0)


def test_cosine_restart_eta_min_ratio():
    opt = make_opt()
    s = CosineRestartLR(opt, periods=[2], eta_min_ratio=0.1)
    # t=1: (1 + cos(pi/2)) / 2 * (0.05 - 0.005) + 0.005
    check(lr_values(opt, [s], 3), [0.05, 0.0275, 0.0275])


# --------------------------------------------------------------------- torch agreement
TORCH_PAIRS = [
    ('step', lambda o: StepLR(o, step_size=7, gamma=0.5),
     lambda o: tls.StepLR(o, step_size=7, gamma=0.5)),
    ('multistep', lambda o: MultiStepLR(o, milestones=[10, 30, 30, 70], gamma=0.3),
     lambda o: tls.MultiStepLR(o, milestones=[10, 30, 30, 70], gamma=0.3)),
    ('constant', lambda o: ConstantLR(o, factor=0.25, end=21),
     lambda o: tls.ConstantLR(o, factor=0.25, total_iters=20)),
    ('linear', lambda o: LinearLR(o, start_factor=0.1, end_factor=0.9, end=41),
     lambda o: tls.LinearLR(o, start_factor=0.1, end_factor=0.9, total_iters=40)),
    ('exponential', lambda o: ExponentialLR(o, gamma=0.97),
     lambda o: tls.ExponentialLR(o, gamma=0.97)),
    ('cosine', lambda o: CosineAnnealingLR(o, T_max=30, eta_min=0.001),
     lambda o: tls.CosineAnnealingLR(o, T_max=30, eta_min=0.001)),
    ('poly', lambda o: PolyLR(o, power=2.0, end=61),
     lambda o: tls.PolynomialLR(o, total_iters=60, power=2.0)),
    ('onecycle_cos', lambda o: OneCycleLR(o, eta_max=0.5, total_steps=100),
     lambda o: tls.OneCycleLR(o, max_lr=0.5, total_steps=100, cycle_momentum=False)),
    ('onecycle_linear_3', lambda o: OneCycleLR(o, eta_max=0.5, total_steps=100,
                                               anneal_strategy='linear', three_phase=True,
                                               pct_start=0.25),
     lambda o: tls.OneCycleLR(o, max_lr=0.5, total_steps=100, cycle_momentum=False,
                              anneal_strategy='linear', three_phase=True, pct_start=0.25)),
]


@pytest.mark.parametrize('name,ours,theirs', TORCH_PAIRS, ids=[p[0] for p in TORCH_PAIRS])
def test_agrees_with_torch_over_100_steps(name, ours, theirs):
    opt_a, opt_b = make_opt(second_lr=0.2), make_opt(second_lr=0.2)
    a, b = ours(opt_a), theirs(opt_b)
    for step in range(100):
        for ga, gb in zip(opt_a.param_groups, opt_b.param_groups):
            assert ga['lr'] == pytest.approx(gb['lr'], rel=1e-6, abs=1e-10), (name, step)
        opt_a.step()
        opt_b.step()
        a.step()
        b.step()


def test_chain_agrees_with_torch_sequential_warmup_cosine():
    """warm-up then cosine, as torch's SequentialLR does it."""
    opt_a, opt_b = make_opt(lr=0.1), make_opt(lr=0.1)
    ours = [LinearLR(opt_a, start_factor=0.01, begin=0, end=10),
            CosineAnnealingLR(opt_a, T_max=90, begin=10, end=100)]
    warm = tls.LinearLR(opt_b, start_factor=0.01, total_iters=9)
    cos = tls.CosineAnnealingLR(opt_b, T_max=90)
    theirs = tls.SequentialLR(opt_b, [warm, cos], milestones=[10])
    for step in range(100):
        assert opt_a.param_groups[0]['lr'] == pytest.approx(opt_b.param_groups[0]['lr'],
                                                             rel=1e-6), step
        opt_a.step()
        opt_b.step()
        for s in ours:
            s.step()
        theirs.step()
