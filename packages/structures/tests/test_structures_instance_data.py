"""InstanceData: STR-30 to STR-42."""

import itertools

import numpy as np
import pytest
import torch

from engine.structures import BaseDataElement, InstanceData

META = dict(img_shape=(800, 1196, 3), pad_shape=(800, 1216, 3))


class TmpObject:
    """Custom structure following the protocol of STR-42."""

    def __init__(self, tmp):
        assert isinstance(tmp, list)
        self.tmp = tmp

    def __len__(self):
        return len(self.tmp)

    def __getitem__(self, item):
        if isinstance(item, int):
            if item >= len(self) or item < -len(self):
                raise IndexError(f'Index {item} out of range!')
            item = slice(item, None, len(self))
        return TmpObject(self.tmp[item])

    @staticmethod
    def cat(tmp_objs):
        assert all(isinstance(r, TmpObject) for r in tmp_objs)
        if len(tmp_objs) == 1:
            return tmp_objs[0]
        return TmpObject(list(itertools.chain(*[r.tmp for r in tmp_objs])))

    def __repr__(self):
        return str(self.tmp)


class NoCat:
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, item):
        return self


def make_instances():
    d = InstanceData(metainfo=META)
    d['det_labels'] = torch.LongTensor([2, 3])
    d['det_scores'] = torch.Tensor([0.8, 0.7])
    d.bboxes = torch.rand(2, 4)
    return d


# STR-30, STR-31, STR-32, STR-33, STR-34
def test_length_check_and_dict_like_access():
    d = make_instances()
    assert len(d) == 2
    assert d['det_scores'] is d.det_scores
    assert 'img_shape' in d
    assert d.keys() == ['det_labels', 'det_scores', 'bboxes']
    with pytest.raises(AssertionError) as info:
        d.bboxes = torch.rand(3, 4)
    assert str(info.value) == (
        'the length of values 3 is not consistent with the length of this :obj:`InstanceData` 2 '
    )
    with pytest.raises(AssertionError, match='length of values 3'):
        d['x'] = [1, 2, 3]
    with pytest.raises(AssertionError, match='length of values 1'):
        InstanceData(a=[1, 2], b=np.zeros(1))
    with pytest.raises(AssertionError, match='value must contain `_len__` attribute'):
        d.x = 5
    with pytest.raises(AssertionError, match='value must contain `_len__` attribute'):
        InstanceData(x=5)
    assert 'x' not in d and len(d) == 2
    assert len(InstanceData()) == 0
    # metainfo is not length-checked
    d.set_metainfo(dict(scale=(1.0, 2.0, 3.0)))
    # supported value types
    d.names = ('a', 'b')
    d.chars = 'ab'
    d.arr = np.zeros((2, 3))
    d.poly = TmpObject([[1], [2]])
    assert len(d) == 2
    with pytest.raises(AttributeError, match='already a metainfo field'):
        d.img_shape = [1, 2]


def test_length_quirk_while_empty():
    d = InstanceData(a=[])
    d.b = [1, 2, 3]  # (ref) any length is accepted while len(self) == 0
    assert len(d) == 0
    d = InstanceData()
    d.set_data(dict(a=[1, 2], b=[3, 4]))
    assert len(d) == 2
    with pytest.raises(AssertionError, match='length of values 1'):
        d.set_data(dict(c=[1]))


def test_setting_a_field_compares_with_the_first_field_of_any_type():
    d = InstanceData(names=['a', 'b'])  # a list decides the length, a tensor follows
    d.boxes = torch.zeros(2, 4)
    with pytest.raises(AssertionError, match='length of values 3 .* 2 '):
        d.scores = torch.zeros(3)
    with pytest.raises(TypeError, match='0-d'):  # len() of a 0-d tensor raises
        d.score = torch.tensor(0.5)
    d = InstanceData(boxes=torch.zeros(0, 4))  # empty first field: any length (ref)
    d.labels = torch.zeros(3)
    scalar_first = InstanceData(a=torch.tensor(1.0))  # accepted as first field (ref)
    with pytest.raises(TypeError, match='0-d'):
        scalar_first.b = torch.zeros(2)
    assert sorted(d.keys()) == ['boxes', 'labels'] and scalar_first.keys() == ['a']


# STR-35, STR-36, STR-40
def test_int_and_slice_index():
    d = make_instances()
    one = d[1]
    assert type(one) is InstanceData and len(one) == 1
    assert one.det_labels.tolist() == [3]
    assert one.bboxes.shape == (1, 4)
    neg = d[-1]
    assert neg.det_labels.tolist() == [3] and torch.equal(neg.bboxes, one.bboxes)
    assert d[np.int64(0)].det_labels.tolist() == [2]
    first = d[0:1]
    assert len(first) == 1 and first.det_scores.tolist() == pytest.approx([0.8])
    for r in (one, neg, first):
        assert r.metainfo == d.metainfo
    with pytest.raises(IndexError, match='Index 2 out of range!'):
        d[2]
    with pytest.raises(IndexError, match='Index -3 out of range!'):
        d[-3]
    with pytest.raises(IndexError, match='Index 1 out of range!'):
        InstanceData()[1]
    # metainfo of a result is a copy
    d.set_metainfo(dict(pads=[1, 2]))
    r = d[0]
    r.pads.append(3)
    assert d.pads == [1, 2]


class MyInstances(InstanceData):
    pass


def test_result_keeps_subclass():
    d = MyInstances(metainfo=dict(a=1), x=torch.arange(3), y=[1, 2, 3])
    for r in (d[0], d[0:2], d[torch.tensor([True, False, True])], d[[2, 0]],
              InstanceData.cat([d, d])):
        assert type(r) is MyInstances and r.metainfo == dict(a=1)
        assert r.keys() == ['x', 'y']


# STR-37, STR-38
def test_tensor_index():
    d = make_instances()
    by_order = d[d.det_scores.sort().indices]
    assert by_order.det_labels.tolist() == [3, 2]
    assert by_order.det_scores.tolist() == pytest.approx([0.7, 0.8])
    high = d[d.det_scores > 0.75]
    assert high.det_labels.tolist() == [2] and high.bboxes.shape == (1, 4)
    assert d[torch.tensor([-1])].det_labels.tolist() == [3]
    with pytest.raises(AssertionError):
        d[torch.Tensor([0, 1])]  # float
    with pytest.raises(AssertionError):
        d[torch.tensor([0, 1], dtype=torch.int32)]
    with pytest.raises(AssertionError, match='does not match'):
        d[torch.tensor([True, False, True])]
    with pytest.raises(AssertionError, match='Only support to get the values along the first '
                       'dimension.'):
        d[torch.tensor([[0], [1]])]
    with pytest.raises(AssertionError):
        d[1.5]


# STR-39
def test_empty_selection_keeps_shapes():
    d = make_instances()
    d.names = ['a', 'b']
    d.chars = 'ab'
    d.ids = (1, 2)
    d.arr = np.zeros((2, 3))
    d.poly = TmpObject([[1, 2, 3, 4], [5, 6, 7, 8]])
    r = d[d.det_scores > 1]
    assert len(r) == 0 and r.metainfo == d.metainfo
    assert repr(r.det_labels) == 'tensor([], dtype=torch.int64)'
    assert repr(r.det_scores) == 'tensor([])'
    assert repr(r.bboxes) == 'tensor([], size=(0, 4))'
    assert r.names == [] and r.chars == '' and r.ids == ()
    assert r.arr.shape == (0, 3)
    assert isinstance(r.poly, TmpObject) and r.poly.tmp == []


# STR-37, STR-38
def test_mixed_value_types():
    x = InstanceData(
        kps=[[1, 1], [2, 2], [3, 3], [4, 4], [5, 5]],
        ids=(1, 2, 3, 4, 5),
        name_ids='12345',
        labels=np.random.rand(5),
        bboxes=torch.rand(5, 4),
    )
    r = x[[0, 2]]
    assert r.ids == (1, 3) and r.name_ids == '13'
    assert r.kps == [[1, 1], [3, 3]]
    assert isinstance(r.labels, np.ndarray) and len(r.labels) == 2
    assert np.array_equal(r.labels, x.labels[[0, 2]])
    assert torch.equal(r.bboxes, x.bboxes[[0, 2]])
    assert len(x[[True, False, True, False, False]]) == 2
    assert x[[True, False, True, False, False]].name_ids == '13'
    assert len(x[np.array([1, 2])]) == 2
    assert x[np.array([1, 2], dtype=np.int32)].ids == (2, 3)
    assert x[np.array([False, True, False, False, True])].ids == (2, 5)
    assert x[torch.tensor([4, 0])].kps == [[5, 5], [1, 1]]
    x.bad = NoCat(5)
    with pytest.raises(ValueError, match='which has no attribute of `cat`, so it does not '
                       'support slice with `bool`'):
        x[torch.tensor([True, False, True, False, False])]


def test_custom_structure_index():
    d = make_instances()
    d.polygons = TmpObject([[1, 2, 3, 4], [5, 6, 7, 8]])
    r = d[d.det_scores > 0.75]
    assert isinstance(r.polygons, TmpObject) and r.polygons.tmp == [[1, 2, 3, 4]]
    assert r[0].polygons.tmp == [[1, 2, 3, 4]]
    assert d[torch.tensor([1, 0])].polygons.tmp == [[5, 6, 7, 8], [1, 2, 3, 4]]
    assert 'polygons: [[1, 2, 3, 4]]' in repr(r)


# STR-41, STR-42
def test_cat():
    d = make_instances()
    c = InstanceData.cat([d, d])
    assert len(c) == 4 and c.det_labels.tolist() == [2, 3, 2, 3]
    assert c.bboxes.shape == (4, 4) and c.metainfo == d.metainfo
    assert InstanceData.cat([d]) is d
    with pytest.raises(AssertionError):
        InstanceData.cat([])
    with pytest.raises(AssertionError):
        InstanceData.cat([d, BaseDataElement(det_labels=torch.LongTensor([1]))])
    other = make_instances()
    other.extra = [1, 2]
    with pytest.raises(AssertionError, match='There are different keys in `instances_list`'):
        InstanceData.cat([d, other])
    meta_diff = make_instances()
    meta_diff.set_metainfo(dict(flip=True))
    with pytest.raises(AssertionError, match='There are different keys'):
        InstanceData.cat([d, meta_diff])
    d.polygons = TmpObject([[1, 2, 3, 4], [5, 6, 7, 8]])
    d.names = ['a', 'b']
    d.chars = 'ab'
    d.ids = (1, 2)
    d.arr = np.arange(2)
    c = InstanceData.cat([d, d])
    assert c.polygons.tmp == [[1, 2, 3, 4], [5, 6, 7, 8], [1, 2, 3, 4], [5, 6, 7, 8]]
    assert c.names == ['a', 'b', 'a', 'b'] and c.chars == 'abab' and c.ids == (1, 2, 1, 2)
    assert c.arr.tolist() == [0, 1, 0, 1]
    d.bad = NoCat(2)
    with pytest.raises(ValueError, match='which has no attribute of `cat`'):
        InstanceData.cat([d, d])



class Detections(InstanceData):
    """A subclass that builds like InstanceData: cat keeps its class."""


class CountingInstances(InstanceData):
    built = 0

    def __init__(self, **kwargs):
        type(self).built += 1
        super().__init__(**kwargs)


def test_cat_of_tensor_fields_is_a_new_independent_element():
    parts = [Detections(metainfo=dict(img_id=i, img_shape=(4, 5)), scores=torch.rand(n),
                        labels=torch.arange(n)) for i, n in enumerate((2, 0, 3))]
    joined = InstanceData.cat(parts)
    assert type(joined) is Detections and len(joined) == 5
    assert joined.keys() == ['scores', 'labels'] and joined.labels.tolist() == [0, 1, 0, 1, 2]
    assert joined.metainfo == dict(img_id=0, img_shape=(4, 5))
    joined.set_metainfo(dict(flip=True))
    joined.extra = torch.zeros(5)
    del joined.scores
    assert all('flip' not in p and 'extra' not in p and 'scores' in p for p in parts)

    # mutable metainfo is copied, not shared with the first part
    listed = [InstanceData(metainfo=dict(pads=[1, 2]), scores=torch.rand(2)) for _ in range(2)]
    joined = InstanceData.cat(listed)
    joined.pads.append(3)
    assert listed[0].pads == [1, 2]

    # a subclass with its own __init__ is built through it
    counted = [CountingInstances(metainfo=META, scores=torch.rand(2)) for _ in range(2)]
    CountingInstances.built = 0
    joined = InstanceData.cat(counted)
    assert type(joined) is CountingInstances and CountingInstances.built == 1
    assert joined.scores.shape == (4,)

class TypedInstances(InstanceData):
    @property
    def masks(self):
        return self._masks

    @masks.setter
    def masks(self, value):
        self.set_field(value, '_masks', dtype=torch.Tensor)

    @masks.deleter
    def masks(self):
        del self._masks


def test_instance_subclass_with_property_fields():
    d = TypedInstances(masks=torch.zeros(3, 2), scores=torch.arange(3))
    assert d.keys() == ['masks', 'scores'] and len(d) == 3
    for r in (d[1], d[d.scores > 0], InstanceData.cat([d, d])):
        assert r.keys() == ['masks', 'scores'] and isinstance(r.masks, torch.Tensor)
    with pytest.raises(AssertionError, match='length of values 2'):
        d.masks = torch.zeros(2, 2)
    with pytest.raises(AssertionError, match='should be a'):
        d.masks = [1, 2, 3]
    assert torch.equal(d.masks, torch.zeros(3, 2))
