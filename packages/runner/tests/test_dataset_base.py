"""BaseDataset, Compose, force_full_init (TR-02, DS-01..18; model-dataset scenarios 19-23)."""
import io
import json
import os
import pickle
import sys

import numpy as np
import pytest

from engine.dataset import BaseDataset, Compose, force_full_init
from engine.dataset import base_dataset as base_dataset_module
from engine.registry import TRANSFORMS


def write_ann(path, data_list, metainfo=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(dict(metainfo=metainfo or {}, data_list=data_list)))
    return str(path)


@pytest.fixture
def toy_root(tmp_path):
    write_ann(tmp_path / "data" / "annotations" / "train.json",
              [{"img_path": "xxx/xxx_0.jpg", "img_label": 0},
               {"img_path": "xxx/xxx_1.jpg", "img_label": 1}],
              metainfo={"classes": ["cat", "dog"]})
    return tmp_path


class ToyDataset(BaseDataset):
    def parse_data_info(self, raw_data_info):
        data_info = raw_data_info
        data_info["img_path"] = os.path.join(self.data_prefix["img_path"], data_info["img_path"])
        return data_info


@pytest.mark.parametrize("serialize", [True, False])
def test_toy_dataset_doc_example(toy_root, serialize):
    data_root = str(toy_root / "data") + "/"
    ds = ToyDataset(data_root=data_root, data_prefix=dict(img_path="train/"),
                    ann_file="annotations/train.json", serialize_data=serialize,
                    pipeline=[lambda r: {**r, "img_shape": (1, 1, 3)}])
    assert ds.metainfo == {"classes": ["cat", "dog"]}
    assert len(ds) == 2
    assert ds.get_data_info(0) == {"img_path": os.path.join(data_root, "train/xxx/xxx_0.jpg"),
                                   "img_label": 0, "sample_idx": 0}
    assert ds[0]["img_shape"] == (1, 1, 3)
    assert ds.get_data_info(-1)["sample_idx"] == 1
    with pytest.raises(IndexError):
        ds.get_data_info(2)
    sub = ds.get_subset(1)
    assert (len(ds), len(sub)) == (2, 1) and type(sub) is ToyDataset
    ds.get_subset_(1)
    assert len(ds) == 1
    if serialize:
        assert ds.data_list == [] and ds.data_bytes.dtype == np.uint8
    else:
        assert not hasattr(ds, "data_address")


def test_get_data_info_returns_copies(toy_root):
    for serialize in (True, False):
        ds = BaseDataset(ann_file=str(toy_root / "data/annotations/train.json"),
                         data_prefix=dict(), serialize_data=serialize)
        info = ds.get_data_info(0)
        info["img_label"] = 99
        assert ds.get_data_info(0)["img_label"] == 0


def test_metainfo_priority(tmp_path):
    ann = write_ann(tmp_path / "ann.json", [{"img_path": "a.jpg"}],
                    metainfo={"dataset_type": "test_dataset", "task_name": "test_task",
                              "from_file_only": 1})

    class WithMeta(BaseDataset):
        METAINFO = dict(task_name="custom_task", dataset_type="custom_type")

    with pytest.warns(UserWarning, match="custom_task_name is not a meta file"):
        ds = WithMeta(ann_file=ann, metainfo=dict(task_name="custom_task_name"))
    assert ds.metainfo == {"task_name": "custom_task_name", "dataset_type": "custom_type",
                           "from_file_only": 1}
    assert WithMeta.METAINFO == dict(task_name="custom_task", dataset_type="custom_type")
    assert BaseDataset.METAINFO == {}
    ds.metainfo["task_name"] = "mutated"  # a copy
    assert ds.metainfo["task_name"] == "custom_task_name"

    lazy = BaseDataset(ann_file=ann, lazy_init=True)
    assert lazy.metainfo == {} and lazy._fully_initialized is False and lazy.data_list == []
    with pytest.warns(UserWarning):
        assert len(lazy) == 1
    assert lazy.metainfo["dataset_type"] == "test_dataset"

    classes_file = tmp_path / "classes.txt"
    classes_file.write_text("dog\n")
    assert BaseDataset(ann_file=ann, metainfo=dict(classes=str(classes_file))).metainfo[
        "classes"] == ["dog"]
    with pytest.warns(UserWarning, match="not_a_file"):
        ds = BaseDataset(ann_file=ann, metainfo=dict(classes="not_a_file"))
    assert ds.metainfo["classes"] == "not_a_file"
    with pytest.raises(TypeError, match="metainfo should be a dict"):
        BaseDataset(ann_file=ann, metainfo="dog")


def test_path_joining(tmp_path):
    ann = write_ann(tmp_path / "root" / "ann.json", [{"img_path": "a.jpg", "seg": "b.png"}])
    root = str(tmp_path / "root")
    ds = BaseDataset(ann_file="ann.json", data_root=root,
                     data_prefix=dict(img_path="imgs", seg="s3://bucket/segs"))
    assert ds.ann_file == ann
    assert ds.data_prefix == dict(img_path=os.path.join(root, "imgs"), seg="s3://bucket/segs")
    assert ds.get_data_info(0)["img_path"] == os.path.join(root, "imgs", "a.jpg")
    assert ds.get_data_info(0)["seg"] == "s3://bucket/segs/b.png"
    ds = BaseDataset(ann_file=ann, data_root="/elsewhere", data_prefix=dict(img_path="/abs"))
    assert ds.ann_file == ann and ds.data_prefix["img_path"] == "/abs"
    with pytest.raises(TypeError, match="prefix should be a string"):
        BaseDataset(ann_file=ann, data_prefix=dict(img_path=["img"]))
    with pytest.raises(AssertionError, match="dose not contain prefix key"):
        BaseDataset(ann_file=ann, data_prefix=dict(depth="d"))


def test_mutable_defaults_not_shared(tmp_path):
    ann = write_ann(tmp_path / "ann.json", [{"img_path": "a.jpg"}])
    a = BaseDataset(ann_file=ann, data_root="r1", lazy_init=True)
    b = BaseDataset(ann_file=ann, lazy_init=True)
    assert a.data_prefix == dict(img_path="r1/")
    assert b.data_prefix == dict(img_path="")
    prefix = dict(img_path="x")
    c = BaseDataset(ann_file=ann, data_prefix=prefix, data_root="r2", lazy_init=True)
    assert prefix == dict(img_path="x") and c.data_prefix == dict(img_path="r2/x")


@pytest.mark.parametrize("serialize", [True, False])
def test_subsets_of_100(tmp_path, serialize):
    ann = write_ann(tmp_path / "ann.json", [{"img_path": f"{i}.jpg", "id": i} for i in range(100)])
    ds = BaseDataset(ann_file=ann, serialize_data=serialize)
    assert len(ds.get_subset(90)) == 90
    assert len(ds.get_subset(list(range(10)))) == 10
    last3 = ds.get_subset(-3)
    assert len(last3) == 3
    assert last3.get_data_info(0)["id"] == 97 and last3.get_data_info(0)["sample_idx"] == 0
    assert [d["id"] for d in map(ds.get_subset([5, -1, 5]).get_data_info, range(3))] == [5, 99, 5]
    assert len(ds.get_subset([])) == 0
    assert len(ds.get_subset(100)) == 100 and len(ds.get_subset(-100)) == 100
    assert len(ds) == 100
    with pytest.raises(TypeError, match="indices should be a int or sequence of int"):
        ds.get_subset("a")
    with pytest.raises(TypeError):
        ds.get_subset([1.5])


def test_serialized_and_plain_storage_agree(tmp_path):
    items = [{"img_path": f"{i}.jpg", "boxes": [[i, i + 1]], "name": f"n{i}"} for i in range(30)]
    ann = write_ann(tmp_path / "ann.json", items)
    plain = BaseDataset(ann_file=ann, serialize_data=False, pipeline=[lambda d: d])
    packed = BaseDataset(ann_file=ann, serialize_data=True, pipeline=[lambda d: d])
    assert [plain[i] for i in range(30)] == [packed[i] for i in range(30)]
    for indices in (7, -4, [3, 0, 29, 3]):
        p, s = plain.get_subset(indices), packed.get_subset(indices)
        assert [p.get_data_info(i) for i in range(len(p))] == \
               [s.get_data_info(i) for i in range(len(s))]
    packed.get_subset_([2, 1])
    assert [packed.get_data_info(i)["name"] for i in range(2)] == ["n2", "n1"]


def test_indices_argument(tmp_path):
    ann = write_ann(tmp_path / "ann.json", [{"img_path": f"{i}.jpg", "id": i} for i in range(10)])
    assert len(BaseDataset(ann_file=ann, indices=4)) == 4
    ds = BaseDataset(ann_file=ann, indices=[9, 0], serialize_data=False)
    assert [ds.get_data_info(i)["id"] for i in range(2)] == [9, 0]


def test_bad_annotation_files(tmp_path):
    missing_list = tmp_path / "a.json"
    missing_list.write_text(json.dumps({"metainfo": {}}))
    with pytest.raises(ValueError, match="data_list and metainfo"):
        BaseDataset(ann_file=str(missing_list))
    top_list = tmp_path / "b.json"
    top_list.write_text(json.dumps([1, 2]))
    with pytest.raises(TypeError, match="should be a dict"):
        BaseDataset(ann_file=str(top_list))
    with pytest.raises(FileNotFoundError):
        BaseDataset(ann_file=str(tmp_path / "missing.json"))
    with pytest.raises(TypeError):
        BaseDataset(ann_file="")
    ann = write_ann(tmp_path / "c.json", [{"img_path": "a"}, {"img_path": "b"}, {"img_path": "c"}])

    class Bad(BaseDataset):
        result = "xxx"

        def parse_data_info(self, raw):
            return self.result

    with pytest.raises(TypeError, match="dict or list of dict"):
        Bad(ann_file=ann)
    Bad.result = [dict(a=1), "xxx"]
    with pytest.raises(TypeError, match="must be list of dict"):
        Bad(ann_file=ann)

    class Video(BaseDataset):
        def parse_data_info(self, raw):
            return [dict(raw, frame=0), dict(raw, frame=1)]

    assert len(Video(ann_file=ann)) == 6


def test_pickle_and_yaml_annotations(tmp_path):
    pkl = tmp_path / "ann.pkl"
    pkl.write_bytes(pickle.dumps(dict(metainfo=dict(a=1), data_list=[{"img_path": "x"}])))
    assert BaseDataset(ann_file=str(pkl)).metainfo == dict(a=1)
    yml = tmp_path / "ann.yaml"
    yml.write_text("metainfo: {b: 2}\ndata_list:\n  - {img_path: y}\n")
    assert BaseDataset(ann_file=str(yml)).get_data_info(0)["img_path"] == "y"


def test_refetch_and_test_mode(tmp_path):
    ann = write_ann(tmp_path / "ann.json", [{"img_path": "a"}, {"img_path": "b"}])
    with pytest.raises(Exception, match="Test time pipline should not get `None`"):
        BaseDataset(ann_file=ann, test_mode=True, pipeline=[lambda d: None])[0]
    with pytest.raises(Exception, match="Cannot find valid image after 2!"):
        BaseDataset(ann_file=ann, max_refetch=2, pipeline=[lambda d: None])[0]
    # a failing sample is replaced by another one
    ds = BaseDataset(ann_file=ann, pipeline=[lambda d: None if d["sample_idx"] == 0 else d])
    assert ds[0]["sample_idx"] == 1


def test_lazy_init_runs_full_init_once(tmp_path):
    ann = write_ann(tmp_path / "ann.json", [{"img_path": "a"}])

    class Counting(BaseDataset):
        loads = 0

        def load_data_list(self):
            Counting.loads += 1
            return super().load_data_list()

    ds = Counting(ann_file=ann, lazy_init=True)
    assert Counting.loads == 0
    with pytest.warns(UserWarning, match="full_init"):
        ds[0]
    len(ds)
    ds.get_subset(1)
    ds.full_init()
    assert Counting.loads == 1


def test_custom_load_data_list_and_cat_ids():
    class Mnist(BaseDataset):
        def __init__(self, n, **kwargs):
            self.n = n  # set before super().__init__: full_init runs inside it
            super().__init__(**kwargs)

        def load_data_list(self):
            return [dict(inputs=i) for i in range(self.n)]

    ds = Mnist(3)
    assert len(ds) == 3 and ds[2]["inputs"] == 2
    with pytest.raises(NotImplementedError, match="must implement `get_cat_ids`"):
        ds.get_cat_ids(0)


def test_force_full_init_decorator():
    class NoInit:
        @force_full_init
        def f(self):
            return 1

    with pytest.raises(AttributeError, match="does not have full_init method"):
        NoInit().f()

    class Lazy:
        calls = 0

        def full_init(self):
            Lazy.calls += 1

        @force_full_init
        def f(self):
            return 2

    obj = Lazy()
    with pytest.warns(UserWarning):
        assert obj.f() == 2
    assert obj.f() == 2 and Lazy.calls == 1 and obj._fully_initialized is True


def test_compose():
    @TRANSFORMS.register_module(force=True)
    class DatasetTestAddOne:
        def __call__(self, d):
            return {**d, "v": d["v"] + 1}

        def __repr__(self):
            return "DatasetTestAddOne()"

    @TRANSFORMS.register_module(force=True)
    class DatasetTestNotCallable:
        pass

    pipeline = Compose([dict(type="DatasetTestAddOne"), lambda d: {**d, "v": d["v"] * 10}])
    assert pipeline({"v": 1}) == {"v": 20}
    assert repr(Compose([dict(type="DatasetTestAddOne")])) == "Compose(\n    DatasetTestAddOne()\n)"
    assert Compose(None)({"v": 3}) == {"v": 3}
    ran = []
    stop = Compose([lambda d: None, lambda d: ran.append(1)])
    assert stop({"v": 1}) is None and ran == []
    with pytest.raises(TypeError, match="transform should be a callable object"):
        Compose([dict(type="DatasetTestNotCallable")])
    with pytest.raises(TypeError, match="transform must be a callable object or dict"):
        Compose([3])


def test_slow_scan_shows_progress_bar_only_on_a_tty(tmp_path, monkeypatch):
    ann = write_ann(tmp_path / "ann.json", [{"img_path": f"{i}"} for i in range(3000)])
    monkeypatch.setattr(base_dataset_module, "PROGRESS_AFTER_S", 0.0)
    master, slave = os.openpty()
    try:
        with open(slave, "w") as tty:
            monkeypatch.setattr(sys, "stdout", tty)
            BaseDataset(ann_file=ann)
            tty.flush()
            shown = os.read(master, 65536).decode()
    finally:
        os.close(master)
    assert "Loading" in shown and "3000/3000" in shown
    not_tty = io.StringIO()
    monkeypatch.setattr(sys, "stdout", not_tty)
    BaseDataset(ann_file=ann)
    assert not_tty.getvalue() == ""


@pytest.mark.parametrize("serialize", [True, False])
def test_empty_annotation_list(tmp_path, serialize):
    ds = BaseDataset(ann_file=write_ann(tmp_path / "ann.json", []), serialize_data=serialize)
    assert len(ds) == 0 and len(ds.get_subset(3)) == 0


def test_serialized_dataset_in_dataloader_workers(tmp_path):
    from functools import partial

    from torch.utils.data import DataLoader

    from engine.dataset import DefaultSampler, pseudo_collate, worker_init_fn

    ann = write_ann(tmp_path / "ann.json", [{"img_path": f"{i}.jpg", "id": i} for i in range(10)])
    ds = BaseDataset(ann_file=ann, data_prefix=dict(), pipeline=[lambda d: d["id"]])
    loader = DataLoader(ds, batch_size=3, num_workers=2, collate_fn=pseudo_collate,
                        sampler=DefaultSampler(ds, shuffle=False),
                        worker_init_fn=partial(worker_init_fn, num_workers=2, rank=0, seed=1),
                        multiprocessing_context="fork")
    assert [i for batch in loader for i in batch] == list(range(10))
