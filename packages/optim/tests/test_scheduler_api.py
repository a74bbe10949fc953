"""Scheduler construction, resume, state, conversion to iterations, registry builds."""

import math
import warnings

import pytest
import torch

from engine.optim import PARAM_SCHEDULERS, OptimWrapper
from engine.optim.scheduler import (
    INF,
    ConstantLR,
    CosineAnnealingLR,
    CosineAnnealingMomentum,
    CosineRestartLR,
    ExponentialLR,
    ExponentialMomentum,
    LinearLR,
    LinearParamScheduler,
    MultiStepLR,
    MultiStepMomentum,
    OneCycleLR,
    PolyLR,
    StepLR,
    StepParamScheduler,
    _ParamScheduler,
)


def make_opt(lr=0.05, **kwargs):
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=lr, **kwargs)


def lr_values(opt, schedulers, n, key='lr'):
    values = []
    for _ in range(n):
        values.append(opt.param_groups[0][key])
        opt.step()
        for s in schedulers:
            s.step()
    return values


def check(values, expected):
    assert values == pytest.approx(expected, abs=1e-5)


def test_build_iter_from_epoch_ts15():
    opt = make_opt()
    s = MultiStepLR.build_iter_from_epoch(opt, milestones=[2, 5], gamma=0.1, epoch_length=3)
    assert s.by_epoch is False
    check(lr_values(opt, [s], 18), [0.05] * 6 + [0.005] * 9 + [0.0005] * 3)

    opt = make_opt()
    s = ConstantLR.build_iter_from_epoch(opt, factor=0.5, end=2, epoch_length=3)
    assert (s.by_epoch, s.end) == (False, 6)
    check(lr_values(opt, [s], 8), [0.025] * 5 + [0.05] * 3)

    with pytest.raises(AssertionError, match='must be a positive integer, but got -1'):
        StepLR.build_iter_from_epoch(make_opt(), step_size=2, gamma=0.1, epoch_length=-1)
    with pytest.raises(AssertionError, match='Only epoch-based kwargs'):
        StepLR.build_iter_from_epoch(make_opt(), step_size=2, by_epoch=False, epoch_length=3)


def test_build_iter_from_epoch_rescales_each_class_keyword():
    s = StepLR.build_iter_from_epoch(make_opt(), step_size=2, epoch_length=5)
    assert s.step_size == 10
    s = CosineAnnealingLR.build_iter_from_epoch(make_opt(), T_max=3, epoch_length=5)
    assert s.T_max == 15
    # T_max=None is derived from the converted window
    s = CosineAnnealingLR.build_iter_from_epoch(make_opt(), begin=1, end=4, epoch_length=5)
    assert (s.begin, s.end, s.T_max) == (5, 20, 15)
    s = OneCycleLR.build_iter_from_epoch(make_opt(), eta_max=1, total_steps=4, epoch_length=5)
    assert s.total_steps == 20
    s = CosineRestartLR.build_iter_from_epoch(make_opt(), periods=[2, 3],
                                              restart_weights=[1, 1], eta_min=0,
                                              epoch_length=5)
    assert s.periods == [10, 15]
    s = StepParamScheduler.build_iter_from_epoch(make_opt(), 'lr', step_size=1,
                                                 epoch_length=4)
    assert (s.param_name, s.step_size, s.end) == ('lr', 4, INF)


def test_config_conversion_ts16():
    opt = make_opt(lr=0.1)
    cfg = dict(type='CosineAnnealingLR', T_max=12, by_epoch=True, convert_to_iter_based=True)
    s = PARAM_SCHEDULERS.build(cfg, default_args=dict(optimizer=opt, epoch_length=10))
    assert isinstance(s, CosineAnnealingLR)
    assert s.T_max == 120 and s.by_epoch is False
    values = lr_values(opt, [s], 61)
    check([values[10], values[60]], [0.0982963, 0.05])

    # the epoch-based version stays put for a whole epoch
    opt = make_opt(lr=0.1)
    s = PARAM_SCHEDULERS.build(dict(type='CosineAnnealingLR', T_max=12, by_epoch=True),
                               default_args=dict(optimizer=opt, epoch_length=10))
    assert s.by_epoch is True and s.T_max == 12
    assert opt.param_groups[0]['lr'] == pytest.approx(0.1)
    opt.step()
    s.step()
    assert opt.param_groups[0]['lr'] == pytest.approx(0.0982963, abs=1e-6)

    bad = dict(type='CosineAnnealingLR', T_max=12, by_epoch=False, convert_to_iter_based=True)
    with pytest.raises(AssertionError, match='Only epoch-based'):
        PARAM_SCHEDULERS.build(bad, default_args=dict(optimizer=make_opt(), epoch_length=10))


def test_every_scheduler_builds_from_the_registry_sched23():
    cfgs = [dict(type='MultiStepLR', milestones=[8, 11], gamma=0.1, by_epoch=True),
            dict(type='StepLR', step_size=2), dict(type='ConstantLR', factor=0.5),
            dict(type='LinearLR', start_factor=0.1), dict(type='ExponentialLR', gamma=0.9),
            dict(type='CosineAnnealingLR', T_max=5), dict(type='PolyLR', end=5),
            dict(type='OneCycleLR', eta_max=0.1, total_steps=10),
            dict(type='CosineRestartLR', periods=[5], eta_min=0),
            dict(type='LinearParamScheduler', param_name='weight_decay', end=5),
            dict(type='StepMomentum', step_size=3),
            dict(type='CosineRestartMomentum', periods=[5], eta_min=0.1)]
    for cfg in cfgs:
        opt = make_opt(momentum=0.9, weight_decay=0.1)
        s = PARAM_SCHEDULERS.build(cfg, default_args=dict(optimizer=opt, epoch_length=7))
        assert type(s).__name__ == cfg['type']
        assert s.by_epoch is True


def test_migration_configs_build_mig():
    num_epochs = 12
    cfgs = [
        dict(type='ConstantLR', factor=0.1, begin=0, end=500, by_epoch=False),
        dict(type='ConstantLR', factor=1),
        dict(type='PolyLR', power=0.7, eta_min=0.001, begin=0, end=num_epochs),
        dict(type='ExponentialLR', gamma=0.5, begin=0, end=num_epochs),
        dict(type='CosineAnnealingLR', eta_min=0.005, begin=num_epochs * 0.75,
             end=num_epochs, T_max=num_epochs * 0.25, by_epoch=True),
        dict(type='CosineRestartLR', periods=[5, 10, 15], restart_weights=[1, 0.7, 0.3],
             eta_min=0.001, by_epoch=True),
        dict(type='OneCycleLR', eta_max=0.02, total_steps=90000, pct_start=0.3,
             anneal_strategy='cos', div_factor=25, final_div_factor=1e4, three_phase=True,
             by_epoch=False),
        dict(type='LinearLR', start_factor=1, end_factor=0.01, begin=0, end=num_epochs),
        dict(type='CosineAnnealingMomentum', eta_min=0.1, T_max=num_epochs, begin=0,
             end=num_epochs),
    ]
    for cfg in cfgs:
        PARAM_SCHEDULERS.build(cfg, default_args=dict(optimizer=make_opt(momentum=0.9),
                                                      epoch_length=10))
    # the migration guide's `milestone=` typo is an unexpected keyword
    with pytest.raises(TypeError, match='milestone'):
        PARAM_SCHEDULERS.build(dict(type='MultiStepLR', milestone=[8, 11]),
                               default_args=dict(optimizer=make_opt()))


def test_flat_cosine_with_float_window_mig07():
    opt = make_opt(lr=1.0)
    flat = ConstantLR(opt, factor=1, begin=0, end=12 * 0.75)
    cos = CosineAnnealingLR(opt, eta_min=0.005, begin=12 * 0.75, end=12, T_max=12 * 0.25)
    values = lr_values(opt, [flat, cos], 13)
    check(values[:10], [1.0] * 10)
    assert values[10] == pytest.approx(0.005 + 0.995 * (1 + math.cos(math.pi / 3)) / 2)
    assert values[12] == values[11] == pytest.approx(0.005 + 0.995 * 0.25)


def test_mixed_by_epoch_runner_simulation_ts17():
    opt = make_opt(lr=0.1)
    scheds = [LinearLR(opt, start_factor=0.001, by_epoch=False, begin=0, end=50),
              MultiStepLR(opt, by_epoch=True, milestones=[8, 11], gamma=0.1)]
    lrs = []
    for _epoch in range(13):
        for _ in range(100):
            lrs.append(opt.param_groups[0]['lr'])
            opt.step()
            for s in scheds:
                if not s.by_epoch:
                    s.step()
        for s in scheds:
            if s.by_epoch:
                s.step()
    assert lrs[0] == pytest.approx(0.0001)
    check(lrs[49:800], [0.1] * 751)
    check(lrs[800:1100], [0.01] * 300)
    check(lrs[1100:], [0.001] * 200)


def test_errors_and_counters_ts18():
    with pytest.raises(TypeError, match='should be an Optimizer, but got str'):
        StepLR('invalid_optimizer', step_size=1)
    with pytest.raises(TypeError, match='should be an Optimizer'):
        ExponentialMomentum('invalid_optimizer', gamma=0.5)
    with pytest.raises(ValueError, match='end should be larger than begin, but got '
                                         'begin=10, end=5'):
        StepLR(make_opt(), step_size=3, begin=10, end=5)
    with pytest.raises(ValueError, match='begin=5, end=5'):
        StepLR(make_opt(), step_size=3, begin=5, end=5)
    with pytest.raises(NotImplementedError):
        _ParamScheduler(make_opt(), param_name='lr')
    with pytest.raises(KeyError, match="param 'initial_lr' is not specified in "
                                       r'param_groups\[0\] when resuming'):
        StepLR(make_opt(), step_size=3, last_step=10)
    with pytest.raises(AssertionError):
        StepLR(make_opt(), step_size=3, last_step=-2)
    with pytest.raises(KeyError, match="no key 'momentum'"):
        LinearParamScheduler(torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))]),
                             'momentum')
    opt = make_opt()
    s = StepLR(opt, step_size=3)
    assert s.last_step == 0
    for _ in range(4):
        opt.step()
        s.step()
    assert s.last_step == 4
    assert s.get_last_value() == [opt.param_groups[0]['lr']]
    assert opt.param_groups[0]['initial_lr'] == 0.05
    assert opt.state_dict()['param_groups'][0]['initial_lr'] == 0.05


def test_window_counts_from_begin():
    opt = make_opt()
    s = StepLR(opt, step_size=2, begin=3, end=9)
    # before begin untouched; t counts from begin; after end frozen
    check(lr_values(opt, [s], 12), [0.05] * 5 + [0.005] * 2 + [0.0005] * 5)


def test_resume_with_last_step_and_state_dict_ts19():
    opt = make_opt()
    s = ExponentialLR(opt, gamma=0.9)
    for _ in range(4):
        opt.step()
        s.step()
    assert opt.param_groups[0]['lr'] == pytest.approx(0.05 * 0.9**4)
    resumed = ExponentialLR(opt, gamma=0.9, last_step=4)
    assert opt.param_groups[0]['lr'] == pytest.approx(0.0295245)
    assert resumed.last_step == 5

    state = s.state_dict()
    assert 'optimizer' not in state
    assert {'_global_step', '_last_value', 'base_values', 'begin', 'by_epoch', 'end',
            'gamma', 'last_step', 'param_name', 'verbose'} <= set(state)
    other = ExponentialLR(make_opt(lr=1.0), gamma=0.5, begin=2, end=7)
    other.load_state_dict(state)
    assert other.state_dict() == state
    assert other.get_last_value() == s.get_last_value()


def test_state_dict_round_trip_continues_the_schedule():
    opt = make_opt()
    s = MultiStepLR(opt, milestones=[3, 6], gamma=0.1)
    lr_values(opt, [s], 4)
    saved_opt, saved_s = opt.state_dict(), s.state_dict()
    expected = lr_values(opt, [s], 5)

    opt2 = make_opt(lr=123.0)
    s2 = MultiStepLR(opt2, milestones=[1], gamma=0.5)
    opt2.load_state_dict(saved_opt)
    s2.load_state_dict(saved_s)
    assert lr_values(opt2, [s2], 5) == pytest.approx(expected)


def test_momentum_and_generic_params_ts20():
    opt = make_opt(lr=0.1, momentum=0.9)
    s = ExponentialMomentum(opt, gamma=0.5)
    check(lr_values(opt, [s], 3, key='momentum'), [0.9, 0.45, 0.225])

    adam = torch.optim.Adam([torch.nn.Parameter(torch.zeros(2))], betas=(0.9, 0.999))
    s = ExponentialMomentum(adam, gamma=0.5)
    assert adam.param_groups[0]['betas'] == (0.9, 0.999)
    adam.step()
    s.step()
    assert adam.param_groups[0]['betas'] == pytest.approx((0.45, 0.999))

    adagrad = torch.optim.Adagrad([torch.nn.Parameter(torch.zeros(2))])
    with pytest.raises(ValueError, match='optimizer must support momentum'):
        ExponentialMomentum(adagrad, gamma=0.5)

    opt = make_opt(weight_decay=1e-4)
    s = LinearParamScheduler(opt, 'weight_decay', start_factor=0.001, end=1000)
    check(lr_values(opt, [s], 3, key='weight_decay'), [1e-7, 2e-7, 3e-7])
    assert opt.param_groups[0]['lr'] == 0.05


def test_lr_and_momentum_mixed_on_an_optim_wrapper_sched21():
    wrapper = OptimWrapper(make_opt(lr=0.1, momentum=0.9))
    scheds = [MultiStepLR(wrapper, milestones=[1], gamma=0.1),
              MultiStepMomentum(wrapper, milestones=[2], gamma=0.5)]
    seen = []
    for _ in range(3):
        seen.append((wrapper.get_lr()['lr'][0], wrapper.get_momentum()['momentum'][0]))
        wrapper.step()
        for s in scheds:
            s.step()
    assert [lr for lr, _ in seen] == pytest.approx([0.1, 0.01, 0.01])
    assert [m for _, m in seen] == pytest.approx([0.9, 0.9, 0.45])


def test_cosine_momentum_with_adam_writes_betas_every_step():
    adam = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(2))], betas=(0.8, 0.99))
    s = CosineAnnealingMomentum(adam, T_max=2, eta_min=0.0)
    betas = []
    for _ in range(3):
        betas.append(adam.param_groups[0]['betas'])
        adam.step()
        s.step()
    assert [b[0] for b in betas] == pytest.approx([0.8, 0.4, 0.0])
    assert all(b[1] == 0.99 for b in betas)


def test_verbose_prints_each_value(capsys):
    opt = make_opt()
    s = StepLR(opt, step_size=1, gamma=0.5, verbose=True)
    opt.step()
    s.step()
    out = capsys.readouterr().out
    assert 'Adjusting parameter value of group 0 to 5.0000e-02.' in out
    assert 'Adjusting parameter value of group 0 to 2.5000e-02.' in out


def test_order_warnings():
    opt = make_opt()
    s = StepLR(opt, step_size=1)
    with pytest.warns(UserWarning, match='how-to-adjust-learning-rate'):
        s.step()  # before any optimizer.step()

    opt = make_opt()
    s = StepLR(opt, step_size=1)
    opt.step = lambda: None  # replaced after the scheduler wrapped it
    with pytest.warns(UserWarning, match='overridden'):
        s.step()

    opt = make_opt()
    s = StepLR(opt, step_size=1)
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        opt.step()
        s.step()


def test_update_params_counts_for_a_scheduler_on_the_wrapper():
    # OptimWrapper.update_params steps the optimizer without the indirections of
    # OptimWrapper.step, but a scheduler's call counter on the wrapper still counts
    model = torch.nn.Linear(2, 1)
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    scheduler = StepLR(wrapper, step_size=1)
    wrapper.update_params(model(torch.ones(1, 2)).sum())
    assert wrapper._global_step == 0
    with warnings.catch_warnings():
        warnings.simplefilter('error')  # no "scheduler.step() before optimizer.step()"
        scheduler.step()


def test_two_schedulers_do_not_double_wrap_step():
    opt = make_opt()
    ExponentialLR(opt, gamma=0.9)
    wrapped = opt.step
    PolyLR(opt, end=5)
    assert opt.step is wrapped
    opt.step()
    assert opt._global_step == 0


def test_linear_then_cosine_warmup_sched20():
    """The tutorial's warm-up + cosine: cosine decays towards 0 over 100..899."""
    opt = make_opt(lr=0.1)
    scheds = [LinearLR(opt, start_factor=0.001, by_epoch=False, begin=0, end=100),
              CosineAnnealingLR(opt, T_max=800, by_epoch=False, begin=100, end=900)]
    values = lr_values(opt, scheds, 1000)
    assert values[0] == pytest.approx(1e-4)
    assert values[99] == pytest.approx(0.1)
    assert values[100] == pytest.approx(0.1)
    assert values[500] == pytest.approx(0.05, abs=1e-6)
    assert values[899] == pytest.approx(0.1 * (1 + math.cos(math.pi * 799 / 800)) / 2)
    assert values[950] == values[899]


def test_optim_wrapper_dict_needs_one_scheduler_per_wrapper():
    from engine.optim import OptimWrapperDict
    d = OptimWrapperDict(gen=OptimWrapper(make_opt()), disc=OptimWrapper(make_opt()))
    with pytest.raises(TypeError, match="one scheduler per wrapper"):
        StepLR(d, step_size=1)
    s = StepLR(d['gen'], step_size=1, gamma=0.5)
    d['gen'].step()
    s.step()
    assert d.get_lr() == {'gen.lr': [0.025], 'disc.lr': [0.05]}


def test_state_dicts_load_with_weights_only(tmp_path):
    """Checkpoints hold scheduler states; torch.load(weights_only=True) must accept them."""
    adam = torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))])
    scheds = [MultiStepLR(adam, milestones=[1, 2]), OneCycleLR(adam, eta_max=1, total_steps=5),
              ExponentialMomentum(adam, gamma=0.5)]
    path = tmp_path / 'scheds.pth'
    torch.save([s.state_dict() for s in scheds], path)
    loaded = torch.load(path, weights_only=True)
    assert [set(sd) for sd in loaded] == [set(s.state_dict()) for s in scheds]
    assert loaded[0]['milestones'] == {1: 1, 2: 1}
