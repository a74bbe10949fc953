"""BaseDataset and Compose (TR-01/02, DS-02..15): details other tests leave open."""
import copy
import json
import os.path as osp
import pickle

import numpy as np
import pytest
import torch.utils.data

from engine.config import Config
from engine.dataset import BaseDataset, Compose
from engine.registry import DATASETS, TRANSFORMS


def write_ann(path, data_list, metainfo=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(dict(metainfo=metainfo or {}, data_list=data_list)))
    return str(path)


@pytest.fixture
def ann(tmp_path):
    return write_ann(tmp_path / "ann.json", [{"img_path": f"{i}.jpg", "id": i} for i in range(5)])


def test_constructor_stores_its_arguments(ann):
    # DS-02: class attributes, stored attributes, and the copies taken of the arguments
    assert BaseDataset.METAINFO == {} and BaseDataset._fully_initialized is False
    assert issubclass(BaseDataset, torch.utils.data.Dataset)
    filter_cfg = dict(min_size=32, keep=[1])
    ds = BaseDataset(ann_file=ann, filter_cfg=filter_cfg, indices=[0, 1], serialize_data=False,
                     test_mode=True, max_refetch=7, lazy_init=True)
    assert (ds.ann_file, ds.data_root, ds._indices) == (ann, "", [0, 1])
    assert (ds.serialize_data, ds.test_mode, ds.max_refetch) == (False, True, 7)
    assert ds.data_prefix == dict(img_path="") and ds.data_list == []
    assert ds.filter_cfg == filter_cfg and ds.filter_cfg is not filter_cfg
    assert ds.filter_cfg["keep"] is not filter_cfg["keep"]  # deep copy
    assert isinstance(ds.pipeline, Compose) and ds.pipeline.transforms == []
    assert BaseDataset(ann_file=ann, max_refetch=3).max_refetch == 3


def test_path_joining_keeps_urls_and_absolute_paths(tmp_path):
    # DS-04: http://, https:// and s3:// prefixes count as absolute
    ann = write_ann(tmp_path / "root" / "ann.json", [{"img_path": "a.jpg"}])
    ds = BaseDataset(ann_file=ann, data_root="data/", lazy_init=True,
                     data_prefix=dict(img_path="train/", a="http://h/x", b="https://h/y",
                                      c="s3://b/z", d="/abs/d", e=""))
    assert ds.ann_file == ann  # absolute: kept
    assert ds.data_prefix == dict(img_path="data/train/", a="http://h/x", b="https://h/y",
                                  c="s3://b/z", d="/abs/d", e="data/")
    rel = BaseDataset(ann_file="ann.json", data_root="data/", lazy_init=True)
    assert rel.ann_file == "data/ann.json" and rel.data_prefix == dict(img_path="data/")
    plain = BaseDataset(ann_file="ann.json", data_prefix=dict(img_path="x"), lazy_init=True)
    assert plain.ann_file == "ann.json" and plain.data_prefix == dict(img_path="x")
    assert BaseDataset(ann_file=None, data_root=None, lazy_init=True).ann_file is None


def test_metainfo_accepts_config_dicts_and_keeps_non_str_values(ann):
    # DS-03: a metainfo from a config file (ConfigDict), tuple values kept as they are
    cfg = Config(dict(metainfo=dict(classes=("cat", "dog"), palette=[(1, 2, 3)])))
    ds = BaseDataset(ann_file=ann, metainfo=cfg.metainfo)
    assert ds.metainfo["classes"] == ("cat", "dog")
    assert ds.metainfo["palette"] == [(1, 2, 3)]
    with pytest.raises(TypeError, match="metainfo should be a dict, but got"):
        BaseDataset(ann_file=ann, metainfo=["cat"])


def test_serialized_layout(ann):
    # DS-09: one uint8 buffer of protocol-4 pickles, int64 cumulative end offsets, list cleared
    plain = BaseDataset(ann_file=ann, serialize_data=False)
    packed = BaseDataset(ann_file=ann)
    blobs = [pickle.dumps(info, protocol=4) for info in plain.data_list]
    assert packed.data_list == []
    assert packed.data_bytes.dtype == np.uint8 and packed.data_address.dtype == np.int64
    assert packed.data_address.tolist() == np.cumsum([len(b) for b in blobs]).tolist()
    assert packed.data_bytes.tobytes() == b"".join(blobs)
    assert not hasattr(plain, "data_address")


def test_negative_indices_and_sample_idx(ann):
    # DS-10: indices in [-len, len); sample_idx is the non-negative index
    for serialize in (True, False):
        ds = BaseDataset(ann_file=ann, serialize_data=serialize)
        assert ds.get_data_info(-5) == {"img_path": "0.jpg", "id": 0, "sample_idx": 0}
        assert ds.get_data_info(-1)["sample_idx"] == 4
        with pytest.raises(IndexError):
            ds.get_data_info(-6)
        with pytest.raises(IndexError):
            ds.get_data_info(5)


def test_refetch_draws_with_numpy_random(ann):
    # DS-12: a failed sample is replaced by np.random.randint(0, len), up to max_refetch times
    seen = []

    def only_sample_3(info):
        seen.append(info["sample_idx"])
        return info if info["sample_idx"] == 3 else None

    ds = BaseDataset(ann_file=ann, pipeline=[only_sample_3])
    np.random.seed(0)
    assert ds[0]["id"] == 3
    np.random.seed(0)
    expected = [0]
    while expected[-1] != 3:
        expected.append(np.random.randint(0, 5))
    assert seen == expected
    calls = []
    never = BaseDataset(ann_file=ann, max_refetch=4, pipeline=[lambda d: calls.append(d)])
    with pytest.raises(Exception, match="Cannot find valid image after 4! Please check your "
                                        "image path and pipeline"):
        never[0]
    assert len(calls) == 5  # max_refetch + 1 attempts
    calls.clear()
    with pytest.raises(Exception, match="Test time pipline should not get `None` data_sample"):
        BaseDataset(ann_file=ann, test_mode=True, pipeline=[lambda d: calls.append(d)])[2]
    assert len(calls) == 1  # no refetch in test mode


def test_get_item_warns_with_the_documented_text(ann):
    # DS-12 / DS-15: the two warnings a lazy dataset gives
    with pytest.warns(UserWarning, match=r"Please call `full_init\(\)` method manually to "
                                         "accelerate the speed."):
        BaseDataset(ann_file=ann, lazy_init=True)[0]
    with pytest.warns(UserWarning, match="`full_init` will be called"):
        BaseDataset(ann_file=ann, lazy_init=True).get_data_info(0)


class WithBoundTransform(BaseDataset):
    """A pipeline holding a bound method of the dataset itself."""

    def __init__(self, **kwargs):
        super().__init__(pipeline=[self.tag], **kwargs)

    def tag(self, info):
        return dict(info, tag=len(self))


@pytest.mark.parametrize("serialize", [True, False])
def test_get_subset_is_independent_of_the_original(ann, serialize):
    # DS-13: the subset's annotations and attributes are copies; the original stays untouched
    ds = WithBoundTransform(ann_file=ann, serialize_data=serialize, filter_cfg=dict(k=[1]))
    sub = ds.get_subset([1, 3])
    assert type(sub) is WithBoundTransform and len(sub) == 2 and len(ds) == 5
    # the subset's pipeline refers to the subset, not to a second copy of the whole dataset
    assert sub.pipeline.transforms[0].__self__ is sub
    assert sub[0]["tag"] == 2 and ds[0]["tag"] == 5
    assert sub.filter_cfg == ds.filter_cfg and sub.filter_cfg["k"] is not ds.filter_cfg["k"]
    if not serialize:
        sub.data_list[0]["img_path"] = "edited"
        assert ds.data_list[1]["img_path"] == "1.jpg"
    else:
        assert not np.shares_memory(sub.data_bytes, ds.data_bytes)
    sub.get_subset_(1)
    assert len(sub) == 1 and len(ds) == 5
    assert [ds.get_data_info(i)["id"] for i in range(5)] == [0, 1, 2, 3, 4]


def test_full_init_order_filter_then_indices(ann):
    # DS-05: load, filter, then take `indices` of the filtered list
    class EvenOnly(BaseDataset):
        def filter_data(self):
            return [d for d in self.data_list if d["id"] % 2 == 0]

    ds = EvenOnly(ann_file=ann, indices=[-1, 0])
    assert [ds.get_data_info(i)["id"] for i in range(len(ds))] == [4, 0]
    assert len(EvenOnly(ann_file=ann, indices=2)) == 2


def test_compose_builds_transforms_from_a_config_file_pipeline(tmp_path, ann):
    # TR-01/TR-02 (§12.2, §12.4): a registered transform named in a config pipeline
    @TRANSFORMS.register_module(force=True)
    class AuditFlip:
        def __init__(self, direction):
            self.direction = direction

        def __call__(self, results):
            results["flip"] = self.direction
            return results

        def __repr__(self):
            return f"AuditFlip(direction={self.direction!r})"

    @DATASETS.register_module(force=True)
    class AuditPipelineDataset(BaseDataset):
        pass

    cfg_file = tmp_path / "cfg.py"
    cfg_file.write_text(
        f"dataset = dict(type='AuditPipelineDataset', ann_file={ann!r},\n"
        "               pipeline=[dict(type='AuditFlip', direction='horizontal')])\n")
    cfg = Config.fromfile(str(cfg_file))
    ds = DATASETS.build(cfg.dataset)
    assert ds[0]["flip"] == "horizontal"
    assert repr(ds.pipeline) == "Compose(\n    AuditFlip(direction='horizontal')\n)"
    assert repr(Compose([])) == "Compose(\n)"
    assert Compose([])({"a": 1}) == {"a": 1}


def test_data_prefix_key_missing_from_raw_info(ann):
    # DS-07: the default parse_data_info asserts with the original's wording
    with pytest.raises(AssertionError, match="dose not contain prefix key seg_map"):
        BaseDataset(ann_file=ann, data_prefix=dict(img_path="", seg_map="s"))
    ds = BaseDataset(ann_file=ann, data_prefix=dict(img_path="imgs"))
    assert ds.get_data_info(0)["img_path"] == osp.join("imgs", "0.jpg")


def test_deepcopy_of_a_lazy_dataset_initialises_separately(ann):
    # the pattern of the original tests: deepcopy, then get_subset_ on the copy only
    ds = BaseDataset(ann_file=ann, lazy_init=True)
    dup = copy.deepcopy(ds)
    with pytest.warns(UserWarning):
        dup.get_subset_(-2)
    assert len(dup) == 2 and ds._fully_initialized is False
    assert [dup[i]["id"] for i in range(2)] == [3, 4]
    assert dup[0]["sample_idx"] == 0
