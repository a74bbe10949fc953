"""Samplers that split a dataset across ranks: one pass per epoch, or an endless stream."""
from __future__ import annotations

import itertools
import math
from typing import Iterator, Optional, Sized

import torch
from torch.utils.data import Sampler

from engine.dist import get_dist_info, sync_random_seed
from engine.registry import DATA_SAMPLERS

__all__ = ["DefaultSampler", "InfiniteSampler"]


@DATA_SAMPLERS.register_module()
class DefaultSampler(Sampler):
    """Epoch sampler for distributed and non-distributed runs.

    Every rank draws the same permutation (seeded with ``seed + epoch``) and
    takes every ``world_size``-th index starting at its rank. ``round_up=True``
    pads by wrapping around so every rank gets the same number of indices;
    ``round_up=False`` neither pads nor drops.
    """

    def __init__(self, dataset: Sized, shuffle: bool = True, seed: Optional[int] = None,
                 round_up: bool = True) -> None:
        rank, world_size = get_dist_info()
        self.rank = rank
        self.world_size = world_size
        self.dataset = dataset
        self.shuffle = shuffle
        self.seed = sync_random_seed() if seed is None else seed
        self.epoch = 0
        self.round_up = round_up
        if round_up:
            self.num_samples = math.ceil(len(dataset) / world_size)
            self.total_size = self.num_samples * world_size
        else:
            self.num_samples = math.ceil((len(dataset) - rank) / world_size)
            self.total_size = len(dataset)

    def __iter__(self) -> Iterator[int]:
        size = len(self.dataset)
        if self.shuffle:
            generator = torch.Generator()
            generator.manual_seed(self.seed + self.epoch)
            indices = torch.randperm(size, generator=generator).tolist()
        else:
            indices = list(range(size))
        if self.round_up and indices:
            indices = (indices * (self.total_size // len(indices) + 1))[:self.total_size]
        return iter(indices[self.rank:self.total_size:self.world_size])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Use ``epoch`` in the shuffle seed, so every epoch has a new (shared) order."""
        self.epoch = epoch


@DATA_SAMPLERS.register_module()
class InfiniteSampler(Sampler):
    """Endless sampler for iteration-based training.

    One stream is built at construction; iterating again continues it rather
    than restarting, and each pass over the data is a fresh permutation of a
    single generator seeded once with ``seed``.
    """

    def __init__(self, dataset: Sized, shuffle: bool = True, seed: Optional[int] = None) -> None:
        rank, world_size = get_dist_info()
        self.rank = rank
        self.world_size = world_size
        self.dataset = dataset
        self.size = len(dataset)
        self.shuffle = shuffle
        self.seed = sync_random_seed() if seed is None else seed
        self.indices = self._indices_of_rank()

    def _infinite_indices(self) -> Iterator[int]:
        if self.size == 0:  # an endless stream of nothing would hang the training loop
            raise ValueError("InfiniteSampler got an empty dataset: there is nothing to sample")
        generator = torch.Generator()
        generator.manual_seed(self.seed)
        while True:
            if self.shuffle:
                yield from torch.randperm(self.size, generator=generator).tolist()
            else:
                yield from range(self.size)

    def _indices_of_rank(self) -> Iterator[int]:
        return itertools.islice(self._infinite_indices(), self.rank, None, self.world_size)

    def __iter__(self) -> Iterator[int]:
        # Every iterator reads the one shared stream, through a view that cannot
        # close it: a generator delegating with `yield from` would close the stream
        # when it is closed itself (as happens when a DataLoader iterator is
        # dropped), and the next iteration over the sampler would find it exhausted.
        return itertools.islice(self.indices, None)

    def __len__(self) -> int:
        return self.size

    def set_epoch(self, epoch: int) -> None:
        """Nothing to do: the stream has no epochs."""
