"""The seed's optimizer-wrapper and scheduler examples (sections 10 and 11), run as written.

``mmengine`` is replaced by ``engine``; printed outputs the seed shows are asserted.
"""

from collections import OrderedDict

import pytest
import torch
import torch.nn as nn
from torch.optim import SGD

from engine.optim import (
    AmpOptimWrapper,
    OptimWrapper,
    OptimWrapperDict,
    build_optim_wrapper,
)
from engine.optim.scheduler import LinearLR, MultiStepLR
from engine.registry import PARAM_SCHEDULERS


def test_10_1_2_get_lr_and_momentum(capsys):
    model = nn.Linear(1, 1)
    optimizer = SGD(model.parameters(), lr=0.01)
    optim_wrapper = OptimWrapper(optimizer)

    print(optimizer.param_groups[0]['lr'])
    print(optimizer.param_groups[0]['momentum'])
    print(optim_wrapper.get_lr())
    print(optim_wrapper.get_momentum())
    assert capsys.readouterr().out == "0.01\n0\n{'lr': [0.01]}\n{'momentum': [0]}\n"


def test_10_1_3_state_dicts():
    model = nn.Linear(1, 1)
    optimizer = SGD(model.parameters(), lr=0.01)

    optim_wapper = OptimWrapper(optimizer=optimizer)
    amp_optim_wapper = AmpOptimWrapper(optimizer=optimizer)

    optim_state_dict = optim_wapper.state_dict()
    amp_optim_state_dict = amp_optim_wapper.state_dict()

    # the seed prints torch 1.12's SGD keys; newer torch adds a few more
    shown = {'lr': 0.01, 'momentum': 0, 'dampening': 0, 'weight_decay': 0,
             'nesterov': False, 'maximize': False, 'params': [0, 1]}
    for state in (optim_state_dict, amp_optim_state_dict):
        assert state['state'] == {}
        assert len(state['param_groups']) == 1
        assert shown.items() <= state['param_groups'][0].items()
    assert set(optim_state_dict) == {'state', 'param_groups'}
    assert amp_optim_state_dict['loss_scaler'] == {
        'scale': 65536.0, 'growth_factor': 2.0, 'backoff_factor': 0.5,
        'growth_interval': 2000, '_growth_tracker': 0}

    optim_wapper_new = OptimWrapper(optimizer=optimizer)
    amp_optim_wapper_new = AmpOptimWrapper(optimizer=optimizer)
    amp_optim_wapper_new.load_state_dict(amp_optim_state_dict)
    optim_wapper_new.load_state_dict(optim_state_dict)
    assert 'loss_scaler' in amp_optim_state_dict  # loading did not consume the caller's dict
    assert amp_optim_wapper_new.state_dict() == amp_optim_state_dict


def test_10_1_4_optim_wrapper_dict(capsys):
    gen = nn.Linear(1, 1)
    disc = nn.Linear(1, 1)
    optimizer_gen = SGD(gen.parameters(), lr=0.01)
    optimizer_disc = SGD(disc.parameters(), lr=0.01)

    optim_wapper_gen = OptimWrapper(optimizer=optimizer_gen)
    optim_wapper_disc = OptimWrapper(optimizer=optimizer_disc)
    optim_dict = OptimWrapperDict(gen=optim_wapper_gen, disc=optim_wapper_disc)

    print(optim_dict.get_lr())
    print(optim_dict.get_momentum())
    assert capsys.readouterr().out == ("{'gen.lr': [0.01], 'disc.lr': [0.01]}\n"
                                       "{'gen.momentum': [0], 'disc.momentum': [0]}\n")


@pytest.mark.parametrize('optim_wrapper, wrapper_type, counts', [
    (dict(type='OptimWrapper',
          optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=0.0001)),
     OptimWrapper, 1),
    (dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=0.0001)),
     OptimWrapper, 1),
    (dict(type='AmpOptimWrapper',
          optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=0.0001),
          accumulative_counts=2),
     AmpOptimWrapper, 2),
])
def test_10_2_1_simple_configs(optim_wrapper, wrapper_type, counts):
    wrapper = build_optim_wrapper(nn.Linear(1, 1), optim_wrapper)
    assert type(wrapper) is wrapper_type
    assert isinstance(wrapper.optimizer, SGD)
    assert wrapper._accumulative_counts == counts
    assert wrapper.optimizer.defaults['momentum'] == 0.9
    assert wrapper.optimizer.defaults['weight_decay'] == 0.0001


class ToyModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.ModuleDict(
            dict(layer0=nn.Linear(1, 1), layer1=nn.Linear(1, 1)))
        self.head = nn.Sequential(
            OrderedDict(
                linear=nn.Linear(1, 1),
                bn=nn.BatchNorm1d(1)))


def _paramwise_lines(caplog):
    return [r.getMessage() for r in caplog.records
            if r.getMessage().startswith('paramwise_options')]


def test_10_2_2_norm_decay_mult_logs(caplog):
    optim_wrapper = dict(
        optimizer=dict(type='SGD', lr=0.01, weight_decay=0.0001),
        paramwise_cfg=dict(norm_decay_mult=0))
    with caplog.at_level('INFO', logger='engine'):
        build_optim_wrapper(ToyModel(), optim_wrapper)
    assert _paramwise_lines(caplog) == [
        'paramwise_options -- backbone.layer0.bias:lr=0.01',
        'paramwise_options -- backbone.layer0.bias:weight_decay=0.0001',
        'paramwise_options -- backbone.layer1.bias:lr=0.01',
        'paramwise_options -- backbone.layer1.bias:weight_decay=0.0001',
        'paramwise_options -- head.linear.bias:lr=0.01',
        'paramwise_options -- head.linear.bias:weight_decay=0.0001',
        'paramwise_options -- head.bn.weight:weight_decay=0.0',
        'paramwise_options -- head.bn.bias:weight_decay=0.0',
    ]


def test_10_2_2_custom_keys_logs(caplog):
    optim_wrapper = dict(
        optimizer=dict(type='SGD', lr=0.01, weight_decay=0.0001),
        paramwise_cfg=dict(
            custom_keys={
                'backbone.layer0': dict(lr_mult=0, decay_mult=0),
                'backbone': dict(lr_mult=1),
                'head': dict(lr_mult=0.1)
            }))
    with caplog.at_level('INFO', logger='engine'):
        build_optim_wrapper(ToyModel(), optim_wrapper)
    expected = []
    for name in ('backbone.layer0.weight', 'backbone.layer0.bias'):
        expected += [f'{name}:lr=0.0', f'{name}:weight_decay=0.0', f'{name}:lr_mult=0',
                     f'{name}:decay_mult=0']
    for name in ('backbone.layer1.weight', 'backbone.layer1.bias'):
        expected += [f'{name}:lr=0.01', f'{name}:weight_decay=0.0001', f'{name}:lr_mult=1']
    for name in ('head.linear.weight', 'head.linear.bias', 'head.bn.weight', 'head.bn.bias'):
        expected += [f'{name}:lr=0.001', f'{name}:weight_decay=0.0001', f'{name}:lr_mult=0.1']
    assert _paramwise_lines(caplog) == [f'paramwise_options -- {line}' for line in expected]


def test_11_1_torch_style_loop_with_engine_scheduler():
    # The section's PyTorch loop with engine's ExponentialLR stepped once per epoch.
    from engine.optim.scheduler import ExponentialLR

    model = torch.nn.Linear(1, 1)
    dataset = [torch.randn((1, 1, 1)) for _ in range(20)]
    optimizer = SGD(model.parameters(), 0.1)
    scheduler = ExponentialLR(optimizer, gamma=0.9)
    for _epoch in range(10):
        for data in dataset:
            optimizer.zero_grad()
            output = model(data)
            loss = 1 - output
            loss.sum().backward()
            optimizer.step()
        scheduler.step()
    assert optimizer.param_groups[0]['lr'] == pytest.approx(0.1 * 0.9**10)


def test_11_1_1_single_scheduler_forms():
    model = nn.Linear(1, 1)
    optimizer = SGD(model.parameters(), lr=0.01, momentum=0.9)
    scheduler = MultiStepLR(optimizer, milestones=[8, 11], gamma=0.1)
    assert scheduler.by_epoch is True
    assert dict(scheduler.milestones) == {8: 1, 11: 1}

    epoch_length = 7  # len(train_dataloader)
    scheduler = MultiStepLR.build_iter_from_epoch(optimizer, milestones=[8, 11], gamma=0.1,
                                                  epoch_length=epoch_length)
    assert scheduler.by_epoch is False
    assert dict(scheduler.milestones) == {56: 1, 77: 1}

    configs = [
        dict(type='MultiStepLR', by_epoch=True, milestones=[8, 11], gamma=0.1),
        dict(type='MultiStepLR', by_epoch=False, milestones=[600, 800], gamma=0.1),
        dict(type='MultiStepLR', by_epoch=True, milestones=[8, 11], gamma=0.1,
             convert_to_iter_based=True),
        dict(type='CosineAnnealingLR', by_epoch=True, T_max=12),
        dict(type='CosineAnnealingLR', by_epoch=True, T_max=12, convert_to_iter_based=True),
    ]
    built = [PARAM_SCHEDULERS.build(cfg, default_args=dict(
        optimizer=SGD(model.parameters(), lr=0.01), epoch_length=epoch_length))
        for cfg in configs]
    assert [s.by_epoch for s in built] == [True, False, False, True, False]
    assert dict(built[1].milestones) == {600: 1, 800: 1}
    assert dict(built[2].milestones) == {56: 1, 77: 1}
    assert (built[3].T_max, built[4].T_max) == (12, 84)


def test_11_2_momentum_and_generic_param_schedulers():
    model = nn.Linear(1, 1)
    optimizer = SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=0.0001)
    scheduler = [
        dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=1000),
        dict(type='LinearMomentum', start_factor=0.001, by_epoch=False, begin=0, end=1000),
        dict(type='LinearParamScheduler', param_name='weight_decay', start_factor=0.001,
             by_epoch=False, begin=0, end=1000),
    ]
    built = [PARAM_SCHEDULERS.build(cfg, default_args=dict(optimizer=optimizer))
             for cfg in scheduler]
    group = optimizer.param_groups[0]
    assert group['lr'] == pytest.approx(0.01 * 0.001)
    assert group['momentum'] == pytest.approx(0.9 * 0.001)
    assert group['weight_decay'] == pytest.approx(0.0001 * 0.001)
    for _ in range(999):
        optimizer.step()
        for s in built:
            s.step()
    assert group['lr'] == pytest.approx(0.01)
    assert group['momentum'] == pytest.approx(0.9)
    assert group['weight_decay'] == pytest.approx(0.0001)

    # param_name='lr' is the same schedule as LinearLR
    opt_a = SGD(nn.Linear(1, 1).parameters(), lr=0.01)
    opt_b = SGD(nn.Linear(1, 1).parameters(), lr=0.01)
    a = PARAM_SCHEDULERS.build(dict(type='LinearParamScheduler', param_name='lr',
                                    start_factor=0.001, by_epoch=False, begin=0, end=1000),
                               default_args=dict(optimizer=opt_a))
    b = LinearLR(opt_b, start_factor=0.001, by_epoch=False, begin=0, end=1000)
    for _ in range(5):
        assert a.get_last_value() == b.get_last_value()
        opt_a.step()
        opt_b.step()
        a.step()
        b.step()
