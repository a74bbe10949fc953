"""engine.model (model-dataset.md A-H): edge cases other tests leave open."""
from collections import OrderedDict, namedtuple

import pytest
import torch
import torch.nn as nn
from torch.utils.data import DataLoader

from engine.config import ConfigDict
from engine.dataset import pseudo_collate
from engine.model import (
    BaseDataPreprocessor,
    BaseModel,
    BaseModule,
    BaseTTAModel,
    ImgDataPreprocessor,
    PretrainedInit,
    Sequential,
    convert_sync_batchnorm,
    initialize,
    stack_batch,
)


class LinearModel(BaseModel):
    def __init__(self, data_preprocessor=None):
        super().__init__(data_preprocessor=data_preprocessor)
        self.linear = nn.Linear(1, 1)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        return data_samples if mode == 'predict' else self.linear(inputs)


# ------------------------------------------------------------------ MOD-01/06/07
def test_config_dicts_are_accepted_where_dicts_are():
    """Configs arrive as ConfigDict: data_preprocessor (MOD-01) and init_cfg (INIT-07/08)."""
    model = LinearModel(data_preprocessor=ConfigDict(type='ImgDataPreprocessor', mean=[1],
                                                     std=[2]))
    assert isinstance(model.data_preprocessor, ImgDataPreprocessor)

    class Net(BaseModule):
        def __init__(self, init_cfg=None):
            super().__init__(init_cfg)
            self.fc = nn.Linear(1, 1)
            self.reg = nn.Linear(1, 1)

    net = Net(init_cfg=ConfigDict(type='Constant', val=2, bias=1, layer='Linear',
                                  override=ConfigDict(name='reg', type='Constant', val=7)))
    net.init_weights()
    assert net.fc.weight.item() == 2 and net.fc.bias.item() == 1
    assert net.reg.weight.item() == 7 and net.reg.bias.item() == 0


def test_parse_losses_counts_keys_containing_lowercase_loss():
    total, log_vars = LinearModel().parse_losses({
        'Loss_upper': torch.tensor(100.),  # case-sensitive: not part of the total
        'aux_loss': torch.tensor([1., 3.]),
        'loss3': [torch.tensor([1., 3.]), torch.tensor(4.)],
        'top1_acc': torch.tensor(0.5),
    })
    assert total.item() == 2. + 6.
    assert log_vars['Loss_upper'].item() == 100. and log_vars['loss3'].item() == 6.
    assert log_vars['loss'].item() == 8.


def test_to_with_keywords_or_a_tensor_moves_the_preprocessor():
    model = LinearModel()
    assert model.to(device='meta') is model
    assert model.data_preprocessor.device == torch.device('meta')
    model = LinearModel()
    model.to(torch.empty(0, dtype=torch.float64, device='meta'))
    assert model.data_preprocessor.device == torch.device('meta')
    assert model.linear.weight.dtype == torch.float64
    assert model.to() is model and model.data_preprocessor.device == torch.device('meta')


# ----------------------------------------------------------------------- DP
def test_cast_data_returns_plain_containers():
    """DP-02: mappings become dicts, tuples lists; namedtuples keep their type."""
    dp = BaseDataPreprocessor()
    Pair = namedtuple('Pair', ['img', 'label'])
    t = torch.ones(1)
    out = dp.cast_data(OrderedDict(a=(t, 'x'), b=ConfigDict(c=[Pair(t, None)])))
    assert type(out) is dict and type(out['b']) is dict
    assert type(out['a']) is list and out['a'][0] is t and out['a'][1] == 'x'
    pair = out['b']['c'][0]
    assert type(pair) is Pair and pair.label is None and torch.equal(pair.img, t)


def test_img_preprocessor_attributes():
    plain = ImgDataPreprocessor()
    assert plain._channel_conversion is False and plain._enable_normalize is False
    assert not hasattr(plain, 'mean') and not hasattr(plain, 'std')
    assert plain.pad_size_divisor == 1 and plain.pad_value == 0

    dp = ImgDataPreprocessor(bgr_to_rgb=True, mean=[0, 0, 0], std=[255, 255, 255],
                             pad_size_divisor=16, pad_value=10)
    assert dp._channel_conversion and dp._enable_normalize
    assert dp.mean.flatten().tolist() == [0, 0, 0] and dp.std.shape == (3, 1, 1)
    assert dp.pad_size_divisor == 16 and dp.pad_value == 10
    assert {'mean', 'std'} <= dict(dp.named_buffers()).keys()
    assert not ImgDataPreprocessor(bgr_to_rgb=True)._enable_normalize


def test_img_preprocessor_needs_the_inputs_key():
    """DP-06: a dict without 'inputs' is a missing key; a non-dict is the wrong type."""
    dp = ImgDataPreprocessor()
    with pytest.raises(KeyError, match='"inputs", but got a dict with the keys: img, label'):
        dp({'img': [torch.ones(3, 2, 2)], 'label': 1})
    with pytest.raises(TypeError, match='"inputs"'):
        dp((torch.ones(3, 2, 2),))
    out = dp({'inputs': [torch.ones(3, 2, 2)], 'data_sample': [1]})
    assert out['data_sample'] == [1] and out['data_samples'] is None


# ---------------------------------------------------------------------- TTA
class EchoSamples(BaseModel):
    def forward(self, inputs, data_samples=None, mode='tensor'):
        return data_samples


class SumTTA(BaseTTAModel):
    def merge_preds(self, data_samples_list):
        return [sum(preds) for preds in data_samples_list]


def test_tta_on_pseudo_collated_batches():
    """TTA-03: every sample holds one entry per augmentation; merge_preds sees per-sample tuples."""
    tta = SumTTA(EchoSamples())
    as_dicts = DataLoader([dict(inputs=[1, 2], data_samples=[3, 4])] * 4, batch_size=2,
                          collate_fn=pseudo_collate)
    as_tuples = DataLoader([([1, 2], [3, 4])] * 4, batch_size=2, collate_fn=pseudo_collate)
    for loader in (as_dicts, as_tuples):
        assert [tta.test_step(batch) for batch in loader] == [[7, 7], [7, 7]]


# ----------------------------------------------------------------- BM / INIT
def test_parent_cfg_reaches_nested_modules_without_their_own():
    """BM-02: each level passes through children that have init_weights but no init_cfg."""
    class Leaf(BaseModule):
        def __init__(self, init_cfg=None):
            super().__init__(init_cfg)
            self.conv = nn.Conv1d(4, 1, 4)
            self.fc = nn.Linear(3, 4)

    class Branch(BaseModule):
        def __init__(self):
            super().__init__()
            self.leaf = Leaf()
            self.own = Leaf(init_cfg=dict(type='Constant', layer='Conv1d', val=0., bias=1.))

    class Root(BaseModule):
        def __init__(self):
            super().__init__(init_cfg=[dict(type='Constant', val=1, bias=2, layer='Linear'),
                                       dict(type='Constant', val=3, bias=4, layer='Conv1d')])
            self.branch = Branch()
            self.seq = Sequential(Leaf())
            self.reg = nn.Linear(3, 4)

    root = Root()
    root.init_weights()
    for leaf in (root.branch.leaf, root.seq[0]):
        assert torch.all(leaf.conv.weight == 3) and torch.all(leaf.conv.bias == 4)
        assert torch.all(leaf.fc.weight == 1) and torch.all(leaf.fc.bias == 2)
    own = root.branch.own
    assert torch.all(own.conv.weight == 0) and torch.all(own.conv.bias == 1)  # its cfg wins
    assert torch.all(own.fc.weight == 1)  # untouched by its own cfg, set by the root's
    assert torch.all(root.reg.weight == 1) and torch.all(root.reg.bias == 2)
    assert all(m.is_init for m in root.modules() if isinstance(m, BaseModule))


def test_pretrained_prefix_without_trailing_dot(tmp_path):
    source = nn.Sequential(OrderedDict(backbone=nn.Linear(2, 2), head=nn.Linear(2, 1)))
    path = str(tmp_path / 'ckpt.pth')
    torch.save({'state_dict': source.state_dict(), 'meta': {}}, path)
    target = nn.Linear(2, 2)
    PretrainedInit(checkpoint=path, prefix='backbone')(target)  # '.' is added
    assert torch.equal(target.weight, source.backbone.weight)
    assert torch.equal(target.bias, source.backbone.bias)


def test_initialize_pretrained_with_override(tmp_path):
    """INIT-07/08: the override runs after loading, on the named child only."""
    class Foo(nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(1, 2)
            self.conv = nn.Conv2d(3, 2, 3)

    source = Foo()
    initialize(source, dict(type='Constant', val=1, bias=2, layer=['Linear', 'Conv2d']))
    path = str(tmp_path / 'foo.pth')
    torch.save(source.state_dict(), path)
    cfg = dict(type='Pretrained', checkpoint=path,
               override=dict(type='Constant', name='conv', val=3, bias=4))
    target = Foo()
    initialize(target, cfg)
    assert torch.all(target.linear.weight == 1) and torch.all(target.linear.bias == 2)
    assert torch.all(target.conv.weight == 3) and torch.all(target.conv.bias == 4)
    assert cfg['override'] == dict(type='Constant', name='conv', val=3, bias=4)  # not mutated


# ----------------------------------------------------------------------- MU
def test_stack_batch_pads_every_dim_after_channels():
    a = torch.ones(2, 3, 5, 7)
    b = torch.ones(2, 4, 6, 8)
    out = stack_batch([a, b], pad_size_divisor=4, pad_value=-1)
    assert out.shape == (2, 2, 4, 8, 8)
    assert torch.all(out[0, :, :3, :5, :7] == 1)
    assert torch.all(out[0, :, 3:] == -1) and torch.all(out[0, :, :, 5:] == -1)
    assert torch.all(out[0, :, :, :, 7:] == -1)
    assert torch.all(out[1, :, :, 6:] == -1) and torch.all(out[1, :, :4, :6, :8] == 1)


def test_convert_sync_batchnorm_checks_every_bn_layer():
    """MU-05: a SyncBatchNorm is a BN layer too: a bad implementation is reported."""
    sync = nn.SyncBatchNorm(4)
    with pytest.raises(ValueError, match='sync_bn should be "torch" or "mmcv", but got bad'):
        convert_sync_batchnorm(nn.Sequential(sync), implementation='bad')
    model = nn.Sequential(sync, nn.BatchNorm2d(4))
    converted = convert_sync_batchnorm(model)
    assert converted[0] is sync  # already a torch SyncBatchNorm: kept as is
    assert type(converted[1]) is nn.SyncBatchNorm


def test_nonfinite_loss_error_names_terms_without_a_tensor_warning():
    """The FloatingPointError's text reads the loss terms without float() on grad tensors."""
    import warnings

    from engine.optim import OptimWrapper

    class NanLoss(LinearModel):
        def forward(self, inputs, data_samples=None, mode='tensor'):
            out = self.linear(inputs).mean()
            return dict(loss_nan=out * float('nan'), loss_ok=out)

    model = NanLoss()
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        with pytest.raises(FloatingPointError, match='loss_nan=nan, loss_ok='):
            model.train_step([torch.ones(2, 1)], wrapper)
