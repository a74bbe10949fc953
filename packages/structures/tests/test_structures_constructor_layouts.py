"""The constructors remember checked call shapes (FieldLayout); reuse must never change results.

Each case builds elements whose names were seen before (so the remembered layout is
used) and checks the result against the general path or the expected error.
"""

import gc

import pytest
import torch

from engine.structures import BaseDataElement, InstanceData
from engine.structures import base_data_element as bde
from engine.structures import instance_data as idm

CLASSES = [BaseDataElement, InstanceData]
LAYOUTS = {BaseDataElement: bde._LAYOUTS, InstanceData: idm._LAYOUTS}


def build(cls, metainfo, n=2):
    return cls(metainfo=metainfo, a=torch.zeros(n), b=torch.ones(n))


@pytest.mark.parametrize('cls', CLASSES)
def test_reused_metainfo_dict_mutated_to_mutable_values_is_copied(cls):
    meta = dict(img_id=1, img_shape=(4, 5))
    first = build(cls, meta)
    build(cls, meta)  # same objects again: the identity shortcut applies
    meta['img_shape'] = [4, 5]  # same dict, now a mutable value
    second = build(cls, meta)
    meta['img_shape'].append(6)
    assert second.img_shape == [4, 5] and first.img_shape == (4, 5)
    assert second._metainfo_fields == dict(img_id=True, img_shape=False)


@pytest.mark.parametrize('cls', CLASSES)
def test_tuple_holding_a_list_is_deep_copied_after_plain_calls(cls):
    build(cls, dict(img_id=1, pad=(1, 2)))
    inner = [3]
    meta = dict(img_id=1, pad=(1, inner))
    elem = build(cls, meta)
    inner.append(4)
    assert elem.pad == (1, [3]) and elem._metainfo_fields['pad'] is False


@pytest.mark.parametrize('cls', CLASSES)
def test_new_objects_at_reused_addresses_are_checked_again(cls):
    # Fresh tuples each round; once released, a later object may get the same id.
    # The layout holds the values it last accepted, so ids cannot be recycled under it.
    for round_ in range(20):
        build(cls, dict(img_id=1, shape=tuple(range(round_, round_ + 3))))
        gc.collect()
        inner = [round_]
        elem = build(cls, dict(img_id=1, shape=(round_, inner, 0)))
        inner.append(-1)
        assert elem.shape == (round_, [round_], 0)


@pytest.mark.parametrize('cls', CLASSES)
def test_same_names_in_another_order_keep_their_own_order(cls):
    a = cls(metainfo=dict(x=1, y=2), p=torch.zeros(1), q=torch.zeros(1))
    b = cls(metainfo=dict(y=2, x=1), q=torch.zeros(1), p=torch.zeros(1))
    assert a.metainfo_keys() == ['x', 'y'] and b.metainfo_keys() == ['y', 'x']
    assert a.keys() == ['p', 'q'] and b.keys() == ['q', 'p']
    assert list(vars(b)) == ['_metainfo_fields', '_data_fields', 'y', 'x', 'q', 'p']


@pytest.mark.parametrize('cls', CLASSES)
def test_refused_shapes_keep_raising(cls):
    for _ in range(2):  # the second call finds the shape remembered as "general path"
        with pytest.raises(AttributeError, match='img_id is already a metainfo field'):
            cls(metainfo=dict(img_id=1), img_id=torch.zeros(1))
        with pytest.raises(TypeError, match='metainfo keys must be str'):
            cls(metainfo={1: 'x'}, a=torch.zeros(1))


@pytest.mark.parametrize('cls', CLASSES)
def test_metainfo_key_that_is_a_str_subclass(cls):
    class Name(str):
        pass

    plain = cls(metainfo={'img_id': 1}, a=torch.zeros(1))
    derived = cls(metainfo={Name('img_id'): 1}, a=torch.zeros(1))
    assert derived.metainfo == plain.metainfo == {'img_id': 1} and derived.img_id == 1


def test_subclass_property_with_a_remembered_name_still_runs_its_setter():
    InstanceData(gt=torch.zeros(2))  # remembers the plain shape for InstanceData

    class Sample(InstanceData):
        @property
        def gt(self):
            return self._gt

        @gt.setter
        def gt(self, value):
            self.set_field(value, '_gt', dtype=torch.Tensor)

    s = Sample(gt=torch.zeros(2))
    assert '_gt' in vars(s) and s.keys() == ['gt']
    with pytest.raises(AssertionError, match='should be a'):
        Sample(gt=[1, 2])


def test_instance_lengths_are_checked_on_every_call():
    build(InstanceData, None, n=2)
    with pytest.raises(AssertionError, match='length of values 3 is not consistent .* 2 '):
        InstanceData(a=torch.zeros(2), b=torch.zeros(3))
    # a 0-d first field: the C-level length is 0, but len() raises, as on the general path
    with pytest.raises(TypeError, match='0-d'):
        InstanceData(a=torch.tensor(1.0), b=torch.zeros(3))
    assert len(InstanceData(a=torch.zeros(0), b=torch.zeros(3))) == 0
    with pytest.raises(AssertionError, match='_len__'):
        InstanceData(a=torch.zeros(2), b=5)


@pytest.mark.parametrize('cls', CLASSES)
def test_layout_memory_is_bounded(cls, monkeypatch):
    monkeypatch.setattr(bde, '_MAX_LAYOUTS', 8)
    for i in range(20):
        elem = cls(metainfo={f'm{i}': i}, **{f'd{i}': torch.zeros(1)})
        assert elem.metainfo_keys() == [f'm{i}'] and elem.keys() == [f'd{i}']
        assert len(LAYOUTS[cls]) <= 8


def _pair(cls):
    """Two elements of one call shape: they start out sharing its registries."""
    meta = dict(img_id=1, img_shape=(4, 5))
    return build(cls, meta), build(cls, meta)


CHANGES = {
    'setattr a new field': lambda e: setattr(e, 'c', torch.zeros(2)),
    'set_field (data)': lambda e: e.set_field(torch.zeros(2), 'c'),
    'set_field (metainfo)': lambda e: e.set_field(7, 'scale', field_type='metainfo'),
    'set_data': lambda e: e.set_data(dict(c=torch.zeros(2))),
    'set_metainfo': lambda e: e.set_metainfo(dict(scale=7)),
    'delattr': lambda e: delattr(e, 'a'),
    'pop': lambda e: e.pop('a'),
    'del item': lambda e: e.__delitem__('b'),
    'update': lambda e: e.update(BaseDataElement(metainfo=dict(scale=7), c=torch.zeros(2))),
}


@pytest.mark.parametrize('change', CHANGES)
@pytest.mark.parametrize('cls', CLASSES)
def test_changing_one_element_of_a_call_shape_leaves_the_others_alone(cls, change):
    first, second = _pair(cls)
    CHANGES[change](first)
    assert second.keys() == ['a', 'b']
    assert second.metainfo_keys() == ['img_id', 'img_shape']
    third = build(cls, dict(img_id=1, img_shape=(4, 5)))  # and later elements too
    assert third.keys() == ['a', 'b'] and third.metainfo_keys() == ['img_id', 'img_shape']
    assert set(first.all_keys()) != set(third.all_keys())


def test_results_of_indexing_and_cat_have_registries_of_their_own():
    first, second = _pair(InstanceData)
    picked = first[torch.tensor([True, False])]
    joined = InstanceData.cat([first, second])
    for result in (picked, joined, first.clone(), first.new()):
        result.extra = torch.zeros(len(result))
        result.set_metainfo(dict(scale=7))
        assert 'extra' not in first and 'scale' not in first
        assert second.keys() == ['a', 'b'] and 'scale' not in second


@pytest.mark.parametrize('cls', CLASSES)
def test_a_shared_metainfo_registry_refuses_direct_writes(cls):
    first, second = _pair(cls)
    assert first._metainfo_fields is second._metainfo_fields  # built without a copy
    for write in (lambda f: f.pop('img_id'), lambda f: f.__setitem__('x', True),
                  lambda f: f.update(x=True), lambda f: f.clear()):
        with pytest.raises(TypeError, match='shared field registry is read-only'):
            write(first._metainfo_fields)
    assert second.metainfo_keys() == ['img_id', 'img_shape']
    # data registries are each element's own from the start (fields are added one by one)
    assert first._data_fields is not second._data_fields


@pytest.mark.parametrize('cls', CLASSES)
def test_copies_and_unpickled_elements_own_plain_registries(cls):
    import copy
    import pickle

    first, second = _pair(cls)
    for other in (copy.deepcopy(first), pickle.loads(pickle.dumps(first))):
        assert type(other._data_fields) is dict and type(other._metainfo_fields) is dict
        other.c = torch.zeros(2)
        assert other.keys() == ['a', 'b', 'c'] and second.keys() == ['a', 'b']
        assert other.metainfo == first.metainfo
