"""The constructors' common-case shortcut must behave exactly like the general path.

Each case builds the same element through the constructor and through
``set_metainfo``/``set_data`` (the general path) and compares the results or errors.
"""

import numpy as np
import pytest
import torch

from engine.structures import BaseDataElement, InstanceData, PixelData

META = dict(img_id=3, img_shape=(800, 1196, 3), scale_factor=(1.5, 1.5), name='a.jpg')


def general(cls, metainfo=None, **data):
    elem = cls()
    if metainfo is not None:
        elem.set_metainfo(metainfo)
    if data:
        elem.set_data(data)
    return elem


def same(a, b):
    assert type(a) is type(b)
    assert a.metainfo_keys() == b.metainfo_keys() and a.keys() == b.keys()
    assert a._metainfo_fields == b._metainfo_fields
    assert a._data_fields == b._data_fields
    assert list(vars(a)) == list(vars(b))
    for (ka, va), (kb, vb) in zip(a.all_items(), b.all_items()):
        assert ka == kb
        if isinstance(va, (torch.Tensor, np.ndarray)):
            assert va is vb
        else:
            assert va == vb


@pytest.mark.parametrize('cls', [BaseDataElement, InstanceData])
def test_constructor_matches_general_path(cls):
    data = dict(bboxes=torch.rand(4, 4), scores=torch.rand(4), labels=torch.arange(4))
    same(cls(metainfo=META, **data), general(cls, META, **data))
    same(cls(**data), general(cls, **data))
    same(cls(metainfo=META), general(cls, META))
    same(cls(metainfo={}), general(cls, {}))
    same(cls(), general(cls))


@pytest.mark.parametrize('cls', [BaseDataElement, InstanceData])
def test_constructor_deep_copies_mutable_metainfo(cls):
    meta = dict(img_id=1, pad=[1, 2], shape=(2, [3]), arr=np.zeros(2))
    elem = cls(metainfo=meta)
    meta['pad'].append(3)
    meta['shape'][1].append(4)
    meta['arr'][0] = 7
    assert elem.pad == [1, 2] and elem.shape == (2, [3]) and elem.arr[0] == 0
    # immutable metainfo needs no copy and is flagged as such (used by indexing)
    assert cls(metainfo=META)._metainfo_fields == dict.fromkeys(META, True)
    assert cls(metainfo=meta)._metainfo_fields == dict(
        img_id=True, pad=False, shape=False, arr=False
    )


@pytest.mark.parametrize('cls', [BaseDataElement, InstanceData])
def test_constructor_name_in_metainfo_and_data_raises(cls):
    with pytest.raises(AttributeError, match='img_id is already a metainfo field'):
        cls(metainfo=dict(img_id=1), img_id=torch.zeros(1))


@pytest.mark.parametrize('cls', [BaseDataElement, InstanceData])
def test_constructor_rejects_bad_metainfo(cls):
    with pytest.raises(AssertionError, match='metainfo should be a ``dict``'):
        cls(metainfo=[('img_id', 1)])
    with pytest.raises(TypeError):
        cls(metainfo={1: 'x'})
    with pytest.raises(AttributeError, match='private attribute'):
        cls(metainfo=dict(_data_fields=1))


@pytest.mark.parametrize('cls', [BaseDataElement, InstanceData])
def test_constructor_private_names_as_data_raise(cls):
    with pytest.raises(AttributeError, match='private attribute'):
        cls(_metainfo_fields=[1])


def test_instance_constructor_checks_lengths():
    with pytest.raises(AssertionError, match='length of values 3 is not consistent .* 2 '):
        InstanceData(metainfo=META, a=torch.zeros(2), b=torch.zeros(3))
    with pytest.raises(AssertionError, match='length of values 3 is not consistent .* 2 '):
        InstanceData(a=torch.zeros(2), b=[1, 2, 3])
    with pytest.raises(AssertionError, match='_len__'):
        InstanceData(a=torch.zeros(2), b=5)
    # (ref) a 0-d tensor is Sized by type, so it is accepted as the first field
    scalar = torch.tensor(1.0)
    same(InstanceData(a=scalar), general(InstanceData, a=scalar))
    # (ref) quirk: while the first field is empty, any length is accepted
    inst = InstanceData(a=torch.zeros(0), b=torch.zeros(3))
    assert len(inst) == 0 and inst.b.shape == (3,)
    # mixed value types take the general path with the same result
    mixed = dict(a=torch.zeros(2), b=np.zeros(2), c=['x', 'y'], d='xy', e=(1, 2))
    same(InstanceData(metainfo=META, **mixed), general(InstanceData, META, **mixed))


def test_constructor_honours_subclass_overrides():
    calls = []

    class Logged(InstanceData):
        def set_data(self, data):
            calls.append(sorted(data))
            super().set_data(data)

        def set_metainfo(self, metainfo):
            calls.append('meta')
            super().set_metainfo(metainfo)

    Logged(metainfo=META, a=torch.zeros(1))
    assert calls == ['meta', ['a']]

    class Checked(BaseDataElement):
        def __setattr__(self, name, value):
            if not name.startswith('_'):
                assert isinstance(value, torch.Tensor), f'{name} must be a tensor'
            super().__setattr__(name, value)

    with pytest.raises(AssertionError, match='x must be a tensor'):
        Checked(x=1)


def test_constructor_routes_property_fields_through_setters():
    class Sample(BaseDataElement):
        @property
        def gt(self):
            return self._gt

        @gt.setter
        def gt(self, value):
            self.set_field(value, '_gt', dtype=InstanceData)

        @gt.deleter
        def gt(self):
            del self._gt

    inst = InstanceData(a=torch.zeros(1))
    s = Sample(metainfo=META, gt=inst)
    assert s.gt is inst and s.keys() == ['gt'] and 'gt' in s
    with pytest.raises(AssertionError, match='should be a'):
        Sample(gt=torch.zeros(1))


def test_subclass_fields_set_before_super_init_are_kept():
    class Early(InstanceData):
        def __init__(self, **kwargs):
            object.__setattr__(self, 'cache', 'kept')
            super().__init__(**kwargs)

    e = Early(metainfo=META, a=torch.zeros(2))
    assert e.cache == 'kept' and len(e) == 2 and e.img_id == 3


def test_pixel_data_constructor_still_checks():
    with pytest.raises(AssertionError, match='only support'):
        PixelData(v='value')
    with pytest.warns(UserWarning):
        assert PixelData(metainfo=META, m=torch.zeros(4, 5)).m.shape == (1, 4, 5)
