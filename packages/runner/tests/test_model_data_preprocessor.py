"""BaseDataPreprocessor and ImgDataPreprocessor (DP-01..06; scenarios 5-8, GAN-01)."""
from collections import namedtuple

import pytest
import torch
import torch.nn.functional as F

from engine.model import BaseDataPreprocessor, ImgDataPreprocessor
from engine.registry import MODELS
from engine.structures import BaseDataElement, InstanceData


def test_registered_and_default_device():
    dp = MODELS.build(dict(type='BaseDataPreprocessor'))
    assert isinstance(dp, BaseDataPreprocessor)
    assert dp.device == torch.device('cpu')
    with pytest.raises(AttributeError):
        dp.device = torch.device('cpu')  # read-only property


def test_cast_data_structures():
    dp = BaseDataPreprocessor()
    a, b = torch.ones(2), torch.zeros(3)
    out = dp.cast_data((a, b))
    assert isinstance(out, list) and len(out) == 2
    assert torch.equal(out[0], a) and out[0].device.type == 'cpu'

    # tensors already on the device are passed on as they are, in a new container
    batch = [a, b]
    out = dp.cast_data(batch)
    assert out is not batch and len(out) == 2 and out[0] is a and out[1] is b
    batch = {'inputs': a, 'labels': b}
    out = dp.cast_data(batch)
    assert type(out) is dict and out is not batch and out['inputs'] is a and out['labels'] is b
    weight = torch.nn.Parameter(torch.ones(1))  # a subclass takes the general path
    out = dp.cast_data((weight, a))
    assert type(out) is list and out[0] is weight and out[1] is a

    out = dp.cast_data({'inputs': a, 'meta': None, 'name': 'img.jpg', 'raw': b'xy', 'n': 3})
    assert type(out) is dict
    assert out['meta'] is None and out['name'] == 'img.jpg' and out['raw'] == b'xy'
    assert out['n'] == 3

    Pair = namedtuple('Pair', ['x', 'y'])
    out = dp.cast_data(Pair(a, [b, 'text']))
    assert type(out) is Pair and out.y[1] == 'text'
    assert torch.equal(out.x, a)

    sample = BaseDataElement(metainfo=dict(img_shape=(2, 2)))
    sample.gt = InstanceData(bboxes=torch.ones(1, 4))
    out = dp.cast_data({'data_samples': [sample, sample]})
    assert isinstance(out['data_samples'][0], BaseDataElement)
    assert out['data_samples'][0].metainfo['img_shape'] == (2, 2)
    assert torch.equal(out['data_samples'][1].gt.bboxes, torch.ones(1, 4))

    obj = object()
    assert dp.cast_data(obj) is obj


def test_cast_data_strings_do_not_recurse():
    dp = BaseDataPreprocessor()
    assert dp.cast_data('abc') == 'abc'
    assert dp.cast_data(['abc', ('x', 'y')]) == ['abc', ['x', 'y']]


def test_cast_data_moves_to_device():
    dp = BaseDataPreprocessor()
    assert dp.to('meta') is dp
    assert dp.device == torch.device('meta')
    out = dp.cast_data({'inputs': [torch.ones(1)], 'sample': BaseDataElement(x=torch.ones(2))})
    assert out['inputs'][0].device.type == 'meta'
    assert out['sample'].x.device.type == 'meta'
    assert dp.cpu() is dp and dp.device == torch.device('cpu')
    assert dp.to(torch.float16) is dp and dp.device == torch.device('cpu')


def test_forward_casts_and_subclass_tutorial():
    class NormalizeDataPreprocessor(BaseDataPreprocessor):
        def forward(self, data, training=False):
            img, label = [item for item in data]
            return (img - 127.5) / 127.5, label

    img, label = NormalizeDataPreprocessor()((torch.full((3, 28, 28), 127.5), torch.ones(3, 10)))
    assert torch.equal(img, torch.zeros(3, 28, 28))
    assert torch.equal(label, torch.ones(3, 10))
    assert BaseDataPreprocessor()({'a': (torch.ones(1),)}, training=True)['a'][0].item() == 1


# ------------------------------------------------------------ ImgDataPreprocessor
def test_img_constructor_assertions():
    with pytest.raises(AssertionError, match='`mean` should have'):
        ImgDataPreprocessor(mean=(1, 2), std=(1, 2, 3))
    with pytest.raises(AssertionError, match='`std` should have'):
        ImgDataPreprocessor(mean=(1, 2, 3), std=(1, 2))
    with pytest.raises(AssertionError, match='`bgr2rgb` and `rgb2bgr`'):
        ImgDataPreprocessor(bgr_to_rgb=True, rgb_to_bgr=True)
    with pytest.raises(AssertionError, match='mean and std should be'):
        ImgDataPreprocessor(mean=None, std=[255] * 3)
    dp = ImgDataPreprocessor(mean=[127.5], std=[1, 2, 3])  # lengths may differ
    assert dp._enable_normalize and dp.mean.shape == (1, 1, 1) and dp.std.shape == (3, 1, 1)
    assert 'mean' not in dp.state_dict()  # non-persistent buffers
    plain = ImgDataPreprocessor()
    assert not plain._enable_normalize and not hasattr(plain, 'mean')


def test_img_gan_preprocessor():
    dp = ImgDataPreprocessor(mean=[127.5], std=[127.5])
    out = dp({'inputs': [torch.full((1, 28, 28), 255.), torch.zeros(1, 28, 28)]})
    assert out['inputs'].shape == (2, 1, 28, 28)
    assert torch.all(out['inputs'][0] == 1.0) and torch.all(out['inputs'][1] == -1.0)
    assert out['data_samples'] is None


def test_img_list_path_padding_and_channel_swap():
    std = torch.tensor([1., 2., 3.]).view(-1, 1, 1)
    dp = ImgDataPreprocessor(mean=[127.5], std=[1, 2, 3], pad_size_divisor=16, pad_value=10,
                             rgb_to_bgr=True)
    x1 = torch.randint(0, 256, (3, 10, 10))
    x2 = torch.randint(0, 256, (3, 15, 15))
    samples = ['s1', 's2']
    out = dp({'inputs': [x1, x2], 'data_samples': samples, 'extra': 'kept'})
    batch = out['inputs']
    assert batch.shape == (2, 3, 16, 16) and batch.dtype == torch.float32
    expect0 = F.pad((x1[[2, 1, 0]].float() - 127.5) / std, (0, 6, 0, 6), value=10)
    expect1 = F.pad((x2[[2, 1, 0]].float() - 127.5) / std, (0, 1, 0, 1), value=10)
    assert torch.allclose(batch[0], expect0) and torch.allclose(batch[1], expect1)
    assert out['data_samples'] == samples and out['extra'] == 'kept'


def test_img_tensor_path():
    dp = ImgDataPreprocessor(mean=(127.5,) * 3, std=(127.5,) * 3, pad_size_divisor=16)
    out = dp({'inputs': torch.full((2, 3, 10, 10), 127.5)})['inputs']
    assert out.shape == (2, 3, 16, 16) and torch.all(out == 0)
    dp = ImgDataPreprocessor(mean=(127.5,) * 3, std=(127.5,) * 3)
    assert dp({'inputs': torch.zeros(2, 3, 10, 10)})['inputs'].shape == (2, 3, 10, 10)
    swap = ImgDataPreprocessor(bgr_to_rgb=True)
    x = torch.arange(3).view(1, 3, 1, 1).expand(2, 3, 2, 2).to(torch.uint8)
    got = swap({'inputs': x})['inputs']
    assert got.dtype == torch.float32 and got[0, :, 0, 0].tolist() == [2., 1., 0.]
    with pytest.raises(AssertionError, match='should be a NCHW tensor or a list of tensor'):
        dp({'inputs': torch.zeros(3, 10, 10)})


def test_img_errors():
    dp = ImgDataPreprocessor(mean=(0, 0, 0), std=(1, 1, 1))
    with pytest.raises(AssertionError, match='If the mean has 3 values'):
        dp({'inputs': [torch.ones(10, 10)] * 2})
    with pytest.raises(TypeError, match='inputs'):
        dp({'inputs': 'not an image'})
    with pytest.raises(TypeError, match='"inputs"'):
        dp([torch.ones(3, 2, 2)])
    with pytest.raises(ValueError, match='swap 3 colour channels'):
        ImgDataPreprocessor(rgb_to_bgr=True)({'inputs': [torch.ones(1, 4, 4)]})
    with pytest.raises(ValueError, match='swap 3 colour channels'):
        ImgDataPreprocessor(rgb_to_bgr=True)({'inputs': torch.ones(2, 1, 4, 4)})
