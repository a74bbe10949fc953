"""Collate functions and dataloader worker seeding."""
from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch.utils.data._utils.collate import default_collate as torch_default_collate

from engine.registry import Registry
from engine.structures import BaseDataElement

__all__ = ["COLLATE_FUNCTIONS", "default_collate", "pseudo_collate", "worker_init_fn"]

COLLATE_FUNCTIONS = Registry("Collate Functions")


def worker_init_fn(worker_id: int, num_workers: int, rank: int, seed: int) -> None:
    """Seed numpy, random and torch in a dataloader worker with a per-worker, per-rank seed."""
    worker_seed = num_workers * rank + worker_id + seed
    np.random.seed(worker_seed)
    random.seed(worker_seed)
    torch.manual_seed(worker_seed)


def _is_namedtuple(obj: Any) -> bool:
    return isinstance(obj, tuple) and hasattr(obj, "_fields")


def _collate(data_batch: Sequence, leaf) -> Any:
    """Shared recursion of the two collate functions; ``leaf`` handles non-containers."""
    elem = data_batch[0]
    if isinstance(elem, (str, bytes)):
        return data_batch
    if _is_namedtuple(elem):
        return type(elem)(*(_collate(samples, leaf) for samples in zip(*data_batch)))
    if isinstance(elem, Sequence):
        size = len(elem)
        if any(len(item) != size for item in data_batch):
            raise RuntimeError("each data_itement in list of batch should be of equal size")
        transposed = [_collate(samples, leaf) for samples in zip(*data_batch)]
        if isinstance(elem, tuple):
            return transposed
        try:
            return type(elem)(transposed)
        except TypeError:  # a sequence type that cannot be built from an iterable
            return transposed
    if isinstance(elem, Mapping):
        collated = {key: _collate([d[key] for d in data_batch], leaf) for key in elem}
        try:
            return type(elem)(collated)
        except TypeError:  # e.g. defaultdict: its constructor takes a factory first
            return collated
    return leaf(data_batch)


@COLLATE_FUNCTIONS.register_module()
def pseudo_collate(data_batch: Sequence) -> Any:
    """Transpose a batch of samples (dicts of dicts, tuples, ...) without stacking anything.

    Leaves (tensors, numbers, arrays, data elements) come back as the list of the
    same objects, so the model's data preprocessor decides how to batch them.
    """
    return _collate(data_batch, list)


def _default_leaf(data_batch: Sequence) -> Any:
    if isinstance(data_batch[0], BaseDataElement):
        return list(data_batch)
    return torch_default_collate(data_batch)


@COLLATE_FUNCTIONS.register_module()
def default_collate(data_batch: Sequence) -> Any:
    """Like :func:`pseudo_collate`, but leaves are stacked by torch's ``default_collate``.

    Tensors are stacked on a new first dim, arrays and numbers become tensors;
    data elements, strings and bytes stay lists. Nothing is moved to a device.
    """
    return _collate(data_batch, _default_leaf)
