"""Seed §14.1.6 / §14.2 snippets run as written (``mmengine`` -> ``engine``).

Printed outputs are compared exactly in the layout of spec STR-26 (the seed's
``<X (`` space and scrambled metainfo order are PDF artifacts).
"""

import pytest
import torch

from engine.structures import BaseDataElement, InstanceData

img_meta = dict(img_shape=(800, 1196, 3), pad_shape=(800, 1216, 3))
META_TEXT = (
    '\n\n    META INFORMATION\n    img_shape: (800, 1196, 3)\n    pad_shape: (800, 1216, 3)'
    '\n\n    DATA FIELDS\n'
)


def test_seed_14_1_6_print_base_data_element():
    instance_data = BaseDataElement(metainfo=img_meta)
    instance_data.det_labels = torch.LongTensor([0, 1, 2, 3])
    instance_data.det_scores = torch.Tensor([0.01, 0.1, 0.2, 0.3])
    assert str(instance_data) == (
        '<BaseDataElement(' + META_TEXT + '    det_labels: tensor([0, 1, 2, 3])\n'
        '    det_scores: tensor([0.0100, 0.1000, 0.2000, 0.3000])\n'
        f') at {hex(id(instance_data))}>'
    )
    assert 'det_labels' in vars(instance_data) and 'img_shape' in vars(instance_data)


def seed_instance_data():
    instance_data = InstanceData(metainfo=img_meta)
    instance_data['det_labels'] = torch.LongTensor([2, 3])
    instance_data['det_scores'] = torch.Tensor([0.8, 0.7])
    instance_data.bboxes = torch.Tensor([[0.5, 0.25, 0.75, 1.0], [0.125, 0.5, 0.25, 0.5]])
    return instance_data


def test_seed_14_2_1_length_check_with_meta_info_alias():
    with pytest.warns(DeprecationWarning):
        instance_data = InstanceData(meta_info=img_meta)
    instance_data.det_labels = torch.LongTensor([2, 3])
    instance_data.det_scores = torch.Tensor([0.8, 0.7])
    instance_data.bboxes = torch.rand((2, 4))
    assert len(instance_data) == 2
    assert instance_data.metainfo == img_meta
    with pytest.raises(
        AssertionError,
        match='the length of values 3 is not consistent with the length of this '
        ':obj:`InstanceData` 2',
    ):
        instance_data.bboxes = torch.rand((3, 4))


def test_seed_14_2_2_print_index_slice_and_advanced_index():
    instance_data = seed_instance_data()
    both = (
        '    det_labels: tensor([2, 3])\n    det_scores: tensor([0.8000, 0.7000])\n'
        '    bboxes: tensor([[0.5000, 0.2500, 0.7500, 1.0000],\n'
        '                [0.1250, 0.5000, 0.2500, 0.5000]])\n'  # torch's 8 + 8 (STR-26)
    )
    assert repr(instance_data) == (
        '<InstanceData(' + META_TEXT + both + f') at {hex(id(instance_data))}>'
    )
    second = instance_data[1]
    assert repr(second) == (
        '<InstanceData(' + META_TEXT + '    det_labels: tensor([3])\n'
        '    det_scores: tensor([0.7000])\n'
        '    bboxes: tensor([[0.1250, 0.5000, 0.2500, 0.5000]])\n'
        f') at {hex(id(second))}>'
    )
    first = instance_data[0:1]
    assert first.det_labels.tolist() == [2] and first.bboxes.shape == (1, 4)
    sorted_results = instance_data[instance_data.det_scores.sort().indices]
    assert sorted_results.det_labels.tolist() == [3, 2]
    assert torch.equal(sorted_results.det_scores, torch.Tensor([0.7, 0.8]))
    filter_results = instance_data[instance_data.det_scores > 0.75]
    assert filter_results.det_labels.tolist() == [2]
    empty_results = instance_data[instance_data.det_scores > 1]
    assert repr(empty_results) == (
        '<InstanceData(' + META_TEXT + '    det_labels: tensor([], dtype=torch.int64)\n'
        '    det_scores: tensor([])\n    bboxes: tensor([], size=(0, 4))\n'
        f') at {hex(id(empty_results))}>'
    )
    cat_results = InstanceData.cat([instance_data, instance_data])
    assert len(cat_results) == 4 and cat_results.det_labels.tolist() == [2, 3, 2, 3]
