"""engine.structures: the seed's §14.1.1-14.1.5, §14.2.4-14.2.6 and
§14.3 examples run as written (``mmengine`` -> ``engine``), plus edge cases of
STR-08, STR-31, STR-38 and STR-44 that no other test pins down."""

import random

import numpy as np
import pytest
import torch

from engine.structures import BaseDataElement, InstanceData, LabelData, PixelData

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a CUDA device')


def typed_field(name, dtype):
    """The §14.3.1 property pattern: getter, set_field setter with a type, deleter."""
    private = '_' + name

    def getter(self):
        return getattr(self, private)

    def setter(self, value):
        self.set_field(value, private, dtype=dtype)

    def deleter(self):
        delattr(self, private)

    return property(getter, setter, deleter)


class DetDataSample(BaseDataElement):
    """§14.3.1's DetDataSample, its seven fields (the manual's ``@g_t_...`` typos fixed)."""

    gt_instances = typed_field('gt_instances', InstanceData)
    gt_panoptic_seg = typed_field('gt_panoptic_seg', PixelData)
    gt_sem_seg = typed_field('gt_sem_seg', PixelData)
    pred_instances = typed_field('pred_instances', InstanceData)
    pred_panoptic_seg = typed_field('pred_panoptic_seg', PixelData)
    pred_sem_seg = typed_field('pred_sem_seg', PixelData)
    proposals = typed_field('proposals', InstanceData)


# ------------------------------------------------------------------------- seed §14.1


def test_seed_14_1_1_creation():
    data_element = BaseDataElement()
    assert data_element.all_keys() == []
    bboxes = torch.rand((5, 4))
    scores = torch.rand((5,))
    img_id = 0
    H = 800
    W = 1333
    data_element = BaseDataElement(bboxes=bboxes, scores=scores)
    assert data_element.keys() == ['bboxes', 'scores'] and data_element.metainfo_keys() == []
    data_element = BaseDataElement(
        bboxes=bboxes,
        scores=scores,
        metainfo=dict(img_id=img_id, img_shape=(H, W)))
    assert data_element.metainfo == dict(img_id=0, img_shape=(800, 1333))
    assert data_element.bboxes is bboxes and data_element.scores is scores


def test_seed_14_1_2_new_and_clone():
    data_element = BaseDataElement(
        bboxes=torch.rand((5, 4)),
        scores=torch.rand((5,)),
        metainfo=dict(img_id=1, img_shape=(640, 640)))
    data_element1 = data_element.new(metainfo=dict(img_id=2, img_shape=(320, 320)))
    assert ('bboxes' in data_element1) is True
    assert str((data_element1.bboxes == data_element.bboxes).all()) == 'tensor(True)'
    assert (data_element1.img_id == 2) is True
    data_element2 = data_element.new(label=torch.rand(5,))
    assert ('bboxes' not in data_element2) is True
    assert (data_element2.img_id == data_element.img_id) is True
    assert ('label' in data_element2) is True
    data_element2 = data_element1.clone()
    assert type(data_element2) is BaseDataElement
    assert data_element2.all_keys() == data_element1.all_keys()
    assert torch.equal(data_element2.bboxes, data_element1.bboxes)
    assert data_element2.bboxes is not data_element1.bboxes  # (rec) values copied


def test_seed_14_1_3_add_and_query():
    data_element = BaseDataElement()
    data_element.set_metainfo(dict(img_id=9, img_shape=(100, 100)))
    assert data_element.metainfo_keys() == ['img_id', 'img_shape']
    assert data_element.metainfo_values() == [9, (100, 100)]
    assert [f'{k}: {v}' for k, v in data_element.metainfo_items()] == [
        'img_id: 9', 'img_shape: (100, 100)']
    assert data_element.img_id == 9 and data_element.img_shape == (100, 100)

    data_element.scores = torch.rand((5,))
    data_element.bboxes = torch.rand((5, 4))
    assert data_element.keys() == ['scores', 'bboxes']
    values = data_element.values()
    assert values[0] is data_element.scores and values[1] is data_element.bboxes
    assert [k for k, _ in data_element.items()] == ['scores', 'bboxes']
    assert data_element.get('scores', None) is data_element.scores
    assert data_element.get('bboxes', None) is data_element.bboxes
    assert data_element.get('fake', 'not exist') == 'not exist'

    assert data_element.all_keys() == ['img_id', 'img_shape', 'scores', 'bboxes']
    assert len(data_element.all_values()) == 4
    assert [k for k, _ in data_element.all_items()] == data_element.all_keys()
    # note 2: no dict-style access on the base class
    with pytest.raises(TypeError):
        data_element['scores']
    with pytest.raises(TypeError):
        data_element['scores'] = torch.rand(5)


def test_seed_14_1_4_change_and_delete():
    data_element = BaseDataElement(
        bboxes=torch.rand((6, 4)), scores=torch.rand((6,)),
        metainfo=dict(img_id=0, img_shape=(640, 640))
    )
    assert [k for k, _ in data_element.all_items()] == ['img_id', 'img_shape', 'bboxes',
                                                        'scores']
    bboxes, scores = data_element.bboxes, data_element.scores
    data_element.bboxes = data_element.bboxes * 2
    data_element.scores = data_element.scores * -1
    assert torch.equal(data_element.bboxes, bboxes * 2)
    assert torch.equal(data_element.scores, -scores)
    assert data_element.keys() == ['bboxes', 'scores']  # overwriting keeps the order
    del data_element.bboxes
    assert [k for k, _ in data_element.items()] == ['scores']
    assert torch.equal(data_element.pop('scores', None), -scores)
    assert data_element.keys() == []

    data_element.set_metainfo(dict(img_shape=(1280, 1280), img_id=10))
    assert data_element.img_shape == (1280, 1280)
    assert list(data_element.metainfo_items()) == [('img_id', 10), ('img_shape', (1280, 1280))]
    del data_element.img_shape
    assert list(data_element.metainfo_items()) == [('img_id', 10)]
    assert data_element.pop('img_id') == 10
    assert data_element.metainfo_keys() == []


def test_seed_14_1_5_tensor_like_operations_on_cpu():
    data_element = BaseDataElement(
        bboxes=torch.rand((6, 4)), scores=torch.rand((6,)),
        metainfo=dict(img_id=0, img_shape=(640, 640))
    )
    cpu_element_1 = data_element.cpu()
    assert str(cpu_element_1.bboxes.device) == 'cpu'
    cpu_element_2 = data_element.to('cpu')
    assert str(cpu_element_2.bboxes.device) == 'cpu'
    fp16_instances = cpu_element_1.to(
        device=None, dtype=torch.float16, non_blocking=False, copy=False,
        memory_format=torch.preserve_format)
    assert str(fp16_instances.bboxes.dtype) == 'torch.float16'
    assert fp16_instances.metainfo == data_element.metainfo
    element_3 = BaseDataElement(bboxes=torch.rand(6, 4, requires_grad=True)).detach()
    assert element_3.bboxes.requires_grad is False
    np_instances = cpu_element_1.numpy()
    assert str(type(np_instances.bboxes)) == "<class 'numpy.ndarray'>"
    assert data_element.bboxes.dtype == torch.float32  # the original is left alone


@needs_cuda
def test_seed_14_1_5_tensor_like_operations_on_cuda():
    data_element = BaseDataElement(
        bboxes=torch.rand((6, 4)), scores=torch.rand((6,)),
        metainfo=dict(img_id=0, img_shape=(640, 640))
    )
    cuda_element_1 = data_element.cuda()
    assert str(cuda_element_1.bboxes.device) == 'cuda:0'
    cuda_element_2 = data_element.to('cuda:0')
    assert str(cuda_element_2.bboxes.device) == 'cuda:0'
    assert str(cuda_element_1.cpu().bboxes.device) == 'cpu'
    assert str(cuda_element_2.to('cpu').bboxes.device) == 'cpu'
    assert cuda_element_2.detach().bboxes.requires_grad is False
    assert isinstance(cuda_element_1.numpy().bboxes, np.ndarray)


# ------------------------------------------------------------------------- seed §14.2


def test_seed_14_2_4_pixel_data_checks():
    metainfo = dict(
        img_id=random.randint(0, 100),
        img_shape=(random.randint(400, 600), random.randint(400, 600)))
    image = np.random.randint(0, 255, (4, 20, 40))
    featmap = torch.randint(0, 255, (10, 20, 40))
    pixel_data = PixelData(metainfo=metainfo, image=image, featmap=featmap)
    assert pixel_data.shape == (20, 40)
    with pytest.warns(UserWarning, match='The shape of value will convert'):
        pixel_data.map3 = torch.randint(0, 255, (20, 40))
    assert str(pixel_data.map3.shape) == 'torch.Size([1, 20, 40])'
    with pytest.raises(AssertionError) as info:
        pixel_data.map2 = torch.randint(0, 255, (3, 20, 30))
    assert str(info.value).startswith(
        'the height and width of values (20, 30) is not consistent with the length of this '
        ':obj:`PixelData` (20, 40)')
    with pytest.raises(AssertionError, match='^The dim of value must be 2 or 3, but got 4$'):
        pixel_data.map2 = torch.randint(0, 255, (1, 3, 20, 40))
    assert 'map2' not in pixel_data


def test_seed_14_2_5_pixel_data_spatial_index():
    metainfo = dict(
        img_id=random.randint(0, 100),
        img_shape=(random.randint(400, 600), random.randint(400, 600)))
    image = np.random.randint(0, 255, (4, 20, 40))
    featmap = torch.randint(0, 255, (10, 20, 40))
    pixel_data = PixelData(metainfo=metainfo, image=image, featmap=featmap)
    index_data = pixel_data[10, 20]
    assert index_data.shape == (1, 1)
    assert index_data.image.shape == (4, 1, 1) and index_data.featmap.shape == (10, 1, 1)
    assert index_data.image[:, 0, 0].tolist() == image[:, 10, 20].tolist()
    slice_data = pixel_data[10:20, 20:40]
    assert slice_data.shape == (10, 20)
    assert slice_data.metainfo == metainfo


def test_seed_14_2_6_label_data():
    item = torch.tensor([1], dtype=torch.int64)
    num_classes = 10
    onehot = LabelData.label_to_onehot(label=item, num_classes=num_classes)
    assert f'{num_classes} is convert to  {onehot}' == (
        '10 is convert to  tensor([0, 1, 0, 0, 0, 0, 0, 0, 0, 0])')
    index = LabelData.onehot_to_label(onehot=onehot)
    assert f'{onehot} is convert to {index}' == (
        'tensor([0, 1, 0, 0, 0, 0, 0, 0, 0, 0]) is convert to tensor([1])')


# ------------------------------------------------------------------------- seed §14.3


def test_seed_14_3_det_data_sample_fields_and_type_constraint():
    data_sample = DetDataSample()
    data_sample.proposals = InstanceData(data=dict(bboxes=torch.rand((5, 4))))
    text = str(data_sample)
    assert text.startswith(
        '<DetDataSample(\n\n    META INFORMATION\n\n    DATA FIELDS\n'
        '    proposals: <InstanceData(\n        \n            META INFORMATION\n'
        '        \n            DATA FIELDS\n            data: \n                bboxes: tensor(')
    assert text.endswith(f') at {hex(id(data_sample.proposals))}>\n'
                         f') at {hex(id(data_sample))}>')
    assert '_proposals' not in text

    bad = torch.rand((5, 4))
    with pytest.raises(AssertionError) as info:
        data_sample.proposals = bad
    assert str(info.value) == (
        f"{bad} should be a <class 'engine.structures.instance_data.InstanceData'> "
        "but got <class 'torch.Tensor'>")

    # the other six fields follow the same pattern
    sem_seg = PixelData(sem_seg=torch.zeros(1, 4, 4))
    data_sample.gt_instances = InstanceData(labels=torch.tensor([1, 2]))
    data_sample.pred_instances = InstanceData(labels=torch.tensor([1]))
    data_sample.gt_sem_seg = sem_seg
    data_sample.pred_sem_seg = sem_seg
    data_sample.gt_panoptic_seg = sem_seg
    data_sample.pred_panoptic_seg = sem_seg
    assert data_sample.keys() == ['proposals', 'gt_instances', 'pred_instances', 'gt_sem_seg',
                                  'pred_sem_seg', 'gt_panoptic_seg', 'pred_panoptic_seg']
    with pytest.raises(AssertionError, match="should be a <class 'engine.structures.pixel_data"):
        data_sample.gt_sem_seg = InstanceData(labels=torch.tensor([1]))
    with pytest.raises(AssertionError, match='InstanceData'):
        data_sample.pred_instances = sem_seg
    assert data_sample.gt_sem_seg is sem_seg and len(data_sample.pred_instances) == 1

    # the whole sample moves like a tensor, and its fields keep their types
    moved = data_sample.to('cpu')
    assert type(moved) is DetDataSample and moved.keys() == data_sample.keys()
    assert isinstance(moved.gt_instances, InstanceData)
    assert isinstance(data_sample.numpy().gt_sem_seg.sem_seg, np.ndarray)
    assert data_sample.to_dict()['gt_instances']['labels'].tolist() == [1, 2]
    del data_sample.gt_instances
    assert 'gt_instances' not in data_sample and '_gt_instances' not in data_sample


# --------------------------------------------------------------------------- edge cases


@pytest.mark.parametrize('cls', [InstanceData, PixelData])
def test_subclasses_keep_the_private_registries_immutable(cls):  # STR-08
    element = cls(metainfo=dict(img_id=1), x=torch.zeros(1, 2, 2))
    for name in ('_data_fields', '_metainfo_fields'):
        with pytest.raises(AttributeError, match='has been used as a private attribute'):
            setattr(element, name, {})
        with pytest.raises(AttributeError, match='has been used as a private attribute'):
            delattr(element, name)
        with pytest.raises(AttributeError, match='has been used as a private attribute'):
            element.set_data({name: torch.zeros(1, 2, 2)})
    assert element.keys() == ['x'] and element.metainfo_keys() == ['img_id']


def test_metainfo_is_not_checked_like_data():  # STR-31, STR-44: data only
    instances = InstanceData(metainfo=dict(img_id=3, scale=(1.0, 2.0, 3.0)),
                             bboxes=torch.rand(2, 4))
    instances.set_metainfo(dict(pad_shape=(8, 8, 3, 1), flag=True))
    assert len(instances) == 2 and instances.flag is True
    pixels = PixelData(metainfo=dict(img_shape=(5, 6), name='x'), seg=torch.zeros(1, 2, 3))
    pixels.set_metainfo(dict(ori_shape=(7, 8, 9)))
    assert pixels.shape == (2, 3) and pixels.metainfo['name'] == 'x'


def test_index_tensor_must_be_one_dimensional():  # STR-38
    instances = InstanceData(bboxes=torch.rand(2, 4), labels=[1, 2])
    with pytest.raises(AssertionError,
                       match='Only support to get the values along the first dimension.'):
        instances[torch.tensor([[0, 1]])]
    with pytest.raises(AssertionError,
                       match='Only support to get the values along the first dimension.'):
        instances[torch.tensor([[True, False]])]
    with pytest.raises(AssertionError):
        instances[torch.tensor([0, 1], dtype=torch.int32)]  # neither Long nor Bool
    assert instances[torch.tensor([-1])].labels == [2]
