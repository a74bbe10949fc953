"""PixelData (STR-43 to STR-47) and LabelData (STR-48 to STR-50)."""

import numpy as np
import pytest
import torch

from engine.structures import BaseDataElement, LabelData, PixelData


def make_pixel_data():
    return PixelData(
        metainfo=dict(img_id=1),
        image=np.random.randint(0, 255, (4, 20, 40)),
        featmap=torch.randint(0, 255, (10, 20, 40)),
    )


# STR-43, STR-44, STR-45, STR-46
def test_pixel_data_checks():
    p = make_pixel_data()
    assert isinstance(p, BaseDataElement)
    assert p.shape == (20, 40)
    with pytest.warns(UserWarning, match='The shape of value will convert from'):
        p.map3 = torch.randint(0, 255, (20, 40))
    assert p.map3.shape == torch.Size([1, 20, 40])
    with pytest.raises(AssertionError) as info:
        p.map2 = torch.randint(0, 255, (3, 20, 30))
    assert str(info.value) == (
        'the height and width of values (20, 30) is not consistent with the length of this '
        ':obj:`PixelData` (20, 40) '
    )
    with pytest.raises(AssertionError, match='The dim of value must be 2 or 3, but got 4'):
        p.map2 = torch.randint(0, 255, (1, 3, 20, 40))
    with pytest.raises(AssertionError, match='the height and width'):
        p.map2 = torch.randint(0, 255, (1, 3, 20, 30))  # hw is checked before ndim
    with pytest.raises(AssertionError) as info:
        p.v = 'value'
    assert str(info.value) == (
        "Can set <class 'str'>, only support (<class 'torch.Tensor'>, <class 'numpy.ndarray'>)"
    )
    assert 'map2' not in p and 'v' not in p
    assert PixelData().shape is None
    # metainfo is not checked
    p.set_metainfo(dict(name='x'))
    with pytest.raises(AttributeError, match='private attribute'):
        p._data_fields = {}
    with pytest.raises(AssertionError, match='the height and width'):
        p.set_data(dict(bad=np.zeros((20, 41))))


def test_pixel_data_numpy_2d_and_new():
    with pytest.warns(UserWarning):
        p = PixelData(seg=np.zeros((5, 6)))
    assert p.seg.shape == (1, 5, 6) and p.shape == (5, 6)
    c = p.clone()  # already 3-D: no warning
    assert type(c) is PixelData and c.seg.shape == (1, 5, 6)


# STR-47
def test_pixel_data_slicing():
    p = make_pixel_data()
    assert p[10, 20].shape == (1, 1)
    assert p[10:20, 20:40].shape == (10, 20)
    assert p[10:15, 20:30].shape == (5, 10)
    r = p[10, 20:30]
    assert r.shape == (1, 10) and type(r) is PixelData
    assert r.metainfo == p.metainfo
    assert r.image.shape == (4, 1, 10) and isinstance(r.image, np.ndarray)
    assert torch.equal(r.featmap, p.featmap[:, 10:11, 20:30])
    assert p[-1, -1].shape == (1, 1)
    with pytest.raises(TypeError, match="Unsupported type <class 'int'> for slicing PixelData"):
        p[1]
    with pytest.raises(TypeError, match='Unsupported type'):
        p[torch.Tensor([1, 2])]
    with pytest.raises(TypeError, match="must be int or slice, but got <class 'float'>"):
        p[5.5, 5]
    with pytest.raises(AssertionError, match='Only support slice height and width'):
        p[1, 2, 3]


# STR-48, STR-49, STR-50
def test_label_data():
    assert issubclass(LabelData, BaseDataElement)
    d = LabelData(metainfo=dict(num_classes=10), label=torch.tensor([1]), anything='ok')
    assert d.keys() == ['label', 'anything']
    onehot = LabelData.label_to_onehot(torch.tensor([1]), 10)
    assert onehot.tolist() == [0, 1, 0, 0, 0, 0, 0, 0, 0, 0]
    assert onehot.dtype == torch.int64
    assert LabelData.onehot_to_label(onehot).tolist() == [1]
    with pytest.raises(AssertionError):
        LabelData.label_to_onehot(torch.tensor([11]), 10)
    with pytest.raises(AssertionError):
        LabelData.label_to_onehot(torch.tensor([10]), 10)
    with pytest.raises(AssertionError):
        LabelData.label_to_onehot('item', 10)
    with pytest.raises(AssertionError):
        LabelData.onehot_to_label([0, 1])
    with pytest.raises(ValueError, match='input is not one-hot and can not convert to label'):
        LabelData.onehot_to_label(torch.tensor([2]))
    with pytest.raises(ValueError, match='input is not one-hot'):
        LabelData.onehot_to_label(torch.tensor([-1, 1]))
    with pytest.raises(ValueError, match='input is not one-hot'):
        LabelData.onehot_to_label(torch.zeros(2, 2))
    empty = LabelData.label_to_onehot(torch.tensor([], dtype=torch.int64), 10)
    assert empty.tolist() == [0] * 10
    labels = torch.arange(0, 9)
    back = LabelData.onehot_to_label(LabelData.label_to_onehot(labels, 10))
    assert torch.equal(back, labels) and back.device == labels.device
    assert LabelData.onehot_to_label(torch.tensor([1, 0, 1])).tolist() == [0, 2]


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a CUDA device')
def test_label_data_cuda_roundtrip():
    labels = torch.arange(0, 9).cuda()
    onehot = LabelData.label_to_onehot(labels, 10)
    assert onehot.is_cuda
    assert torch.equal(LabelData.onehot_to_label(onehot), labels)


def test_package_exports():
    import engine.structures as structures

    assert structures.__version__ == '0.1.0'
    assert sorted(structures.__all__) == ['BaseDataElement', 'InstanceData', 'LabelData',
                                          'PixelData']
    for name in structures.__all__:
        assert getattr(structures, name).__module__.startswith('engine.structures.')
