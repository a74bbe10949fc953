"""Seed examples of the model tutorials (§8, §16, §33, §40.5), run as written.

``mmengine`` becomes ``engine``; downloads (torchvision datasets) and the
Runner calls are left out, the model code is kept verbatim.
"""
import os
from collections import OrderedDict

import pytest
import torch
import torch.nn as nn
from torch.optim import SGD
from torch.utils.data import DataLoader

from engine.logging import MMLogger
from engine.model import (
    BaseDataPreprocessor,
    BaseModel,
    BaseModule,
    initialize,
    kaiming_init,
    normal_init,
    xavier_init,
)
from engine.optim import OptimWrapper


@pytest.fixture
def fresh_logger(monkeypatch, tmp_path):
    """A current MMLogger writing to a file; yields a reader of that file."""
    monkeypatch.setattr(MMLogger, '_instance_dict', OrderedDict())
    path = tmp_path / 'seed.log'
    logger = MMLogger.get_instance('test_model_seed_examples', log_file=str(path))

    def read():
        for handler in logger.handlers:
            handler.flush()
        return path.read_text()
    yield read
    for handler in logger.handlers:
        if hasattr(handler, 'baseFilename'):
            handler.close()


# ------------------------------------------------------------------ §8.1 / §8.2
class NeuralNetwork(BaseModel):
    def __init__(self, data_preprocessor=None):
        super(NeuralNetwork, self).__init__(data_preprocessor)  # noqa: UP008 (seed text)
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(28*28, 512),
            nn.ReLU(),
            nn.Linear(512, 512),
            nn.ReLU(),
            nn.Linear(512, 10),
        )
        self.loss = nn.CrossEntropyLoss()

    def forward(self, img, label, mode='tensor'):
        x = self.flatten(img)
        pred = self.linear_relu_stack(x)
        loss = self.loss(pred, label)
        if mode == 'loss':
            return dict(loss=loss)
        elif mode == 'predict':
            return pred.argmax(1), loss.item()
        else:
            return pred


class NeuralNetwork1(NeuralNetwork):
    def __init__(self, data_preprocessor):
        super().__init__(data_preprocessor=data_preprocessor)
        self.data_preprocessor = data_preprocessor

    def train_step(self, data, optimizer):
        img, label = self.data_preprocessor(data)
        loss = self(img, label, mode='loss')['loss'].sum()
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        return dict(loss=loss)

    def test_step(self, data):
        img, label = self.data_preprocessor(data)
        return self(img, label, mode='predict')

    def val_step(self, data):
        img, label = self.data_preprocessor(data)
        return self(img, label, mode='predict')


class NormalizeDataPreprocessor(BaseDataPreprocessor):
    def forward(self, data, training=False):
        img, label = [item for item in data]
        img = (img - 127.5) / 127.5
        return img, label


def test_seed_8_2_custom_preprocessor_and_steps():
    torch.manual_seed(0)
    model = NeuralNetwork1(data_preprocessor=NormalizeDataPreprocessor())
    optimizer = SGD(model.parameters(), lr=0.01)
    data = (torch.full((3, 28, 28), fill_value=127.5), torch.ones(3, 10))
    before = model.linear_relu_stack[0].weight.detach().clone()
    out = model.train_step(data, optimizer)
    assert set(out) == {'loss'} and out['loss'].dim() == 0
    # the normalised image is all zeros, so only the biases move; the step ran
    assert torch.equal(model.linear_relu_stack[0].weight, before)
    pred, loss = model.val_step(data)
    assert pred.shape == (3,) and isinstance(loss, float)
    pred2, _ = model.test_step(data)
    assert torch.equal(pred, pred2)
    assert model.data_preprocessor(data)[0].abs().sum() == 0


def test_seed_8_1_tuple_batches_reach_forward_positionally():
    # §8.1: the DataLoader yields (img, label); BaseModel's steps unpack it as *data
    dataset = [(torch.rand(28, 28), torch.tensor(i % 10)) for i in range(4)]
    loader = DataLoader(dataset, batch_size=2)
    model = NeuralNetwork()
    optim_wrapper = OptimWrapper(SGD(model.parameters(), lr=1e-3))
    for data in loader:
        log_vars = model.train_step(data, optim_wrapper)
        assert list(log_vars) == ['loss'] and log_vars['loss'].dim() == 0
    preds = model.val_step(data)
    # FashionMnistMetric.process reads preds[0] (argmax) and preds[1] (loss)
    assert preds[0].shape == (2,) and isinstance(preds[1], float)
    assert model.test_step(data)[0].tolist() == preds[0].tolist()


# ------------------------------------------------------------------------ §33.2.1
class MMEngineToyModel(BaseModel):
    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(1, 1)

    def forward(self, img, label, mode):
        feat = self.linear(img)
        # 被 `train_step` 调用, 返回用于更新参数的损失字典
        if mode == 'loss':
            loss1 = (feat - label).pow(2)
            loss2 = (feat - label).abs()
            return dict(loss1=loss1, loss2=loss2)
        # 被 `val_step` 调用, 返回传给 `evaluator` 的预测结果
        elif mode == 'predict':
            return [_feat for _feat in feat]
        else:
            pass


def test_seed_33_toy_model_trains_with_base_train_step():
    train_dataset = [(torch.ones(1, 1), torch.ones(1, 1))] * 50
    train_dataloader = DataLoader(train_dataset, batch_size=2)
    model = MMEngineToyModel()
    with torch.no_grad():
        model.linear.weight.fill_(1.)
        model.linear.bias.fill_(1.)  # feat = 2, label = 1: loss1 = loss2 = 1
    optim_wrapper = OptimWrapper(SGD(model.parameters(), lr=0.01))
    first = None
    for data in train_dataloader:
        log_vars = model.train_step(data, optim_wrapper)
        if first is None:
            first = {k: v.item() for k, v in log_vars.items()}
    assert first == {'loss1': 1.0, 'loss2': 1.0, 'loss': 2.0}
    assert log_vars['loss'].item() < 2.0  # 25 SGD steps moved the weights towards the label
    preds = model.val_step(data)
    assert isinstance(preds, list) and len(preds) == 2 and preds[0].shape == (1, 1)


# ------------------------------------------------------------------------ §16.1
def test_seed_16_1_1_pretrained(tmp_path, monkeypatch, fresh_logger):
    monkeypatch.chdir(tmp_path)

    class ToyNet(BaseModule):

        def __init__(self, init_cfg=None):
            super().__init__(init_cfg)
            self.conv1 = nn.Linear(1, 1)

    # 保存预训练权重
    toy_net = ToyNet()
    torch.save(toy_net.state_dict(), './pretrained.pth')
    pretrained = './pretrained.pth'

    # 配置加载预训练权重的初始化方式
    toy_net = ToyNet(init_cfg=dict(type='Pretrained', checkpoint=pretrained))
    # 加载权重
    toy_net.init_weights()

    saved = torch.load(os.path.join(tmp_path, 'pretrained.pth'))
    assert torch.equal(toy_net.conv1.weight, saved['conv1.weight'])
    text = fresh_logger()
    assert 'load model from: ./pretrained.pth' in text
    assert 'loads checkpoint from path: ./pretrained.pth' in text


class ToyConv(nn.Module):

    def __init__(self):
        super().__init__()
        self.custom_weight = nn.Parameter(torch.empty(1, 1, 1, 1))
        self.custom_bias = nn.Parameter(torch.empty(1))

    def init_weights(self):
        with torch.no_grad():
            self.custom_weight = self.custom_weight.fill_(1)
            self.custom_bias = self.custom_bias.fill_(0)


class ToyNet16(BaseModule):

    def __init__(self, init_cfg=None):
        super().__init__(init_cfg)
        self.conv1 = nn.Conv2d(1, 1, 1)
        self.conv2 = nn.Conv2d(1, 1, 1)
        self.custom_conv = ToyConv()


def test_seed_16_1_3_user_defined_init_weights_log(fresh_logger):
    toy_net = ToyNet16(
        init_cfg=[
            dict(
                type='Kaiming',
                layer=['Conv2d'],
                override=dict(name='conv2', type='Xavier'))
        ])
    # 链式调用 `ToyConv.init_weights()`，以自定义的方式初始化
    # torch.empty (as in the seed) may hold 1 and 0 already, and then init_weights
    # changes nothing and is logged as such: start from other values
    toy_net.custom_conv.custom_weight.data.fill_(0.5)
    toy_net.custom_conv.custom_bias.data.fill_(0.5)
    toy_net.init_weights()

    assert toy_net.custom_conv.custom_weight.item() == 1
    assert toy_net.custom_conv.custom_bias.item() == 0
    kaiming = 'KaimingInit: a=0, mode=fan_out, nonlinearity=relu, distribution =normal, bias=0'
    xavier = 'XavierInit: gain=1, distribution=normal, bias=0'
    custom = 'Initialized by user-defined `init_weights` in ToyConv'
    expected = [
        ('conv1.weight - torch.Size([1, 1, 1, 1]):', kaiming),
        ('conv1.bias - torch.Size([1]):', kaiming),
        ('conv2.weight - torch.Size([1, 1, 1, 1]):', xavier),
        ('conv2.bias - torch.Size([1]):', kaiming),
        ('custom_conv.custom_weight - torch.Size([1, 1, 1, 1]):', custom),
        ('custom_conv.custom_bias - torch.Size([1]):', custom),
    ]
    # the log shows each parameter's header line followed by its record (§16.1.3 output)
    lines = [line.strip() for line in fresh_logger().splitlines() if line.strip()]
    for header, info in expected:
        assert lines[lines.index(header) + 1] == info


def test_seed_16_1_2_layer_list(fresh_logger):
    class ToyNet(BaseModule):

        def __init__(self, init_cfg=None):
            super().__init__(init_cfg)
            self.linear = nn.Linear(1, 1)
            self.conv = nn.Conv2d(1, 1, 1)

    # 对卷积和线性层做 Kaiming 初始化
    toy_net = ToyNet(init_cfg=[dict(type='Kaiming', layer=['Conv2d', 'Linear'])], )
    toy_net.init_weights()
    kaiming = 'KaimingInit: a=0, mode=fan_out, nonlinearity=relu, distribution =normal, bias=0'
    lines = [line.strip() for line in fresh_logger().splitlines() if line.strip()]
    for header in ['linear.weight - torch.Size([1, 1]):', 'linear.bias - torch.Size([1]):',
                   'conv.weight - torch.Size([1, 1, 1, 1]):', 'conv.bias - torch.Size([1]):']:
        assert lines[lines.index(header) + 1] == kaiming


# ------------------------------------------------------------------------ §16.2
def test_seed_16_2_functional_init():
    from torch.nn.init import constant_, normal_

    torch.manual_seed(3)
    model = nn.Conv2d(1, 1, 1)
    normal_(model.weight, mean=0, std=0.01)
    bias = constant_(model.bias, val=0)
    assert bias.tolist() == [0.0]
    reference = model.weight.detach().clone()

    torch.manual_seed(3)
    model = nn.Conv2d(1, 1, 1)
    normal_init(model, mean=0, std=0.01, bias=0)
    assert torch.equal(model.weight, reference) and model.bias.tolist() == [0.0]

    model.bias.data.fill_(5)
    kaiming_init(model)
    assert model.bias.tolist() == [0.0]
    model.bias.data.fill_(5)
    xavier_init(model)
    assert model.bias.tolist() == [0.0]


# ---------------------------------------------------------------------- §40.5.13
def test_seed_40_5_13_initialize_examples():
    module = nn.Linear(2, 3, bias=True)
    init_cfg = dict(type='Constant', layer='Linear', val=1, bias=2)
    initialize(module, init_cfg)
    assert module.weight.eq(1).all() and module.bias.eq(2).all()

    module = nn.Sequential(nn.Conv1d(3, 1, 3), nn.Linear(1, 2))
    init_cfg = [dict(type='Constant', layer='Conv1d', val=1),
                dict(type='Constant', layer='Linear', val=2)]
    initialize(module, init_cfg)
    assert module[0].weight.eq(1).all() and module[0].bias.eq(0).all()
    assert module[1].weight.eq(2).all() and module[1].bias.eq(0).all()

    class FooNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.feats = nn.Conv2d(3, 16, 3)
            self.reg = nn.Conv2d(16, 10, 3)
            self.cls = nn.Conv2d(16, 5, 3)
    model = FooNet()
    init_cfg = dict(type='Constant', val=1, bias=2, layer='Conv2d',
                    override=dict(type='Constant', name='reg', val=3, bias=4))
    initialize(model, init_cfg)
    for name, (weight, bias) in dict(feats=(1, 2), cls=(1, 2), reg=(3, 4)).items():
        conv = getattr(model, name)
        assert conv.weight.eq(weight).all() and conv.bias.eq(bias).all(), name
    assert init_cfg['override'] == dict(type='Constant', name='reg', val=3, bias=4)  # not mutated


def test_models_registry_importable_from_engine_model_as_in_the_manual():
    # the DefaultScope example of the manual: `from mmengine.model import MODELS`
    import engine.model
    from engine.model import MODELS
    from engine.registry import MODELS as registry_models

    assert MODELS is registry_models
    assert 'MODELS' not in engine.model.__all__
