"""BaseDataElement: STR-01 to STR-29 and STR-51."""

import copy

import numpy as np
import pytest
import torch

from engine.structures import BaseDataElement, InstanceData


def make_element():
    return BaseDataElement(
        bboxes=torch.rand(5, 4),
        scores=torch.rand(5),
        metainfo=dict(img_id=1, img_shape=(640, 640)),
    )


# STR-01
def test_constructor_keyword_only_and_empty():
    e = BaseDataElement()
    assert e.keys() == [] and e.metainfo_keys() == []
    with pytest.raises(TypeError):
        BaseDataElement(dict(img_id=1))  # type: ignore[misc]
    e = BaseDataElement(metainfo=dict(img_id=1), x=torch.zeros(2))
    assert e.metainfo_keys() == ['img_id'] and e.keys() == ['x']


# STR-02, STR-09, STR-10, STR-11, STR-12, STR-15, STR-27
def test_views_follow_insertion_order():
    e = BaseDataElement()
    e.set_metainfo(dict(img_id=9, img_shape=(100, 100)))
    e.scores = torch.rand(5)
    e.bboxes = torch.rand(5, 4)
    assert e.metainfo_keys() == ['img_id', 'img_shape']
    assert e.metainfo_values() == [9, (100, 100)]
    assert list(e.metainfo_items()) == [('img_id', 9), ('img_shape', (100, 100))]
    assert e.keys() == ['scores', 'bboxes']
    assert e.values()[0] is e.scores and e.values()[1] is e.bboxes
    assert [k for k, _ in e.items()] == ['scores', 'bboxes']
    assert e.all_keys() == ['img_id', 'img_shape', 'scores', 'bboxes']
    assert len(e.all_values()) == 4
    assert [k for k, _ in e.all_items()] == e.all_keys()
    assert e.img_shape == (100, 100)
    assert e.get('fake', 'not exist') == 'not exist'
    assert e.get('img_id') == 9 and e.get('scores') is e.scores
    assert 'img_shape' in e and 'img_shape' not in e.keys()
    assert 'scores' in e and 'fake' not in e
    # fields are ordinary attributes, visible in __dict__
    assert e.__dict__['img_id'] == 9 and e.__dict__['scores'] is e.scores
    assert isinstance(e._metainfo_fields, dict) and isinstance(e._data_fields, dict)


# STR-10
def test_metainfo_property_is_a_fresh_dict():
    e = make_element()
    meta = e.metainfo
    assert meta == dict(img_id=1, img_shape=(640, 640))
    meta['img_id'] = 99
    assert e.img_id == 1


# STR-03, STR-07
def test_attribute_assignment_sets_data_and_conflicts_raise():
    e = BaseDataElement(metainfo=dict(img_shape=(1, 1)), x=torch.zeros(1))
    e.y = 3
    assert 'y' in e.keys()
    with pytest.raises(AttributeError, match='Cannot set img_shape to be a field of data because '
                       'img_shape is already a metainfo field'):
        e.img_shape = (2, 2)
    with pytest.raises(AttributeError, match='Cannot set x to be a field of metainfo because x '
                       'is already a data field'):
        e.set_metainfo(dict(x=1))
    with pytest.raises(AttributeError, match='already a metainfo field'):
        e.set_data(dict(img_shape=1))
    with pytest.raises(AttributeError, match='already a data field'):
        e.set_field(1, 'x', field_type='metainfo')
    assert e.img_shape == (1, 1) and e.x.tolist() == [0.0]


# STR-04
def test_set_metainfo_deep_copies_and_merges():
    meta = dict(img_id=1, pad=[1, 2], nested=dict(a=[1]))
    e = BaseDataElement(metainfo=meta)
    meta['pad'].append(3)
    meta['nested']['a'].append(2)
    assert e.pad == [1, 2] and e.nested == dict(a=[1])
    e.set_metainfo(dict(img_id=2, scale=1.5))
    assert e.metainfo == dict(img_id=2, pad=[1, 2], nested=dict(a=[1]), scale=1.5)
    with pytest.raises(AssertionError, match="metainfo should be a ``dict`` but got <class 'int'>"):
        e.set_metainfo(123)


# STR-05
def test_set_data_goes_through_setattr():
    e = BaseDataElement()
    e.set_data(dict(a=1, b=torch.zeros(2)))
    assert e.keys() == ['a', 'b']
    with pytest.raises(AssertionError):
        e.set_data(123)
    inst = InstanceData(a=[1, 2])
    with pytest.raises(AssertionError, match='length of values 3'):
        inst.set_data(dict(b=[1, 2, 3]))


# STR-06
def test_set_field():
    e = BaseDataElement()
    e.set_field(torch.zeros(2), 'k', dtype=torch.Tensor)
    assert e.keys() == ['k']
    e.set_field((3, 3), 'shape', field_type='metainfo')
    assert e.metainfo_keys() == ['shape']
    value = torch.zeros(1)
    with pytest.raises(AssertionError) as info:
        e.set_field(name='j', value=value, dtype=BaseDataElement)
    assert str(info.value) == (
        f"{value} should be a {BaseDataElement} but got <class 'torch.Tensor'>"
    )
    assert 'j' not in e
    with pytest.raises(AssertionError):
        e.set_field(1, 'z', field_type='other')


# STR-08
def test_private_registries_are_protected():
    e = make_element()
    with pytest.raises(AttributeError, match='has been used as a private attribute, which is '
                       'immutable'):
        e._data_fields = {}
    with pytest.raises(AttributeError, match='private attribute'):
        e._metainfo_fields = 1
    with pytest.raises(AttributeError, match='private attribute'):
        del e._metainfo_fields
    with pytest.raises(AttributeError, match='private attribute'):
        del e._data_fields
    with pytest.raises(AttributeError, match='private attribute'):
        e.set_metainfo(dict(_data_fields=1))
    for cls in (InstanceData,):
        inst = cls(a=[1])
        with pytest.raises(AttributeError, match='private attribute'):
            inst._data_fields = {}


# STR-13, STR-14
def test_delete_and_pop():
    e = make_element()
    del e.bboxes
    assert e.pop('scores', None) is not None
    assert e.keys() == []
    e.set_metainfo(dict(img_shape=(1280, 1280), img_id=10))
    assert e.img_shape == (1280, 1280)
    del e.img_shape
    assert e.pop('img_id') == 10
    assert e.metainfo_keys() == []
    with pytest.raises(KeyError, match='img_id is not contained in metainfo or data'):
        e.pop('img_id')
    assert e.pop('img_id', 'x') == 'x'
    assert e.pop('bboxes', None) is None
    with pytest.raises(AttributeError):
        del e.bboxes
    with pytest.raises(AssertionError):
        e.pop('a', 1, 2)
    assert not hasattr(e, 'img_id') and 'img_id' not in e.__dict__


# STR-16
def test_no_item_access_on_base_class():
    e = make_element()
    with pytest.raises(TypeError):
        e['bboxes']
    with pytest.raises(TypeError):
        e['bboxes'] = torch.zeros(1)
    del e['bboxes']  # __delitem__ is __delattr__
    assert 'bboxes' not in e


# STR-17
def test_new():
    e = make_element()
    e1 = e.new(metainfo=dict(img_id=2, img_shape=(320, 320)))
    assert 'bboxes' in e1 and e1.bboxes is e.bboxes
    assert (e1.bboxes == e.bboxes).all()
    assert e1.img_id == 2 and e.img_id == 1
    e2 = e.new(label=torch.rand(5))
    assert 'bboxes' not in e2 and 'label' in e2
    assert e2.img_id == 1
    assert type(InstanceData(a=[1]).new()) is InstanceData


# STR-18
def test_clone_copies_values_and_containers():
    e = make_element()
    e.nested = BaseDataElement(t=torch.ones(2))
    e.arr = np.zeros(3)
    e.lst = [[1], [2]]
    grad = torch.ones(2, requires_grad=True)
    e.non_leaf = grad * 2  # deepcopy would fail on this
    c = e.clone()
    assert type(c) is BaseDataElement
    assert c.metainfo == e.metainfo and c.all_keys() == e.all_keys()
    assert torch.equal(c.bboxes, e.bboxes) and c.bboxes is not e.bboxes
    assert c.arr is not e.arr and c.lst == e.lst and c.lst is not e.lst
    assert c.nested is not e.nested and torch.equal(c.nested.t, e.nested.t)
    c.bboxes[0, 0] = 7.0
    assert e.bboxes[0, 0] != 7.0
    c.extra = 1
    del c.scores
    assert 'extra' not in e and 'scores' in e
    assert type(InstanceData(a=[1]).clone()) is InstanceData


# STR-19
def test_update():
    e = make_element()
    other = BaseDataElement(metainfo=dict(img_id=5, flip=True), scores=torch.zeros(5), z=1)
    e.update(other)
    assert e.img_id == 5 and e.flip is True and e.z == 1
    assert torch.equal(e.scores, torch.zeros(5))
    with pytest.raises(AssertionError):
        e.update(dict(a=1))
    with pytest.raises(AttributeError):
        e.update(BaseDataElement(metainfo=dict(bboxes=1)))


# STR-20 to STR-24
def test_tensor_like_conversions():
    e = BaseDataElement(bboxes=torch.rand(6, 4, requires_grad=True), text='t', n=3,
                        metainfo=dict(img_id=0))
    e.nested = BaseDataElement(t=torch.ones(2, requires_grad=True), arr=np.ones(2))
    half = e.to(dtype=torch.float16)
    assert half.bboxes.dtype == torch.float16 and e.bboxes.dtype == torch.float32
    assert half.nested.t.dtype == torch.float16
    assert half.text == 't' and half.img_id == 0
    assert e.to('cpu').bboxes.device == torch.device('cpu')
    det = e.detach()
    assert det.bboxes.requires_grad is False and det.nested.t.requires_grad is False
    assert e.bboxes.requires_grad is True
    as_np = det.numpy()
    assert isinstance(as_np.bboxes, np.ndarray) and isinstance(as_np.nested.t, np.ndarray)
    assert isinstance(e.numpy().bboxes, np.ndarray)  # detaches itself
    back = as_np.to_tensor()
    assert isinstance(back.bboxes, torch.Tensor) and isinstance(back.nested.arr, torch.Tensor)
    assert e.cpu().bboxes.device == torch.device('cpu')
    assert e.cpu().nested.t.device == torch.device('cpu')
    lst = BaseDataElement(v=[1.0, 2.0]).numpy()
    assert lst.v == [1.0, 2.0]  # lists are not converted
    assert isinstance(e.bboxes, torch.Tensor) and e.keys() == ['bboxes', 'text', 'n', 'nested']


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a CUDA device')
def test_cuda():
    e = BaseDataElement(bboxes=torch.rand(2, 4), nested=BaseDataElement(t=torch.ones(1)))
    g = e.cuda()
    assert str(g.bboxes.device) == 'cuda:0' and g.nested.t.is_cuda
    assert g.to('cpu').bboxes.device == torch.device('cpu')
    assert e.to('cuda:0').bboxes.is_cuda
    inst = InstanceData(b=torch.rand(4, 2), l=[1, 2, 3, 4]).cuda()
    sub = inst[inst.b[:, 0] > -1]
    assert len(sub) == 4 and sub.b.is_cuda


@pytest.mark.skipif(not hasattr(torch, 'npu'), reason='needs torch_npu and an Ascend device')
def test_npu():
    e = BaseDataElement(bboxes=torch.rand(2, 4))
    assert 'npu' in str(e.npu().bboxes.device)


# STR-25
def test_to_dict():
    e = BaseDataElement(metainfo=dict(img_id=1), x=1,
                        inner=BaseDataElement(metainfo=dict(s=2), y=3))
    assert e.to_dict() == dict(img_id=1, x=1, inner=dict(s=2, y=3))


# STR-26
def test_repr_nested_exact():
    sample = BaseDataElement(
        metainfo=dict(img_shape=(800, 1196, 3)),
        gt_instances=BaseDataElement(metainfo=dict(img_shape=(800, 1196, 3)),
                                     det_labels=torch.LongTensor([0, 1, 2, 3])),
    )
    expected = (
        '<BaseDataElement(\n\n    META INFORMATION\n    img_shape: (800, 1196, 3)\n\n'
        '    DATA FIELDS\n'
        '    gt_instances: <BaseDataElement(\n        \n            META INFORMATION\n'
        '            img_shape: (800, 1196, 3)\n        \n            DATA FIELDS\n'
        '            det_labels: tensor([0, 1, 2, 3])\n        ) at A2>\n) at A1>'
    )
    expected = expected.replace('A1', hex(id(sample))).replace('A2', hex(id(sample.gt_instances)))
    assert repr(sample) == expected
    assert str(sample) == expected


def test_repr_empty_multiline_tensor_and_dict():
    e = BaseDataElement()
    assert repr(e) == (
        f'<BaseDataElement(\n\n    META INFORMATION\n\n    DATA FIELDS\n) at {hex(id(e))}>'
    )
    e = BaseDataElement(b=torch.zeros(2, 2), d=dict(a=1, c='x'))
    assert repr(e) == (
        '<BaseDataElement(\n\n    META INFORMATION\n\n    DATA FIELDS\n'
        '    b: tensor([[0., 0.],\n                [0., 0.]])\n'
        "    d: \n        a: 1\n        c: 'x'\n"
        f') at {hex(id(e))}>'
    )


class DetDataSample(BaseDataElement):
    @property
    def proposals(self):
        return self._proposals

    @proposals.setter
    def proposals(self, value):
        self.set_field(value, '_proposals', dtype=InstanceData)

    @proposals.deleter
    def proposals(self):
        del self._proposals


# STR-28, STR-29
def test_data_sample_typed_property():
    s = DetDataSample(metainfo=dict(img_id=1))
    proposals = InstanceData(bboxes=torch.rand(5, 4))
    s.proposals = proposals
    assert 'proposals' in s and s.proposals is proposals
    assert s.keys() == ['proposals']
    assert s.values() == [proposals]
    assert s.all_keys() == ['img_id', 'proposals']
    text = repr(s)
    assert '    proposals: <InstanceData(' in text and '_proposals' not in text
    assert s.to_dict()['proposals'] == proposals.to_dict()
    # new/clone go through the property setter and keep the type constraint
    c = s.clone()
    assert c.keys() == ['proposals'] and isinstance(c.proposals, InstanceData)
    assert c.proposals is not proposals
    assert s.new().proposals is proposals
    del s.proposals
    assert 'proposals' not in s and '_proposals' not in s and s.keys() == []
    bad = torch.rand(5, 4)
    with pytest.raises(AssertionError) as info:
        s.proposals = bad
    assert str(info.value) == (
        f"{bad} should be a <class 'engine.structures.instance_data.InstanceData'> "
        "but got <class 'torch.Tensor'>"
    )
    # (rec) a failed type check leaves nothing behind
    assert 'proposals' not in s and s.keys() == [] and s._data_fields == {}
    with pytest.raises(AssertionError, match='should be a'):
        DetDataSample(proposals=bad)
    s2 = DetDataSample(proposals=proposals)
    assert s2.pop('proposals') is proposals and 'proposals' not in s2


# STR-51
def test_meta_info_alias_is_deprecated():
    with pytest.warns(DeprecationWarning, match='meta_info'):
        e = InstanceData(meta_info=dict(img_id=3), x=[1])
    assert e.metainfo_keys() == ['img_id'] and e.keys() == ['x']


def test_copy_and_pickle_roundtrip():
    import pickle

    e = make_element()
    for c in (copy.deepcopy(e), pickle.loads(pickle.dumps(e))):
        assert c.all_keys() == e.all_keys() and torch.equal(c.bboxes, e.bboxes)
        c.new_field = 1
        assert 'new_field' not in e
