"""DefaultOptimWrapperConstructor, build_optim_wrapper, OPTIMIZERS, custom constructors."""

import logging
import warnings

import pytest
import torch
import torch.nn as nn

from engine.optim import (
    OPTIM_WRAPPER_CONSTRUCTORS,
    OPTIMIZERS,
    TORCH_OPTIMIZERS,
    AmpOptimWrapper,
    DefaultOptimWrapperConstructor,
    OptimWrapper,
    OptimWrapperDict,
    build_optim_wrapper,
)


class ToyModel(nn.Module):
    """Tutorial 10.2.2's model."""

    def __init__(self):
        super().__init__()
        self.backbone = nn.ModuleDict(dict(layer0=nn.Linear(1, 1), layer1=nn.Linear(1, 1)))
        self.head = nn.Sequential()
        self.head.add_module('linear', nn.Linear(1, 1))
        self.head.add_module('bn', nn.BatchNorm1d(1))


class ExampleModel(nn.Module):
    """The multiplier test model of TS-28."""

    def __init__(self):
        super().__init__()
        self.param1 = nn.Parameter(torch.ones(1))
        self.conv1 = nn.Conv2d(3, 4, kernel_size=1, bias=False)
        self.conv2 = nn.Conv2d(4, 2, kernel_size=1)
        self.bn = nn.BatchNorm2d(2)
        self.sub = nn.Module()
        self.sub.param1 = nn.Parameter(torch.ones(1))
        self.sub.conv1 = nn.Conv2d(2, 2, kernel_size=1, groups=2)
        self.sub.gn = nn.GroupNorm(2, 2)


def groups_by_name(model, wrapper):
    by_id = {id(p): n for n, p in model.named_parameters(remove_duplicate=False)}
    return {by_id[id(g['params'][0])]: g for g in wrapper.param_groups}


def lr_wd(groups, name):
    return groups[name]['lr'], groups[name]['weight_decay']


def test_torch_optimizers_registered_pkg05():
    for name in ['ASGD', 'Adadelta', 'Adagrad', 'Adam', 'AdamW', 'Adamax', 'LBFGS',
                 'Optimizer', 'RMSprop', 'Rprop', 'SGD', 'SparseAdam']:
        assert name in TORCH_OPTIMIZERS
        assert OPTIMIZERS.get(name) is getattr(torch.optim, name)
    opt = OPTIMIZERS.build(dict(type='AdamW', params=nn.Linear(1, 1).parameters(), lr=0.1))
    assert isinstance(opt, torch.optim.AdamW)


def test_build_optim_wrapper_defaults_opt32():
    model = nn.Linear(2, 2)
    cfg = dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=0.0001))
    w = build_optim_wrapper(model, cfg)
    assert type(w) is OptimWrapper
    assert isinstance(w.optimizer, torch.optim.SGD)
    assert len(w.param_groups) == 1
    assert cfg == dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9,
                                      weight_decay=0.0001))  # not mutated
    w = build_optim_wrapper(model, dict(type='AmpOptimWrapper', accumulative_counts=2,
                                        optimizer=dict(type='SGD', lr=0.01)))
    assert isinstance(w, AmpOptimWrapper) and w._accumulative_counts == 2


def test_model_wrapper_module_is_unwrapped():
    inner = ToyModel()
    wrapped = nn.DataParallel(inner)
    w = build_optim_wrapper(wrapped, dict(optimizer=dict(type='SGD', lr=0.01),
                                          paramwise_cfg=dict(bias_lr_mult=2)))
    assert set(groups_by_name(inner, w)) == {n for n, _ in inner.named_parameters()}


def test_bad_configs_ts27():
    model = ToyModel()
    with pytest.raises(TypeError):
        DefaultOptimWrapperConstructor([])
    with pytest.raises(AssertionError, match='must contain "optimizer"'):
        build_optim_wrapper(model, dict(type='OptimWrapper'))
    with pytest.raises(KeyError, match='INVALID'):
        build_optim_wrapper(model, dict(optimizer=dict(type='SGD', lr=0.01),
                                        constructor='INVALID'))
    with pytest.raises(KeyError, match='NoSuchOptimizer'):
        build_optim_wrapper(model, dict(optimizer=dict(type='NoSuchOptimizer', lr=0.01)))
    # an optimizer named as the wrapper (a child config's `type='SGD'` merged into a base
    # optim_wrapper that has its optimizer)
    with pytest.raises(KeyError, match=r"SGD is not in the optim_wrapper registry: it is an "
                                       r"optimizer, which goes in optimizer=dict\(type='SGD'"):
        build_optim_wrapper(model, dict(type='SGD', optimizer=dict(type='Adam', lr=0.01)))
    with pytest.raises(KeyError, match='NoSuchWrapper is not in the optim_wrapper registry'):
        build_optim_wrapper(model, dict(type='NoSuchWrapper', optimizer=dict(type='SGD')))
    with pytest.raises(TypeError, match='custom_keys must be a dict'):
        DefaultOptimWrapperConstructor(dict(optimizer=dict(type='SGD', lr=0.01)),
                                       dict(custom_keys=[0.1]))
    with pytest.raises(TypeError, match='paramwise_cfg'):
        DefaultOptimWrapperConstructor(dict(optimizer=dict(type='SGD', lr=0.01)), [1])
    with pytest.raises(ValueError, match="base_wd should not be None.*'.backbone'"):
        DefaultOptimWrapperConstructor(dict(optimizer=dict(type='SGD', lr=0.01)),
                                       dict(custom_keys={'.backbone': dict(decay_mult=0.5)}))
    for key in ('bias_decay_mult', 'norm_decay_mult', 'dwconv_decay_mult'):
        with pytest.raises(ValueError, match=f'base_wd should not be None.*{key}'):
            DefaultOptimWrapperConstructor(
                dict(optimizer=dict(type='SGD', lr=0.01, weight_decay=None)), {key: 1})
    for key in ('lr_mult', 'bias_lr_mult', 'norm_decay_mult', 'dcn_offset_lr_mult'):
        with pytest.raises(ValueError, match=f'{key} must be a non-negative number'):
            DefaultOptimWrapperConstructor(
                dict(optimizer=dict(type='SGD', lr=0.01, weight_decay=0.1)), {key: -1})
    with pytest.raises(ValueError, match=r"custom_keys\['head'\]: lr_mult must be"):
        DefaultOptimWrapperConstructor(dict(optimizer=dict(type='SGD', lr=0.01)),
                                       dict(custom_keys={'head': dict(lr_mult=-0.1)}))


def test_unknown_paramwise_keys_warn_with_a_suggestion_and_change_nothing():
    with pytest.warns(UserWarning, match="paramwise_cfg key 'bias_lr_multt' is not an option of "
                                         "DefaultOptimWrapperConstructor and has no effect; did "
                                         "you mean 'bias_lr_mult'"):
        w = build_optim_wrapper(ToyModel(), dict(optimizer=dict(type='SGD', lr=0.01),
                                                 paramwise_cfg=dict(bias_lr_multt=2.0)))
    assert len(w.param_groups) == 8 and {g['lr'] for g in w.param_groups} == {0.01}

    class DecayConstructor(DefaultOptimWrapperConstructor):  # reads a key of its own
        pass

    with warnings.catch_warnings():
        warnings.simplefilter('error')
        DecayConstructor(dict(optimizer=dict(type='SGD', lr=0.01)), dict(decay_rate=0.9))


def test_norm_decay_mult_ts26(caplog):
    model = ToyModel()
    with caplog.at_level(logging.INFO, logger='engine'):
        w = build_optim_wrapper(model, dict(
            optimizer=dict(type='SGD', lr=0.01, weight_decay=0.0001),
            paramwise_cfg=dict(norm_decay_mult=0)))
    names = [n for n, _ in model.named_parameters()]
    groups = groups_by_name(model, w)
    assert list(groups) == names and len(names) == 8
    for n in ('backbone.layer0.bias', 'backbone.layer1.bias', 'head.linear.bias'):
        assert lr_wd(groups, n) == (0.01, 0.0001)
        assert set(groups[n]) - {'params'} <= set(w.optimizer.defaults)
    for n in ('head.bn.weight', 'head.bn.bias'):
        assert w.param_groups[names.index(n)]['weight_decay'] == 0.0
    raw = [g for g in w.optimizer.state_dict()['param_groups']]
    assert raw[names.index('head.bn.weight')]['lr'] == 0.01
    assert 'paramwise_options -- head.bn.weight:weight_decay=0.0' in caplog.text
    assert 'paramwise_options -- backbone.layer0.weight' not in caplog.text


def test_plain_weights_get_no_explicit_keys():
    model = ToyModel()
    cons = DefaultOptimWrapperConstructor(
        dict(optimizer=dict(type='SGD', lr=0.01, weight_decay=0.0001)),
        dict(norm_decay_mult=0))
    params = []
    cons.add_params(params, model)
    by_id = {id(p): n for n, p in model.named_parameters()}
    explicit = {by_id[id(g['params'][0])]: set(g) - {'params'} for g in params}
    assert explicit['backbone.layer0.weight'] == set()
    assert explicit['head.bn.weight'] == {'weight_decay'}
    assert explicit['head.linear.bias'] == {'lr', 'weight_decay'}


def test_custom_keys_precedence_ts27(caplog):
    model = ToyModel()
    with caplog.at_level(logging.INFO, logger='engine'):
        w = build_optim_wrapper(model, dict(
            optimizer=dict(type='SGD', lr=0.01, weight_decay=0.0001),
            paramwise_cfg=dict(custom_keys={'backbone.layer0': dict(lr_mult=0, decay_mult=0),
                                            'backbone': dict(lr_mult=1),
                                            'head': dict(lr_mult=0.1)})))
    groups = groups_by_name(model, w)
    for n in ('backbone.layer0.weight', 'backbone.layer0.bias'):
        g = groups[n]
        assert (g['lr'], g['weight_decay'], g['lr_mult'], g['decay_mult']) == (0.0, 0.0, 0, 0)
    for n in ('backbone.layer1.weight', 'backbone.layer1.bias'):
        g = groups[n]
        assert (g['lr'], g['weight_decay'], g['lr_mult']) == (0.01, 0.0001, 1)
    for n in ('head.linear.weight', 'head.linear.bias', 'head.bn.weight', 'head.bn.bias'):
        g = groups[n]
        assert g['lr'] == pytest.approx(0.001)
        assert (g['weight_decay'], g['lr_mult']) == (0.0001, 0.1)
    assert 'paramwise_options -- head.linear.weight:lr_mult=0.1' in caplog.text


def test_custom_keys_can_set_other_optimizer_options():
    model = ToyModel()
    w = build_optim_wrapper(model, dict(
        optimizer=dict(type='SGD', lr=0.01, momentum=0.9),
        paramwise_cfg=dict(custom_keys={'head': dict(momentum=0.5)})))
    groups = groups_by_name(model, w)
    assert groups['head.bn.bias']['momentum'] == 0.5
    assert groups['backbone.layer0.bias']['momentum'] == 0.9
    assert 'weight_decay' not in {k for k in groups['head.bn.bias'] if k != 'params'} or \
        groups['head.bn.bias']['weight_decay'] == 0


PARAM_NAMES = ['param1', 'conv1.weight', 'conv2.weight', 'conv2.bias', 'bn.weight', 'bn.bias',
               'sub.param1', 'sub.conv1.weight', 'sub.conv1.bias', 'sub.gn.weight',
               'sub.gn.bias']


def build_example(paramwise_cfg, model=None, **opt_kwargs):
    model = model or ExampleModel()
    optimizer = dict(type='SGD', lr=0.01, weight_decay=0.9, momentum=0.9, **opt_kwargs)
    return model, groups_by_name(model, build_optim_wrapper(
        model, dict(optimizer=optimizer, paramwise_cfg=paramwise_cfg)))


def expect(groups, table):
    for name, (lr, wd) in table.items():
        got = lr_wd(groups, name)
        assert got == pytest.approx((lr, wd)), name


def test_multipliers_ts28():
    _, groups = build_example(dict(bias_lr_mult=2, bias_decay_mult=0.5, norm_decay_mult=0,
                                   dwconv_decay_mult=0.1))
    assert list(groups) == PARAM_NAMES
    expect(groups, {'conv2.bias': (0.02, 0.45), 'bn.weight': (0.01, 0), 'bn.bias': (0.01, 0),
                    'sub.gn.weight': (0.01, 0), 'sub.gn.bias': (0.01, 0),
                    'sub.conv1.weight': (0.01, 0.09), 'sub.conv1.bias': (0.02, 0.09),
                    'param1': (0.01, 0.9), 'conv1.weight': (0.01, 0.9),
                    'conv2.weight': (0.01, 0.9), 'sub.param1': (0.01, 0.9)})


def test_custom_keys_with_multipliers_ts28():
    # the reference's config also carries a key that matches nothing: ignored
    with pytest.warns(UserWarning, match='non_exist_key'):
        _, groups = build_example(dict(
            custom_keys={'param1': dict(lr_mult=10), 'sub': dict(lr_mult=0.1, decay_mult=0),
                         'sub.gn': dict(lr_mult=0.01), 'non_exist_key': dict(lr_mult=0.0)},
            norm_decay_mult=0.5))
    expect(groups, {'param1': (0.1, 0.9), 'sub.param1': (0.1, 0.9),
                    'sub.gn.weight': (0.0001, 0.9), 'sub.gn.bias': (0.0001, 0.9),
                    'sub.conv1.weight': (0.001, 0), 'sub.conv1.bias': (0.001, 0),
                    'bn.weight': (0.01, 0.45), 'bn.bias': (0.01, 0.45)})


def test_frozen_params_get_defaults_ts28():
    model = ExampleModel()
    for p in model.parameters():
        p.requires_grad = False
    _, groups = build_example(dict(bias_lr_mult=2, bias_decay_mult=0.5, norm_decay_mult=0,
                                   dwconv_decay_mult=0.1, custom_keys={'sub': {}}),
                              model=model)
    for name in PARAM_NAMES:
        assert lr_wd(groups, name) == (0.01, 0.9)


def test_global_lr_and_decay_mult_opt30():
    _, groups = build_example(dict(lr_mult=0.5, decay_mult=2, bias_lr_mult=2,
                                   norm_decay_mult=0, custom_keys={'sub.param1': {}}))
    expect(groups, {'param1': (0.005, 1.8), 'conv2.bias': (0.01, 1.8), 'bn.weight': (0.005, 0),
                    'sub.conv1.bias': (0.01, 1.8), 'sub.param1': (0.01, 0.9)})


def test_duplicate_params_ts28():
    class Shared(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 1, 1)
            self.again = nn.Conv2d(1, 1, 1)
            self.again.weight = self.conv.weight  # tied weights

    with pytest.raises(ValueError, match='some parameters appear in more than one'):
        build_optim_wrapper(Shared(), dict(optimizer=dict(type='SGD', lr=0.01),
                                           paramwise_cfg=dict(bias_lr_mult=2)))
    with pytest.warns(UserWarning, match='again is duplicate. It is skipped since '
                                         'bypass_duplicate=True'):
        w = build_optim_wrapper(Shared(), dict(optimizer=dict(type='SGD', lr=0.01),
                                               paramwise_cfg=dict(bypass_duplicate=True)))
    assert len(w.param_groups) == 3  # conv.weight, conv.bias, again.bias


class DeformConv2d(nn.Conv2d):
    """Stands in for mmcv's deformable conv: same class name, same conv_offset child."""

    def __init__(self):
        super().__init__(2, 2, 1)
        self.conv_offset = nn.Conv2d(2, 2, 1)


def test_dcn_offset_lr_mult():
    model = nn.Sequential(DeformConv2d())
    w = build_optim_wrapper(model, dict(
        optimizer=dict(type='SGD', lr=0.01, weight_decay=0.1),
        paramwise_cfg=dict(dcn_offset_lr_mult=0.1, bias_lr_mult=2, bias_decay_mult=0.5)))
    groups = groups_by_name(model, w)
    # the offset conv: dcn_offset_lr_mult for weight and bias, no bias rules
    assert lr_wd(groups, '0.conv_offset.weight') == pytest.approx((0.001, 0.1))
    assert groups['0.conv_offset.bias']['lr'] == pytest.approx(0.001)
    assert 'weight_decay' not in groups['0.conv_offset.bias'] or \
        groups['0.conv_offset.bias']['weight_decay'] == 0.1
    # the deformable conv's own bias follows the bias rules
    assert lr_wd(groups, '0.bias') == pytest.approx((0.02, 0.05))


@OPTIM_WRAPPER_CONSTRUCTORS.register_module(force=True)
class LayerDecayOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """Tutorial 10.2.3: lr decays by ``decay_factor`` per nesting level."""

    def __init__(self, optim_wrapper_cfg, paramwise_cfg=None):
        self.decay_factor = paramwise_cfg.get('decay_factor', 0.5)
        super().__init__(optim_wrapper_cfg, paramwise_cfg)

    def add_params(self, params, module, prefix='', lr=None):
        lr = self.base_lr if lr is None else lr
        for name, param in module.named_parameters(recurse=False):
            params.append(dict(params=[param], lr=lr))
            full_name = f'{prefix}.{name}' if prefix else name
            logging.getLogger('engine.test').info(f'{full_name} : lr={lr}')
        for child_name, child in module.named_children():
            child_prefix = f'{prefix}.{child_name}' if prefix else child_name
            self.add_params(params, child, child_prefix, lr=lr * self.decay_factor)


def test_custom_constructor_opt31(caplog):
    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(1, 1)
            self.layer = nn.ModuleDict(dict(linear=nn.Linear(1, 1)))

    model = Model()
    with caplog.at_level(logging.INFO, logger='engine'):
        w = build_optim_wrapper(model, dict(
            optimizer=dict(type='SGD', lr=0.01),
            paramwise_cfg=dict(decay_factor=0.5),
            constructor='LayerDecayOptimWrapperConstructor'))
    groups = groups_by_name(model, w)
    assert groups['linear.weight']['lr'] == pytest.approx(0.005)
    assert groups['linear.bias']['lr'] == pytest.approx(0.005)
    assert groups['layer.linear.bias']['lr'] == pytest.approx(0.0025)
    assert 'layer.linear.weight : lr=0.0025' in caplog.text
    assert 'linear.bias : lr=0.005' in caplog.text


@OPTIM_WRAPPER_CONSTRUCTORS.register_module(force=True)
class GANOptimWrapperConstructor:
    """A multi-optimizer constructor returning an OptimWrapperDict."""

    def __init__(self, optim_wrapper_cfg, paramwise_cfg=None):
        self.cfg = optim_wrapper_cfg

    def __call__(self, model):
        return OptimWrapperDict(**{
            name: build_optim_wrapper(getattr(model, name), cfg)
            for name, cfg in self.cfg.items()})


def test_multi_optimizer_constructor():
    model = nn.Module()
    model.gen, model.disc = nn.Linear(1, 1), nn.Linear(1, 1)
    d = build_optim_wrapper(model, dict(
        constructor='GANOptimWrapperConstructor',
        gen=dict(optimizer=dict(type='Adam', lr=0.0002)),
        disc=dict(optimizer=dict(type='SGD', lr=0.01))))
    assert isinstance(d, OptimWrapperDict)
    assert d.get_lr() == {'gen.lr': [0.0002], 'disc.lr': [0.01]}


def test_unmatched_custom_key_warns_and_is_ignored():
    # OPT-28: keys that match nothing are ignored (configs share custom_keys across
    # backbones); a warning names the key so that a typo is still visible.
    model = ToyModel()
    with pytest.warns(UserWarning, match=r"custom_keys\['haed'\] matches no parameter of ToyModel"):
        wrapper = build_optim_wrapper(model, dict(
            optimizer=dict(type='SGD', lr=0.01),
            paramwise_cfg=dict(custom_keys={'haed': dict(lr_mult=0.1),
                                            'backbone': dict(lr_mult=1)})))
    groups = wrapper.optimizer.param_groups
    assert len(groups) == len(list(model.parameters()))
    names = [n for n, _ in model.named_parameters()]
    for name, group in zip(names, groups):
        assert group['lr'] == 0.01, name
        assert ('lr_mult' in group) == name.startswith('backbone'), name
    with warnings.catch_warnings():
        warnings.simplefilter('error')  # every key used: no warning
        build_optim_wrapper(model, dict(optimizer=dict(type='SGD', lr=0.01),
                                        paramwise_cfg=dict(custom_keys={'head': {}})))
