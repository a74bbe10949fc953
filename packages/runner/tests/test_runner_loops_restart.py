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
