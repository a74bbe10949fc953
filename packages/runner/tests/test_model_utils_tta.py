"""Model utilities (MU-01..05) and BaseTTAModel (TTA-01..03; scenarios 9, 29)."""
from collections import OrderedDict

import pytest
import torch
import torch.nn as nn

from engine.logging import MMLogger
from engine.model import (
    BaseModel,
    BaseTTAModel,
    convert_sync_batchnorm,
    detect_anomalous_params,
    merge_dict,
    revert_sync_batchnorm,
    stack_batch,
)
from engine.registry import MODELS
from engine.structures import BaseDataElement


# -------------------------------------------------------------- stack_batch
def test_stack_batch_pads_right_and_bottom():
    out = stack_batch([torch.ones(3, 10, 10), torch.ones(3, 15, 15)], 16, 10)
    assert out.shape == (2, 3, 16, 16)
    assert torch.all(out[0, :, 10:, :] == 10) and torch.all(out[0, :, :, 10:] == 10)
    assert torch.all(out[0, :, :10, :10] == 1)
    assert torch.all(out[1, :, :15, :15] == 1) and torch.all(out[1, :, 15:, :] == 10)
    assert stack_batch([torch.ones(3, 10, 10), torch.ones(3, 15, 15)]).shape == (2, 3, 15, 15)


def test_stack_batch_no_padding_is_plain_stack():
    a, b = torch.randn(3, 8, 8), torch.randn(3, 8, 8)
    assert torch.equal(stack_batch([a, b], 4), torch.stack([a, b]))
    assert stack_batch([torch.ones(2, 5), torch.ones(2, 7)], 4).shape == (2, 2, 8)


def test_stack_batch_errors():
    with pytest.raises(AssertionError, match='Expected input type to be list'):
        stack_batch(torch.ones(2, 3, 4, 4))
    with pytest.raises(AssertionError, match='`tensor_list` could not be an empty list'):
        stack_batch([])
    with pytest.raises(AssertionError, match='Expected the dimensions of all tensors must be'):
        stack_batch([torch.ones(3, 4, 4), torch.ones(3, 4)])


# --------------------------------------------------------------- merge_dict
def test_merge_dict():
    a, b = {'a': 1}, {'b': 2, 'a': 3}
    assert merge_dict(a, b) == {'a': 3, 'b': 2}
    assert a == {'a': 1}  # a new dict
    with pytest.raises(AssertionError, match='all arguments of merge_dict should be a dict'):
        merge_dict({'a': 1}, [('b', 2)])


def test_merge_dict_is_an_fx_leaf():
    from engine.model import utils as model_utils

    class Net(nn.Module):
        def forward(self, x):
            # fx patches the wrapped name in the module that called torch.fx.wrap
            return model_utils.merge_dict({'a': x}, {'b': x * 2})

    graph = torch.fx.symbolic_trace(Net()).graph
    assert any(node.op == 'call_function' and node.target.__name__ == 'merge_dict'
               for node in graph.nodes)


# --------------------------------------------------- detect_anomalous_params
def test_detect_anomalous_params_logs_unused(monkeypatch, tmp_path):
    monkeypatch.setattr(MMLogger, '_instance_dict', OrderedDict())
    log_file = tmp_path / 'run.log'
    logger = MMLogger.get_instance('test_model_anomalous', log_file=str(log_file))

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.used = nn.Linear(2, 2)
            self.unused = nn.Linear(2, 3)
            self.frozen = nn.Linear(2, 2).requires_grad_(False)

    net = Net()
    loss = net.used(torch.ones(1, 2)).sum()
    detect_anomalous_params(loss, net)
    for handler in logger.handlers:
        handler.flush()
    text = log_file.read_text()
    assert 'ERROR' in text
    assert 'unused.weight with shape torch.Size([3, 2]) is not in the computational graph' in text
    assert 'unused.bias with shape torch.Size([3]) is not in the computational graph' in text
    assert 'used.weight with shape' not in text.replace('unused.weight', '')
    assert 'frozen' not in text
    logger.handlers[-1].close()


# ------------------------------------------------------------ sync batchnorm
def test_revert_sync_batchnorm_runs_on_cpu():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 8, 2), nn.SyncBatchNorm(8))
    bn = model[1]
    with torch.no_grad():
        bn.weight.fill_(2)
        bn.running_mean.fill_(0.5)
    x = torch.randn(1, 3, 10, 10)
    model = revert_sync_batchnorm(model)
    assert not isinstance(model[1], nn.SyncBatchNorm)
    assert isinstance(model[1], nn.modules.batchnorm._BatchNorm)
    assert model[1].weight is bn.weight  # shared
    assert model[1].running_mean is bn.running_mean
    assert model(x).shape == (1, 8, 9, 9)
    # the root itself may be a SyncBatchNorm
    root = revert_sync_batchnorm(nn.SyncBatchNorm(4).eval())
    assert not isinstance(root, nn.SyncBatchNorm) and root.training is False
    assert root(torch.randn(2, 4)).shape == (2, 4)  # any input rank


def test_convert_sync_batchnorm():
    model = nn.Sequential(nn.Conv2d(3, 8, 2), nn.BatchNorm2d(8, momentum=0.3),
                          nn.Sequential(nn.BatchNorm1d(4, affine=False)))
    model[1].qconfig = 'q'
    weight = model[1].weight
    converted = convert_sync_batchnorm(model)
    assert isinstance(converted[1], nn.SyncBatchNorm) and converted[1].momentum == 0.3
    assert converted[1].weight is weight and converted[1].qconfig == 'q'
    assert isinstance(converted[2][0], nn.SyncBatchNorm) and not converted[2][0].affine
    with pytest.raises(ValueError, match='sync_bn should be "torch" or "mmcv", but got bad'):
        convert_sync_batchnorm(nn.Sequential(nn.BatchNorm2d(2)), implementation='bad')
    # no BN layer met: the implementation is never checked
    assert isinstance(convert_sync_batchnorm(nn.Linear(1, 1), 'bad'), nn.Linear)
    back = revert_sync_batchnorm(converted)
    assert not any(isinstance(m, nn.SyncBatchNorm) for m in back.modules())


# ---------------------------------------------------------------------- TTA
class EchoModel(BaseModel):
    """test_step returns its inputs list; records every call."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def forward(self, inputs, data_samples=None, mode='tensor'):
        return inputs

    def test_step(self, data):
        self.calls.append(data)
        return data['inputs'] if isinstance(data, dict) else data[0]


class PairTTA(BaseTTAModel):
    def merge_preds(self, data_samples_list):
        self.received = data_samples_list
        return [sum(preds) for preds in data_samples_list]


def test_tta_splits_and_merges_per_sample():
    a1, b1, a2, b2 = (torch.tensor(float(i)) for i in (1, 2, 10, 20))
    sa1, sb1, sa2, sb2 = (BaseDataElement() for _ in range(4))
    module = EchoModel()
    tta = PairTTA(module)
    out = tta.test_step(dict(inputs=[[a1, b1], [a2, b2]],
                             data_samples=[[sa1, sb1], [sa2, sb2]]))
    assert len(module.calls) == 2
    assert module.calls[0]['data_samples'] == [sa1, sb1]
    assert tta.received == [(a1, a2), (b1, b2)]
    assert [o.item() for o in out] == [11., 22.]

    module.calls.clear()
    tta.test_step([[[a1, b1], [a2, b2]], [[sa1, sb1], [sa2, sb2]]])
    assert len(module.calls) == 2 and module.calls[1][0] == [a2, b2]


def test_tta_errors_and_building():
    with pytest.raises(AssertionError, match='Model wrapped by BaseTTAModel must implement'):
        PairTTA(nn.Linear(1, 1))
    with pytest.raises(TypeError, match='The type of module should be a `nn.Module` instance'):
        PairTTA('model')
    with pytest.raises(TypeError, match='data given by dataLoader should be a dict, tuple'):
        PairTTA(EchoModel()).test_step(torch.ones(1))

    @MODELS.register_module(name='TestModelEchoModel', force=True)
    class Registered(EchoModel):
        pass

    tta = PairTTA(dict(type='TestModelEchoModel'))
    assert isinstance(tta.module, Registered)
    assert MODELS.get('BaseTTAModel') is BaseTTAModel
    with pytest.raises(TypeError):
        BaseTTAModel(EchoModel())  # merge_preds is abstract
