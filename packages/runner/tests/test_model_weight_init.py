"""Weight initialisation (INIT-01..09; scenarios 10-12, 16)."""
import math

import pytest
import torch
import torch.nn as nn

from engine.model import (
    BaseInit,
    BaseModule,
    Caffe2XavierInit,
    ConstantInit,
    KaimingInit,
    NormalInit,
    PretrainedInit,
    TruncNormalInit,
    UniformInit,
    XavierInit,
    bias_init_with_prob,
    caffe2_xavier_init,
    constant_init,
    initialize,
    kaiming_init,
    normal_init,
    trunc_normal_init,
    uniform_init,
    xavier_init,
)
from engine.model.weight_init import trunc_normal_
from engine.registry import WEIGHT_INITIALIZERS


# ---------------------------------------------------------------- functional
def test_constant_init_and_missing_attributes():
    conv = nn.Conv2d(3, 4, 1)
    constant_init(conv, 0.5, bias=2)
    assert torch.all(conv.weight == 0.5) and torch.all(conv.bias == 2)
    no_bias = nn.Conv2d(3, 4, 1, bias=False)
    constant_init(no_bias, 1.0)
    assert torch.all(no_bias.weight == 1)
    constant_init(nn.ReLU(), 1.0)  # neither weight nor bias: nothing happens


def test_normal_init_matches_torch():
    torch.manual_seed(0)
    a = nn.Conv2d(1, 1, 1)
    normal_init(a, mean=0, std=0.01, bias=0)
    torch.manual_seed(0)
    b = nn.Conv2d(1, 1, 1)
    nn.init.normal_(b.weight, 0, 0.01)
    nn.init.constant_(b.bias, 0)
    assert torch.equal(a.weight, b.weight) and torch.equal(a.bias, b.bias)


def test_xavier_kaiming_uniform_init():
    for dist in ('normal', 'uniform'):
        conv = nn.Conv2d(8, 8, 3)
        xavier_init(conv, gain=1, bias=0.1, distribution=dist)
        assert torch.all(conv.bias == 0.1)
        kaiming_init(conv, bias=0.2, distribution=dist)
        assert torch.all(conv.bias == 0.2)
    with pytest.raises(AssertionError):
        xavier_init(nn.Linear(2, 2), distribution='bad')
    with pytest.raises(AssertionError):
        kaiming_init(nn.Linear(2, 2), distribution='bad')
    lin = nn.Linear(100, 100)
    uniform_init(lin, a=2, b=3, bias=1)
    assert lin.weight.min() >= 2 and lin.weight.max() <= 3 and torch.all(lin.bias == 1)
    caffe2_xavier_init(lin, bias=0.5)
    bound = math.sqrt(3.0 / 100)  # kaiming uniform, a=1 leaky_relu, fan_in=100
    assert lin.weight.abs().max() <= bound + 1e-6 and torch.all(lin.bias == 0.5)


def test_trunc_normal_within_bounds():
    lin = nn.Linear(100, 100)
    trunc_normal_init(lin, mean=0, std=1, a=-0.5, b=0.5, bias=3)
    assert lin.weight.min() >= -0.5 and lin.weight.max() <= 0.5 and torch.all(lin.bias == 3)
    t = torch.empty(1000)
    trunc_normal_(t, mean=0.5, std=0.1, a=0.4, b=0.6)
    assert t.min() >= 0.4 and t.max() <= 0.6
    with pytest.warns(UserWarning, match='mean is more than 2 std'):
        trunc_normal_(torch.empty(10), mean=10, std=1, a=-1, b=1)


def test_bias_init_with_prob():
    assert bias_init_with_prob(0.01) == pytest.approx(-4.59512, abs=1e-5)


# ------------------------------------------------------------------ classes
def test_base_init_validation():
    with pytest.raises(TypeError, match='bias must be a number'):
        ConstantInit(val=1, bias='x')
    with pytest.raises(TypeError, match='bias_prob type must be float'):
        ConstantInit(val=1, bias_prob=1)
    with pytest.raises(TypeError, match='layer must be a str or a list of str'):
        ConstantInit(val=1, layer=1)
    init = ConstantInit(val=1, bias_prob=0.01)
    assert init.bias == pytest.approx(-4.59512, abs=1e-5)
    assert ConstantInit(val=1, layer='Conv2d').layer == ['Conv2d']
    assert ConstantInit(val=1).layer == [] and ConstantInit(val=1).wholemodule is False
    assert BaseInit(bias=2)._get_init_info() == 'BaseInit, bias=2'
    with pytest.raises(TypeError):
        BaseInit(2)  # keyword-only


def test_registry_names():
    expected = dict(Constant=ConstantInit, Xavier=XavierInit, Normal=NormalInit,
                    TruncNormal=TruncNormalInit, Uniform=UniformInit, Kaiming=KaimingInit,
                    Caffe2Xavier=Caffe2XavierInit, Pretrained=PretrainedInit)
    for name, cls in expected.items():
        assert WEIGHT_INITIALIZERS.get(name) is cls


def test_init_info_strings():
    assert ConstantInit(val=1)._get_init_info() == 'ConstantInit: val=1, bias=0'
    assert XavierInit()._get_init_info() == 'XavierInit: gain=1, distribution=normal, bias=0'
    assert NormalInit(std=0.01)._get_init_info() == 'NormalInit: mean=0, std=0.01, bias=0'
    assert TruncNormalInit()._get_init_info() == \
        'TruncNormalInit: a=-2, b=2, mean=0, std=1, bias=0'
    assert UniformInit()._get_init_info() == 'UniformInit: a=0, b=1, bias=0'
    assert KaimingInit()._get_init_info() == \
        'KaimingInit: a=0, mode=fan_out, nonlinearity=relu, distribution =normal, bias=0'
    assert Caffe2XavierInit()._get_init_info() == ('Caffe2XavierInit: a=1, mode=fan_in, '
                                                   'nonlinearity=leaky_relu, '
                                                   'distribution =uniform, bias=0')
    assert PretrainedInit('a.pth')._get_init_info() == 'PretrainedInit: load from a.pth'
    with pytest.raises(TypeError):
        Caffe2XavierInit(a=2)


def test_layer_matching_uses_direct_bases_only():
    class MyConv(nn.Conv2d):
        pass

    class MyConv2(MyConv):
        pass

    model = nn.Sequential(nn.Conv2d(1, 1, 1), MyConv(1, 1, 1), MyConv2(1, 1, 1), nn.Linear(1, 1))
    ConstantInit(val=3, layer='Conv2d')(model)
    assert model[0].weight.item() == 3 and model[1].weight.item() == 3
    assert model[2].weight.item() != 3  # Conv2d is not a direct base of MyConv2
    assert model[3].weight.item() != 3
    ConstantInit(val=4)(model)  # no layer: nothing
    assert model[0].weight.item() == 3


# --------------------------------------------------------------- initialize
def test_initialize_simple():
    lin = nn.Linear(2, 3)
    initialize(lin, dict(type='Constant', layer='Linear', val=1, bias=2))
    assert torch.all(lin.weight == 1) and torch.all(lin.bias == 2)
    model = nn.Sequential(nn.Conv1d(3, 1, 3), nn.Linear(1, 2))
    initialize(model, [dict(type='Constant', layer='Conv1d', val=1),
                       dict(type='Constant', layer='Linear', val=2)])
    assert torch.all(model[0].weight == 1) and torch.all(model[0].bias == 0)
    assert torch.all(model[1].weight == 2) and torch.all(model[1].bias == 0)
    with pytest.raises(TypeError, match='init_cfg must be a dict or a list of dict'):
        initialize(model, 'Constant')
    model2 = nn.Sequential(nn.Conv2d(1, 1, 1), nn.Linear(1, 1))
    initialize(model2, dict(type='Constant', layer=['Conv2d', 'Linear'], val=5))
    assert model2[0].weight.item() == 5 and model2[1].weight.item() == 5


class FooNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.feats = nn.Conv2d(1, 1, 1)
        self.reg = nn.Conv2d(1, 1, 1)
        self.cls = nn.Conv2d(1, 1, 1)


def test_initialize_override():
    cfg = dict(type='Constant', val=1, bias=2, layer='Conv2d',
               override=dict(type='Constant', name='reg', val=3, bias=4))
    snapshot = repr(cfg)
    model = FooNet()
    initialize(model, cfg)
    assert repr(cfg) == snapshot  # the caller's dict is not mutated
    for m in (model.feats, model.cls):
        assert m.weight.item() == 1 and m.bias.item() == 2
    assert model.reg.weight.item() == 3 and model.reg.bias.item() == 4

    model = FooNet()
    initialize(model, dict(type='Constant', val=1, bias=2, layer='Conv2d',
                           override=dict(name='reg')))
    assert model.reg.weight.item() == 1 and model.reg.bias.item() == 2


def test_override_wholemodule_reaches_any_type():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.head = nn.Sequential(nn.Linear(1, 1), nn.BatchNorm1d(1))
            self.conv = nn.Conv2d(1, 1, 1)

    net = Net()
    initialize(net, dict(type='Constant', val=1, layer='Conv2d',
                         override=[dict(type='Constant', name='head', val=7)]))
    assert net.head[0].weight.item() == 7 and net.head[1].weight.item() == 7
    assert net.conv.weight.item() == 1


def test_initialize_override_errors():
    base = dict(type='Constant', val=1, bias=2, layer='Conv2d')
    with pytest.raises(ValueError, match='`override` must contain the key "name"'):
        initialize(FooNet(), dict(base, override=dict(type='Constant', val=3)))
    with pytest.raises(ValueError, match='`override` need "type" key'):
        initialize(FooNet(), dict(base, override=dict(name='reg', val=3)))
    with pytest.raises(RuntimeError, match='module did not have attribute nope'):
        initialize(FooNet(), dict(base, override=dict(type='Constant', name='nope', val=3)))
    with pytest.raises(TypeError, match='override must be a dict or a list of dict'):
        initialize(FooNet(), dict(base, override='reg'))


def test_custom_initializer_registered():
    @WEIGHT_INITIALIZERS.register_module(name='TestModelFillFive', force=True)
    class FillFive(BaseInit):
        def _init_module(self, module):
            constant_init(module, 5, self.bias)

    lin = nn.Linear(2, 2)
    initialize(lin, dict(type='TestModelFillFive', layer='Linear'))
    assert torch.all(lin.weight == 5)


# --------------------------------------------------------------- Pretrained
@pytest.fixture
def log_text(monkeypatch, tmp_path):
    """A new 'mmengine' MMLogger with a log file; returns a reader of that file."""
    from collections import OrderedDict

    from engine.logging import MMLogger
    monkeypatch.setattr(MMLogger, '_instance_dict', OrderedDict())
    logger = MMLogger.get_instance('mmengine', log_file=str(tmp_path / 'run.log'))

    def read():
        for handler in logger.handlers:
            handler.flush()
        return (tmp_path / 'run.log').read_text()
    yield read
    for handler in logger.handlers:
        if hasattr(handler, 'baseFilename'):
            handler.close()


class Backbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 1)


class Detector(BaseModule):
    def __init__(self, init_cfg=None):
        super().__init__(init_cfg)
        self.backbone = Backbone()
        self.head = nn.Linear(2, 2)


def test_pretrained_init_loads_checkpoint(tmp_path, log_text):
    source = Detector()
    path = str(tmp_path / 'pretrained.pth')
    torch.save(source.state_dict(), path)
    model = Detector(init_cfg=dict(type='Pretrained', checkpoint=path))
    model.init_weights()
    for key, value in source.state_dict().items():
        assert torch.equal(model.state_dict()[key], value)
    assert f'load model from: {path}' in log_text()
    assert f'PretrainedInit: load from {path}' in log_text()


def test_pretrained_init_with_prefix(tmp_path, log_text):
    source = Detector()
    path = str(tmp_path / 'full.pth')
    torch.save({'state_dict': source.state_dict()}, path)
    backbone = Backbone()
    PretrainedInit(checkpoint=path, prefix='backbone.')(backbone)
    assert torch.equal(backbone.conv.weight, source.backbone.conv.weight)
    assert f'load backbone. in model from: {path}' in log_text()
    with pytest.raises(AssertionError, match='nothing. is not in the pretrained model'):
        PretrainedInit(checkpoint=path, prefix='nothing.')(backbone)
    with pytest.raises(KeyError):  # also a KeyError: a key that is not there
        PretrainedInit(checkpoint=path, prefix='nothing')(backbone)
