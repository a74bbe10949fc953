"""The dataset wrappers, samplers, collate functions and exports (DW, SMP, COL, Q)."""
import math
from collections import namedtuple

import numpy as np
import pytest
import torch
from torch.utils.data import ConcatDataset as TorchConcatDataset
from torch.utils.data import DataLoader

import engine.dataset
from engine.config import Config
from engine.dataset import (
    COLLATE_FUNCTIONS,
    BaseDataset,
    ClassBalancedDataset,
    ConcatDataset,
    DefaultSampler,
    InfiniteSampler,
    RepeatDataset,
    default_collate,
    pseudo_collate,
)
from engine.dataset import sampler as sampler_module
from engine.registry import DATA_SAMPLERS, DATASETS
from engine.structures import BaseDataElement


class Audit2ListDataset(BaseDataset):
    def __init__(self, ids, cat_ids=None, meta=None, **kwargs):
        self.ids = ids
        self.cat_ids = cat_ids
        super().__init__(metainfo=meta or dict(classes=("a", "b")), **kwargs)

    def load_data_list(self):
        return [dict(id=i) for i in self.ids]

    def get_cat_ids(self, idx):
        return self.cat_ids[idx]


DATASETS.register_module(module=Audit2ListDataset, force=True)


def test_public_names():
    # Q: the 0.2.0 __all__ of engine.dataset
    assert set(engine.dataset.__all__) == {
        "BaseDataset", "Compose", "force_full_init", "ClassBalancedDataset", "ConcatDataset",
        "RepeatDataset", "DefaultSampler", "InfiniteSampler", "worker_init_fn", "pseudo_collate",
        "default_collate", "COLLATE_FUNCTIONS"}
    for name in engine.dataset.__all__:
        assert getattr(engine.dataset, name) is not None


def test_wrapper_classes():
    # DW shared rules: not BaseDataset subclasses; ConcatDataset is torch's; all registered
    assert issubclass(ConcatDataset, TorchConcatDataset)
    for wrapper in (ConcatDataset, RepeatDataset, ClassBalancedDataset):
        assert not issubclass(wrapper, BaseDataset)
        assert DATASETS.get(wrapper.__name__) is wrapper


def test_mismatch_is_reported_with_its_one_based_position():
    # DW-01: the third dataset differs -> "3-th"
    same, other = dict(classes=("a", "b")), dict(classes=("c",))
    with pytest.raises(ValueError, match="The meta information of the 3-th dataset does not "
                                         "match meta information of the first dataset"):
        ConcatDataset([Audit2ListDataset([1], meta=same), Audit2ListDataset([2], meta=same),
                       Audit2ListDataset([3], meta=other)])


def test_wrapper_metainfo_is_a_copy_and_subsets_are_refused():
    inner = Audit2ListDataset([1, 2], cat_ids=[[0], [1]], meta=dict(classes=["a", "b"]))
    for wrapper in (ConcatDataset([inner]), RepeatDataset(inner, 2),
                    ClassBalancedDataset(inner, 0.5)):
        wrapper.metainfo["classes"].append("x")
        assert wrapper.metainfo == dict(classes=["a", "b"])
        name = type(wrapper).__name__
        for method in (wrapper.get_subset, wrapper.get_subset_):
            with pytest.raises(NotImplementedError,
                               match=f"^`{name}` dose not support `get_subset` and `get_subset_` "
                                     "interfaces"):
                method(1)


def test_clearing_the_flag_recomputes_the_mapping():
    # DW: full_init is idempotent, but runs again once _fully_initialized is reset
    inner = Audit2ListDataset([0, 1], cat_ids=[[0], [0]])
    cbd = ClassBalancedDataset(inner, oversample_thr=1e-3)
    cbd.repeat_indices = [0, 0, 1, 1, 1]
    cbd.full_init()
    assert len(cbd) == 5  # already initialised: kept
    cbd._fully_initialized = False
    with pytest.warns(UserWarning, match="`full_init` will be called"):
        assert len(cbd) == 2
    cat = ConcatDataset([inner, inner])
    cat._fully_initialized = False
    with pytest.warns(UserWarning, match="Please call `full_init` method manually"):
        assert cat[3] == inner[1]
    assert len(cat) == 4


def test_wrappers_from_a_config_file(tmp_path):
    # configs arrive as ConfigDict; nested wrappers build their inner datasets
    cfg_file = tmp_path / "cfg.py"
    cfg_file.write_text(
        "inner = dict(type='Audit2ListDataset', ids=[0, 1, 2], cat_ids=[[0], [0], [1]])\n"
        "dataset = dict(type='RepeatDataset', times=2,\n"
        "               dataset=dict(type='ConcatDataset', datasets=[inner, inner]))\n")
    cfg = Config.fromfile(str(cfg_file))
    ds = DATASETS.build(cfg.dataset)
    assert isinstance(ds.dataset, ConcatDataset) and len(ds) == 12
    assert ds.get_data_info(7) == ds.dataset.get_data_info(1)
    with pytest.raises(TypeError, match="should be config or `BaseDataset` instance, but got"):
        RepeatDataset([0], times=2)


def test_class_balanced_factor_formula():
    # DW-03: r(c) = max(1, sqrt(thr / f(c))); ceil of the per-sample maximum
    cat_ids = [[0, 1], [0], [0], [0], [0], [0], [0], [0], [0], [2]]
    inner = Audit2ListDataset(list(range(10)), cat_ids=cat_ids)
    thr = 0.3
    cbd = ClassBalancedDataset(inner, oversample_thr=thr)
    r1, r2 = math.sqrt(thr / 0.1), math.sqrt(thr / 0.1)  # f(1) = f(2) = 0.1; f(0) = 0.9 -> 1
    expected = [0] * math.ceil(r1) + list(range(1, 9)) + [9] * math.ceil(r2)
    assert cbd.repeat_indices == expected
    assert cbd.get_cat_ids(0) == [0, 1] and cbd.get_cat_ids(len(cbd) - 1) == [2]


def test_default_sampler_rounds_up_small_datasets(monkeypatch):
    # SMP-01: N < world_size wraps around so that every rank gets a sample
    monkeypatch.setattr(sampler_module, "get_dist_info", lambda: (2, 3))
    sampler = DefaultSampler([10, 11], shuffle=False)
    assert (sampler.num_samples, sampler.total_size) == (1, 3)
    assert list(sampler) == [0]
    no_round = DefaultSampler([10, 11], shuffle=False, round_up=False)
    assert list(no_round) == [] and len(no_round) == 0
    assert (sampler.rank, sampler.world_size, sampler.epoch) == (2, 3, 0)


def test_default_sampler_ranks_share_one_permutation_per_epoch(monkeypatch):
    # SMP-01: every rank draws randperm(N) seeded with seed + epoch and takes its stride
    orders = []
    for rank in range(2):
        monkeypatch.setattr(sampler_module, "get_dist_info", lambda r=rank: (r, 2))
        sampler = DefaultSampler(list(range(7)), seed=5)
        sampler.set_epoch(2)
        orders.append(list(sampler))
    perm = torch.randperm(7, generator=torch.Generator().manual_seed(7)).tolist()
    padded = (perm * 2)[:8]
    assert orders == [padded[0::2], padded[1::2]]


def test_samplers_built_from_config_through_the_registry():
    # SMP: registered in DATA_SAMPLERS; the dataset comes as a default argument (Runner style)
    data = list(range(4))
    sampler = DATA_SAMPLERS.build(dict(type="InfiniteSampler", shuffle=False, seed=0),
                                  default_args=dict(dataset=data))
    it = iter(sampler)
    assert [next(it) for _ in range(6)] == [0, 1, 2, 3, 0, 1]
    sampler = DATA_SAMPLERS.build(dict(type="DefaultSampler", shuffle=False),
                                  default_args=dict(dataset=data))
    assert list(sampler) == data


def test_infinite_sampler_passes_are_fresh_permutations_of_one_generator(monkeypatch):
    # SMP-02: one generator seeded once; each rank slices the shared stream
    monkeypatch.setattr(sampler_module, "get_dist_info", lambda: (1, 2))
    sampler = InfiniteSampler(list(range(3)), seed=9)
    it = iter(sampler)
    got = [next(it) for _ in range(6)]
    g = torch.Generator().manual_seed(9)
    stream = sum((torch.randperm(3, generator=g).tolist() for _ in range(4)), [])
    assert got == stream[1::2][:6]
    assert len(sampler) == 3 and sampler.size == 3


def test_infinite_sampler_in_a_worker_dataloader():
    # SMP-02 with workers: the sampler stays in the main process; batches keep coming
    data = list(range(5))
    loader = DataLoader(data, batch_size=2, num_workers=1,
                        sampler=InfiniteSampler(data, shuffle=False))
    it = iter(loader)
    assert [next(it).tolist() for _ in range(3)] == [[0, 1], [2, 3], [4, 0]]


def test_pseudo_collate_edge_types():
    # COL-01: bytes, namedtuple fields, a sequence type that cannot be rebuilt, custom mappings
    assert pseudo_collate([b"a", b"b"]) == [b"a", b"b"]
    Pair = namedtuple("Pair", ["img", "label"])
    t1, t2 = torch.ones(2), torch.zeros(2)
    out = pseudo_collate([Pair(t1, 0), Pair(t2, 1)])
    assert isinstance(out, Pair) and out.img[0] is t1 and out.img[1] is t2 and out.label == [0, 1]
    assert pseudo_collate([range(2), range(2)]) == [[0, 0], [1, 1]]  # range(list) fails: list
    assert pseudo_collate([(1, 2), (3, 4)]) == [[1, 3], [2, 4]]  # tuples give a list

    class Record(dict):
        pass

    merged = pseudo_collate([Record(a=1), Record(a=2)])
    assert type(merged) is Record and merged == {"a": [1, 2]}
    arrays = pseudo_collate([np.ones(2), np.zeros(2)])
    assert isinstance(arrays, list) and all(isinstance(a, np.ndarray) for a in arrays)


def test_default_collate_edge_types():
    # COL-02: strings, bytes and data elements stay lists; tensors of unequal shape fail
    s1, s2 = BaseDataElement(x=1), BaseDataElement(x=2)
    assert default_collate([s1, s2]) == [s1, s2]
    out = default_collate([dict(n="a", b=b"x", e=s1), dict(n="b", b=b"y", e=s2)])
    assert out["n"] == ["a", "b"] and out["b"] == [b"x", b"y"] and out["e"] == [s1, s2]
    assert default_collate([1.0, 2.0]).dtype == torch.float64
    assert default_collate([np.ones((2, 3)), np.ones((2, 3))]).shape == (2, 2, 3)
    with pytest.raises(RuntimeError):
        default_collate([torch.ones(2), torch.ones(3)])


def test_collate_registry():
    # COL-03: a Registry named 'Collate Functions'; both functions under their own names
    assert COLLATE_FUNCTIONS.name == "Collate Functions"
    assert COLLATE_FUNCTIONS.get("pseudo_collate") is pseudo_collate
    assert COLLATE_FUNCTIONS.get("default_collate") is default_collate
