"""Seed examples of the dataset tutorial (§13) and API (§44.1.1), run as written.

The tutorial's ``LoadImage`` uses ``cv2.imread``; here it reads a small
``.npy`` image with numpy instead, so the flow stays the same without OpenCV.
``meta_info`` in the custom-wrapper recipe is spelled ``metainfo`` (spec DW-04).
"""
import copy
import json
import os.path as osp
import warnings

import numpy as np
import pytest

from engine.dataset import (
    BaseDataset,
    ClassBalancedDataset,
    ConcatDataset,
    RepeatDataset,
    force_full_init,
)
from engine.registry import DATASETS


class ToyDataset(BaseDataset):
    # 以上面标注文件为例, 在这里 raw_data_info 代表 `data_list` 对应列表里的某个字典
    def parse_data_info(self, raw_data_info):
        data_info = raw_data_info
        img_prefix = self.data_prefix.get('img_path', None)
        if img_prefix is not None:
            data_info['img_path'] = osp.join(
                img_prefix, data_info['img_path'])
        return data_info

    # 必须支持的方法，需要返回样本的类别 (§13.4.3)
    def get_cat_ids(self, idx):
        data_info = self.get_data_info(idx)
        return [int(data_info['img_label'])]


class LoadImage:
    def __call__(self, results):
        results['img'] = np.load(results['img_path'])
        return results


class ParseImage:
    def __call__(self, results):
        results['img_shape'] = results['img'].shape
        return results


@pytest.fixture
def data_root(tmp_path, monkeypatch):
    """The §13.1.1 layout: data/annotations/{train,val}.json and images under data/{train,val}."""
    monkeypatch.chdir(tmp_path)
    for split, count in (('train', 2), ('val', 3)):
        data_list = []
        for i in range(count):
            rel = f'xxx/xxx_{i}.npy'
            path = tmp_path / 'data' / split / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            np.save(path, np.zeros((4, 5, 3), dtype=np.uint8))
            data_list.append({'img_path': rel, 'img_label': i % 2})
        ann = tmp_path / 'data' / 'annotations' / f'{split}.json'
        ann.parent.mkdir(parents=True, exist_ok=True)
        ann.write_text(json.dumps({'metainfo': {'classes': ['cat', 'dog']},
                                   'data_list': data_list}))
    return tmp_path


def test_seed_13_2_toy_dataset(data_root):
    pipeline = [
        LoadImage(),
        ParseImage(),
    ]
    toy_dataset = ToyDataset(
        data_root='data/',
        data_prefix=dict(img_path='train/'),
        ann_file='annotations/train.json',
        pipeline=pipeline)

    assert toy_dataset.metainfo == dict(classes=['cat', 'dog'])
    assert toy_dataset.get_data_info(0) == {
        'img_path': 'data/train/xxx/xxx_0.npy', 'img_label': 0, 'sample_idx': 0}
    assert len(toy_dataset) == 2
    sample = toy_dataset[0]
    assert sample['img_path'] == 'data/train/xxx/xxx_0.npy' and sample['img_label'] == 0
    assert sample['img'].shape == (4, 5, 3) and sample['img_shape'] == (4, 5, 3)

    # `get_subset` 接口不对原数据集类做修改, 即完全复制一份新的
    sub_toy_dataset = toy_dataset.get_subset(1)
    assert (len(toy_dataset), len(sub_toy_dataset)) == (2, 1)
    # `get_subset_` 接口会对原数据集类做修改, 即 inplace 的方式
    toy_dataset.get_subset_(1)
    assert len(toy_dataset) == 1


def test_seed_13_3_lazy_init_and_serialize_flag(data_root):
    pipeline = [
        LoadImage(),
        ParseImage(),
    ]
    toy_dataset = ToyDataset(
        data_root='data/',
        data_prefix=dict(img_path='train/'),
        ann_file='annotations/train.json',
        pipeline=pipeline,
        # 在这里传入 lazy_init 变量
        lazy_init=True)
    assert toy_dataset._fully_initialized is False and toy_dataset.data_list == []
    # 完整初始化
    toy_dataset.full_init()
    # 初始化完毕，现在可以访问具体数据
    assert len(toy_dataset) == 2
    with warnings.catch_warnings():
        warnings.simplefilter('error')  # no "call full_init" warning once initialised
        assert toy_dataset[0]['img_shape'] == (4, 5, 3)

    toy_dataset = ToyDataset(
        data_root='data/',
        data_prefix=dict(img_path='train/'),
        ann_file='annotations/train.json',
        pipeline=pipeline,
        # 在这里传入 serialize_data 变量
        serialize_data=False)
    assert len(toy_dataset.data_list) == 2 and not hasattr(toy_dataset, 'data_address')
    assert toy_dataset[1]['img_path'] == 'data/train/xxx/xxx_1.npy'


def test_seed_13_4_wrappers(data_root):
    pipeline = [
        LoadImage(),
        ParseImage(),
    ]

    toy_dataset_1 = ToyDataset(
        data_root='data/',
        data_prefix=dict(img_path='train/'),
        ann_file='annotations/train.json',
        pipeline=pipeline)

    toy_dataset_2 = ToyDataset(
        data_root='data/',
        data_prefix=dict(img_path='val/'),
        ann_file='annotations/val.json',
        pipeline=pipeline)

    toy_dataset_12 = ConcatDataset(datasets=[toy_dataset_1, toy_dataset_2])
    assert len(toy_dataset_12) == 5
    assert toy_dataset_12[2]['img_path'] == 'data/val/xxx/xxx_0.npy'

    toy_dataset_repeat = RepeatDataset(dataset=toy_dataset_1, times=5)
    assert len(toy_dataset_repeat) == 10
    assert toy_dataset_repeat[3]['img_path'] == 'data/train/xxx/xxx_1.npy'

    # every class is frequent (f = 0.5 >= 1e-3): nothing is repeated
    toy_dataset_repeat = ClassBalancedDataset(dataset=toy_dataset_1, oversample_thr=1e-3)
    assert len(toy_dataset_repeat) == 2
    # with a threshold above the frequency, f(c) = 0.5: r = sqrt(0.9 / 0.5) -> 2 copies each
    assert len(ClassBalancedDataset(dataset=toy_dataset_1, oversample_thr=0.9)) == 4


def test_seed_13_4_4_custom_wrapper_recipe(data_root):
    @DATASETS.register_module(force=True)
    class ExampleDatasetWrapper:

        def __init__(self, dataset, lazy_init=False, times=2):
            # 构建原数据集 (self.dataset)
            if isinstance(dataset, dict):
                self.dataset = DATASETS.build(dataset)
            elif isinstance(dataset, BaseDataset):
                self.dataset = dataset
            else:
                raise TypeError(
                    'elements in datasets sequence should be config or '
                    f'`BaseDataset` instance, but got {type(dataset)}')
            # 记录原数据集的元信息
            self._metainfo = self.dataset.metainfo
            self.times = times
            self._fully_initialized = False
            if not lazy_init:
                self.full_init()

        def full_init(self):
            if self._fully_initialized:
                return
            # 将原数据集完全初始化
            self.dataset.full_init()
            self._ori_len = len(self.dataset)
            self._fully_initialized = True

        @force_full_init
        def _get_ori_dataset_idx(self, idx: int):
            ori_idx = idx % self._ori_len
            return ori_idx

        # 提供与 `self.dataset` 一样的对外接口。
        @force_full_init
        def get_data_info(self, idx):
            sample_idx = self._get_ori_dataset_idx(idx)
            return self.dataset.get_data_info(sample_idx)

        def __getitem__(self, idx):
            if not self._fully_initialized:
                warnings.warn('Please call `full_init` method manually to '  # noqa: B028
                              'accelerate the speed.')
                self.full_init()
            sample_idx = self._get_ori_dataset_idx(idx)
            return self.dataset[sample_idx]

        @force_full_init
        def __len__(self):
            len_wrapper = self.times * self._ori_len
            return len_wrapper

        @property
        def metainfo(self):
            return copy.deepcopy(self._metainfo)

    try:
        inner = ToyDataset(data_root='data/', data_prefix=dict(img_path='train/'),
                           ann_file='annotations/train.json')
        wrapper = DATASETS.build(dict(type='ExampleDatasetWrapper', dataset=inner,
                                      lazy_init=True))
        # force_full_init runs full_init on first use, with a warning
        with pytest.warns(UserWarning, match='full_init'):
            assert len(wrapper) == 4
        assert wrapper.get_data_info(3)['img_path'] == 'data/train/xxx/xxx_1.npy'
        assert wrapper.metainfo == {'classes': ['cat', 'dog']}
    finally:
        DATASETS.module_dict.pop('ExampleDatasetWrapper', None)


def test_seed_44_1_1_get_subset_examples(tmp_path):
    ann = tmp_path / 'ann.json'
    ann.write_text(json.dumps({'metainfo': {}, 'data_list': [
        {'img_path': f'{i}.jpg'} for i in range(100)]}))
    for serialize in (True, False):
        dataset = BaseDataset(str(ann), serialize_data=serialize)
        assert len(dataset) == 100
        subdataset = dataset.get_subset(90)
        assert len(subdataset) == 90
        subdataset = dataset.get_subset([0, 1, 2, 3, 4, 5, 6, 7,
                                         8, 9])
        assert len(subdataset) == 10
        subdataset = dataset.get_subset(-3)
        assert len(subdataset) == 3  # Get the latest few data information.
        assert subdataset.get_data_info(0)['img_path'] == '97.jpg'

        dataset.get_subset_(90)
        assert len(dataset) == 90
        dataset.get_subset_([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
        assert len(dataset) == 10
        dataset.get_subset_(-3)
        assert len(dataset) == 3
        assert [dataset.get_data_info(i)['img_path'] for i in range(3)] == \
            ['7.jpg', '8.jpg', '9.jpg']


def test_seed_44_1_1_metainfo_priority(tmp_path):
    ann = tmp_path / 'ann.json'
    ann.write_text(json.dumps({
        'metainfo': {'dataset_type': 'test_dataset', 'task_name': 'test_task'},
        'data_list': [{'img_path': 'a.jpg'}]}))

    class CustomDataset(BaseDataset):
        METAINFO: dict = dict(task_name='custom_task',
                              dataset_type='custom_type')

    metainfo = dict(task_name='custom_task_name')
    with pytest.warns(UserWarning, match='not a meta file'):  # a str value that names no file
        custom_dataset = CustomDataset(str(ann), metainfo=metainfo)
    # meta information of annotation file will be overwritten by
    # CustomDataset.METAINFO. The merged meta information will
    # further be overwritten by argument metainfo.
    assert custom_dataset.metainfo == {'task_name': 'custom_task_name',
                                       'dataset_type': 'custom_type'}
    assert CustomDataset.METAINFO == dict(task_name='custom_task', dataset_type='custom_type')
