"""Averaged models (EMA-01..06; scenarios 17-18)."""
import pytest
import torch
import torch.nn as nn

from engine.model import (
    BaseAveragedModel,
    ExponentialMovingAverage,
    MomentumAnnealingEMA,
    StochasticWeightAverage,
)
from engine.registry import MODELS


def _linear(value=0.0):
    m = nn.Linear(1, 1, bias=False)
    nn.init.constant_(m.weight, value)
    return m


def _set(m, value):
    with torch.no_grad():
        m.weight.fill_(value)


def _avg(ema):
    return ema.module.weight.item()


def test_ema_formula_and_steps():
    m = _linear(0)
    ema = ExponentialMovingAverage(m, momentum=0.5)
    ema.update_parameters(m)
    assert _avg(ema) == 0  # first update copies
    _set(m, 1)
    ema.update_parameters(m)
    assert _avg(ema) == pytest.approx(0.5)
    ema.update_parameters(m)
    assert _avg(ema) == pytest.approx(0.75)
    assert int(ema.steps) == 3
    x = torch.randn(4, 1)
    assert torch.equal(ema(x), ema.module(x))


def test_ema_interval():
    m = _linear(0)
    ema = ExponentialMovingAverage(m, momentum=0.5, interval=2)
    ema.update_parameters(m)
    _set(m, 1)
    ema.update_parameters(m)
    assert _avg(ema) == 0  # step 1: skipped
    ema.update_parameters(m)
    assert _avg(ema) == pytest.approx(0.5)


def test_ema_first_update_copies_not_initial_weights():
    m = _linear(3)
    ema = ExponentialMovingAverage(m, momentum=0.5)
    _set(m, 7)
    ema.update_parameters(m)
    assert _avg(ema) == 7


def test_ema_momentum_assertion():
    with pytest.raises(AssertionError, match='momentum must be in range'):
        ExponentialMovingAverage(_linear(), momentum=3)
    with pytest.raises(AssertionError, match='momentum must be in range'):
        ExponentialMovingAverage(_linear(), momentum=0)


def test_momentum_annealing_ema():
    m = _linear(0)
    ema = MomentumAnnealingEMA(m, momentum=0.0002, gamma=100)
    ema.update_parameters(m)
    _set(m, 1)
    ema.update_parameters(m)
    assert _avg(ema) == pytest.approx(100 / 101, rel=1e-6)
    with pytest.raises(AssertionError, match='gamma must be greater than 0'):
        MomentumAnnealingEMA(m, gamma=0)
    with pytest.raises(AssertionError, match='momentum must be in range'):
        MomentumAnnealingEMA(m, momentum=2)


def test_momentum_annealing_reaches_floor():
    m = _linear(0)
    ema = MomentumAnnealingEMA(m, momentum=0.5, gamma=1)
    ema.update_parameters(m)
    for _ in range(3):
        ema.update_parameters(m)
    _set(m, 1)
    ema.update_parameters(m)  # steps=4: max(0.5, 1/5) = 0.5
    assert _avg(ema) == pytest.approx(0.5)


def test_swa_running_mean():
    m = _linear(0)
    swa = StochasticWeightAverage(m)
    values = []
    for w in (0, 1, 2):
        _set(m, w)
        swa.update_parameters(m)
        values.append(_avg(swa))
    assert values == pytest.approx([0, 0.5, 1.0])
    assert not swa.module.weight.requires_grad
    assert m.weight.requires_grad  # the source is untouched


def test_buffers_copied_or_averaged():
    model = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    ema = ExponentialMovingAverage(model, momentum=0.5)
    ema.update_parameters(model)
    model.train()
    model(torch.randn(8, 2) + 5)
    ema.update_parameters(model)
    bn, avg_bn = model[1], ema.module[1]
    assert torch.equal(avg_bn.running_mean, bn.running_mean)  # copied, not averaged
    assert int(avg_bn.num_batches_tracked) == int(bn.num_batches_tracked)

    model = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    ema = ExponentialMovingAverage(model, momentum=0.5, update_buffers=True)
    ema.update_parameters(model)
    before = ema.module[1].running_mean.clone()
    model(torch.randn(8, 2) + 5)
    ema.update_parameters(model)
    expected = before.lerp(model[1].running_mean, 0.5)
    assert torch.allclose(ema.module[1].running_mean, expected)
    # integer buffers are not averaged (stays at the first copy)
    assert int(ema.module[1].num_batches_tracked) == 0


def test_base_is_abstract_and_subclasses_registered():
    with pytest.raises(TypeError):
        BaseAveragedModel(_linear())  # abstract avg_func
    for name in ('ExponentialMovingAverage', 'MomentumAnnealingEMA', 'StochasticWeightAverage'):
        assert MODELS.get(name) is not None
    assert 'BaseAveragedModel' not in MODELS.module_dict
    ema = MODELS.build(dict(type='ExponentialMovingAverage', model=_linear(), momentum=0.1))
    assert isinstance(ema, ExponentialMovingAverage) and ema.momentum == 0.1


def test_device_and_steps_buffer():
    ema = ExponentialMovingAverage(_linear(), device='cpu')
    assert ema.steps.dtype == torch.long and 'steps' in ema.state_dict()
    ema = StochasticWeightAverage(_linear(), device='meta')
    assert ema.module.weight.device.type == 'meta' and ema.steps.device.type == 'meta'


def test_ema_of_a_base_model_keeps_its_preprocessor():
    from engine.model import BaseModel, ImgDataPreprocessor

    class Net(BaseModel):
        def __init__(self):
            super().__init__(data_preprocessor=dict(type='ImgDataPreprocessor', mean=[1],
                                                    std=[2]))
            self.fc = nn.Linear(1, 1)

        def forward(self, inputs, data_samples=None, mode='tensor'):
            return self.fc(inputs)

    net = Net()
    ema = ExponentialMovingAverage(net, momentum=0.5)
    dp = ema.module.data_preprocessor
    assert isinstance(dp, ImgDataPreprocessor) and dp is not net.data_preprocessor
    assert dp.device == torch.device('cpu')
    out = dp({'inputs': [torch.full((1, 2, 2), 5.)]})['inputs']
    assert torch.all(out == 2)
