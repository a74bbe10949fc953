"""Samplers, collate functions, worker seeding (SMP-01/02, COL-01..04; scenarios 26-28)."""
import random
from collections import defaultdict, namedtuple

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from engine.dataset import (
    COLLATE_FUNCTIONS,
    DefaultSampler,
    InfiniteSampler,
    default_collate,
    pseudo_collate,
    worker_init_fn,
)
from engine.dataset import sampler as sampler_module
from engine.registry import DATA_SAMPLERS
from engine.structures import BaseDataElement


@pytest.fixture
def rank2_of_3(monkeypatch):
    monkeypatch.setattr(sampler_module, "get_dist_info", lambda: (2, 3))


@pytest.fixture
def rank1_of_2(monkeypatch):
    monkeypatch.setattr(sampler_module, "get_dist_info", lambda: (1, 2))


def test_default_sampler_rank_split(rank2_of_3):
    sampler = DefaultSampler(list(range(10)), shuffle=False)
    assert list(sampler) == [2, 5, 8, 1] and len(sampler) == 4
    sampler = DefaultSampler(list(range(10)), shuffle=False, round_up=False)
    assert list(sampler) == [2, 5, 8] and len(sampler) == 3


def test_default_sampler_all_ranks_cover_the_data(monkeypatch):
    seen = []
    for rank in range(3):
        monkeypatch.setattr(sampler_module, "get_dist_info", lambda r=rank: (r, 3))
        sampler = DefaultSampler(list(range(10)), shuffle=True, seed=7, round_up=False)
        sampler.set_epoch(3)
        seen += list(sampler)
    assert sorted(seen) == list(range(10))


def test_default_sampler_single_process():
    assert list(DefaultSampler(list(range(10)), shuffle=False)) == list(range(10))
    sampler = DefaultSampler(list(range(10)), shuffle=True, seed=42)
    first = list(sampler)
    assert first == torch.randperm(10, generator=torch.Generator().manual_seed(42)).tolist()
    assert list(sampler) == first  # same order without set_epoch
    sampler.set_epoch(10)
    assert list(sampler) == torch.randperm(10, generator=torch.Generator().manual_seed(52)).tolist()
    assert isinstance(DefaultSampler(list(range(3))).seed, int)
    assert list(DefaultSampler([], shuffle=False)) == []


def test_default_sampler_seed_none_uses_sync_random_seed(monkeypatch):
    monkeypatch.setattr(sampler_module, "sync_random_seed", lambda: 1234)
    assert DefaultSampler(list(range(3))).seed == 1234
    assert InfiniteSampler(list(range(3))).seed == 1234


def test_infinite_sampler(rank1_of_2):
    sampler = InfiniteSampler(list(range(5)), shuffle=False)
    it = iter(sampler)
    assert [next(it) for _ in range(6)] == [1, 3, 0, 2, 4, 1]
    it2 = iter(sampler)  # continues the same stream
    assert next(it2) == 3


def test_infinite_sampler_single_process():
    sampler = InfiniteSampler(list(range(5)), shuffle=False)
    it = iter(sampler)
    assert [next(it) for _ in range(10)] == [0, 1, 2, 3, 4, 0, 1, 2, 3, 4]
    assert len(sampler) == 5
    sampler = InfiniteSampler(list(range(5)), shuffle=True, seed=42)
    sampler.set_epoch(10)  # no effect
    it = iter(sampler)
    g = torch.Generator().manual_seed(42)
    first_pass = torch.randperm(5, generator=g).tolist()
    second_pass = torch.randperm(5, generator=g).tolist()
    assert [next(it) for _ in range(10)] == first_pass + second_pass


def test_infinite_sampler_on_empty_dataset_raises_instead_of_hanging():
    with pytest.raises(ValueError, match="empty dataset"):
        next(iter(InfiniteSampler([], shuffle=False)))


def test_samplers_registered():
    assert DATA_SAMPLERS.get("DefaultSampler") is DefaultSampler
    assert DATA_SAMPLERS.get("InfiniteSampler") is InfiniteSampler
    assert COLLATE_FUNCTIONS.get("pseudo_collate") is pseudo_collate
    assert COLLATE_FUNCTIONS.get("default_collate") is default_collate


def test_pseudo_collate_keeps_objects():
    t1, t2 = torch.ones(1, 3, 5), torch.zeros(1, 3, 5)
    s1, s2 = BaseDataElement(a=1), BaseDataElement(a=2)
    out = pseudo_collate([dict(inputs=t1, data_sample=s1), dict(inputs=t2, data_sample=s2)])
    assert list(out) == ["inputs", "data_sample"]
    assert out["inputs"][0] is t1 and out["inputs"][1] is t2
    assert out["data_sample"][0] is s1 and out["data_sample"][1] is s2
    nested = pseudo_collate([(dict(value=1, name="1"), np.array(1)),
                             (dict(value=1, name="1"), np.array(2))])
    assert isinstance(nested, list)
    assert nested[0] == {"value": [1, 1], "name": ["1", "1"]}
    assert isinstance(nested[1][0], np.ndarray)  # not converted
    assert pseudo_collate([[1, 2], [3, 4]]) == [[1, 3], [2, 4]]
    assert pseudo_collate(["a", "b"]) == ["a", "b"]
    Point = namedtuple("Point", ["x", "y"])
    assert pseudo_collate([Point(1, 2), Point(3, 4)]) == Point([1, 3], [2, 4])
    with pytest.raises(RuntimeError, match="should be of equal size"):
        pseudo_collate([[1, 2], [3]])
    counts = defaultdict(int, a=1)
    assert pseudo_collate([counts, counts]) == {"a": [1, 1]}


def test_default_collate_stacks_leaves():
    t1, t2 = torch.ones(1, 3, 5), torch.zeros(1, 3, 5)
    s1, s2 = BaseDataElement(a=1), BaseDataElement(a=2)
    batch = [(dict(inputs=t1, value=1, name="1", arr=np.array(1), sample=s1),),
             (dict(inputs=t2, value=1, name="1", arr=np.array(2), sample=s2),)]
    out = default_collate(batch)[0]
    assert out["inputs"].shape == (2, 1, 3, 5)
    assert torch.equal(out["value"], torch.tensor([1, 1])) and out["value"].dtype == torch.int64
    assert out["name"] == ["1", "1"]
    assert torch.equal(out["arr"], torch.tensor([1, 2]))
    assert out["sample"][0] is s1 and out["sample"][1] is s2
    assert default_collate([0.5, 1.5]).dtype == torch.float64
    with pytest.raises(RuntimeError):
        default_collate([[1, 2], [3]])


def test_worker_init_fn_seeds_everything():
    worker_init_fn(1, 4, 2, 10)  # 4 * 2 + 1 + 10 = 19
    draws = (np.random.rand(), random.random(), torch.rand(1).item())
    np.random.seed(19)
    random.seed(19)
    torch.manual_seed(19)
    assert draws == (np.random.rand(), random.random(), torch.rand(1).item())


def test_infinite_sampler_stream_survives_a_closed_iterator():
    sampler = InfiniteSampler(list(range(5)), shuffle=False)

    def batches(source):  # a consumer written with `yield from`, closed early
        yield from source

    consumer = batches(sampler)
    assert [next(consumer) for _ in range(3)] == [0, 1, 2]
    consumer.close()
    it = iter(sampler)
    assert [next(it) for _ in range(4)] == [3, 4, 0, 1]


def test_infinite_sampler_dataloader_iterated_again_after_dropping_an_iterator():
    dataset = list(range(6))
    loader = DataLoader(dataset, batch_size=2, sampler=InfiniteSampler(dataset, shuffle=False))
    first = iter(loader)
    assert next(first).tolist() == [0, 1]
    del first  # a finished run drops its iterator; a second train() iterates again
    second = iter(loader)
    assert [next(second).tolist() for _ in range(3)] == [[2, 3], [4, 5], [0, 1]]
