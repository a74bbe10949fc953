"""The iteration loop's endless iterator over a finite loader (LOOP-07)."""

from __future__ import annotations

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from engine.dataset import DefaultSampler
from engine.runner import loops
from engine.runner.loops import _InfiniteDataloaderIterator


def _loader(num_workers: int = 0) -> DataLoader:
    dataset = TensorDataset(torch.arange(6))
    return DataLoader(dataset, batch_size=2, num_workers=num_workers,
                      sampler=DefaultSampler(dataset, shuffle=True, seed=0))


@pytest.fixture
def sleeps(monkeypatch):
    calls = []
    monkeypatch.setattr(loops.time, 'sleep', calls.append)
    return calls


def test_exhausted_loader_restarts_with_the_next_sampler_epoch(sleeps):
    loader = _loader()
    batches = _InfiniteDataloaderIterator(loader)
    first_epoch = [next(batches)[0] for _ in range(3)]
    with pytest.warns(UserWarning, match='Reach the end of the dataloader.*InfiniteSampler'):
        restarted = next(batches)[0]
    assert loader.sampler.epoch == 1
    second_epoch = [restarted] + [next(batches)[0] for _ in range(2)]
    # every sample once per epoch, in a new order
    assert sorted(torch.cat(first_epoch).tolist()) == sorted(torch.cat(second_epoch).tolist())
    assert torch.cat(first_epoch).tolist() != torch.cat(second_epoch).tolist()
    assert sleeps == []  # no worker processes: nothing to wait for


def test_restart_waits_for_the_old_workers_to_exit(sleeps):
    batches = _InfiniteDataloaderIterator(_loader(num_workers=1))
    for _ in range(3):
        next(batches)
    with pytest.warns(UserWarning, match='Reach the end'):
        next(batches)
    assert sleeps == [2]


def test_a_batch_samplers_inner_sampler_gets_the_next_epoch(sleeps):
    # e.g. an aspect-ratio batch sampler over a DefaultSampler: the loader's own
    # sampler has no set_epoch, the one inside its batch sampler does
    dataset = TensorDataset(torch.arange(6))
    inner = DefaultSampler(dataset, shuffle=True, seed=0)
    loader = DataLoader(dataset, batch_sampler=torch.utils.data.BatchSampler(
        inner, batch_size=2, drop_last=False))
    batches = _InfiniteDataloaderIterator(loader)
    first_epoch = torch.cat([next(batches)[0] for _ in range(3)]).tolist()
    with pytest.warns(UserWarning, match='Reach the end'):
        second_epoch = torch.cat([next(batches)[0] for _ in range(3)]).tolist()
    assert inner.epoch == 1
    assert sorted(second_epoch) == sorted(first_epoch) and second_epoch != first_epoch
    assert second_epoch == list(iter(inner))  # the order DefaultSampler gives epoch 1


def test_resuming_past_an_epoch_of_a_finite_loader_continues_in_the_right_epoch(sleeps):
    loader = _loader()
    straight = _InfiniteDataloaderIterator(loader)
    with pytest.warns(UserWarning, match='Reach the end'):
        expected = [next(straight)[0].tolist() for _ in range(8)][4:]
    # a run resumed at iteration 4: one whole epoch (3 batches) and one batch done
    resumed = _InfiniteDataloaderIterator(_loader(), skip_batches=4)
    with pytest.warns(UserWarning, match='Reach the end'):
        assert [next(resumed)[0].tolist() for _ in range(4)] == expected


def test_an_unsized_loader_is_iterated_without_fast_forwarding_by_epochs(sleeps):
    class Stream(torch.utils.data.IterableDataset):
        def __iter__(self):
            return iter(range(5))

    batches = _InfiniteDataloaderIterator(DataLoader(Stream(), batch_size=2), skip_batches=1)
    assert next(batches).tolist() == [2, 3]
    assert next(batches).tolist() == [4]
    with pytest.warns(UserWarning, match='Reach the end'):
        assert next(batches).tolist() == [0, 1]  # a new pass
