"""Dataset wrappers: concatenation, repetition and class-balanced oversampling."""
from __future__ import annotations

import bisect
import copy
import math
import warnings
from collections import defaultdict
from typing import Any, List, Sequence, Tuple, Union

from torch.utils.data.dataset import ConcatDataset as _ConcatDataset

from engine.registry import DATASETS

from .base_dataset import BaseDataset, force_full_init

__all__ = ["ClassBalancedDataset", "ConcatDataset", "RepeatDataset"]


def _build_dataset(dataset: Union[BaseDataset, dict]) -> BaseDataset:
    if isinstance(dataset, dict):
        return DATASETS.build(dataset)
    if isinstance(dataset, BaseDataset):
        return dataset
    raise TypeError("elements in datasets sequence should be config or `BaseDataset` instance, "
                    f"but got {type(dataset)}")


class _WrapperMixin:
    """Lazy-init plumbing shared by the wrappers."""

    _fully_initialized: bool = False

    @property
    def metainfo(self) -> dict:
        """A copy of the wrapped dataset's meta information."""
        return copy.deepcopy(self._metainfo)

    def _warn_and_init(self) -> None:
        if not self._fully_initialized:
            warnings.warn("Please call `full_init` method manually to accelerate the speed.",
                          stacklevel=3)
            self.full_init()

    def get_subset_(self, indices: Union[List[int], int]) -> None:
        raise NotImplementedError(
            f"`{type(self).__name__}` dose not support `get_subset` and `get_subset_` interfaces "
            "because this will lead to ambiguous implementation of some methods. If you want to "
            "use `get_subset` or `get_subset_` interfaces, please use them in the wrapped dataset "
            "first and then use the wrapper.")

    def get_subset(self, indices: Union[List[int], int]) -> BaseDataset:
        return self.get_subset_(indices)  # type: ignore[func-returns-value]  # always raises


@DATASETS.register_module()
class ConcatDataset(_WrapperMixin, _ConcatDataset):
    """Datasets one after another; all must share the first one's metainfo."""

    def __init__(self, datasets: Sequence[Union[BaseDataset, dict]],
                 lazy_init: bool = False) -> None:
        self.datasets: List[BaseDataset] = [_build_dataset(d) for d in datasets]
        self._metainfo = self.datasets[0].metainfo
        for i, dataset in enumerate(self.datasets, 1):
            if self._metainfo != dataset.metainfo:
                raise ValueError(f"The meta information of the {i}-th dataset does not match meta "
                                 "information of the first dataset")
        self._fully_initialized = False
        if not lazy_init:
            self.full_init()

    def full_init(self) -> None:
        """Full-init every dataset and compute the cumulative sizes."""
        if self._fully_initialized:
            return
        for dataset in self.datasets:
            dataset.full_init()
        self.cumulative_sizes = self.cumsum(self.datasets)
        self._fully_initialized = True

    @force_full_init
    def _get_ori_dataset_idx(self, idx: int) -> Tuple[int, int]:
        if idx < 0:
            if -idx > len(self):
                raise ValueError(f"absolute value of index({idx}) should not exceed dataset "
                                 f"length({len(self)}).")
            idx += len(self)
        dataset_idx = bisect.bisect_right(self.cumulative_sizes, idx)
        sample_idx = idx if dataset_idx == 0 else idx - self.cumulative_sizes[dataset_idx - 1]
        return dataset_idx, sample_idx

    @force_full_init
    def get_data_info(self, idx: int) -> dict:
        """Data info of global index ``idx``, from the dataset it falls in."""
        dataset_idx, sample_idx = self._get_ori_dataset_idx(idx)
        return self.datasets[dataset_idx].get_data_info(sample_idx)

    @force_full_init
    def __len__(self) -> int:
        return self.cumulative_sizes[-1] if self.cumulative_sizes else 0

    def __getitem__(self, idx: int) -> Any:
        self._warn_and_init()
        dataset_idx, sample_idx = self._get_ori_dataset_idx(idx)
        return self.datasets[dataset_idx][sample_idx]


@DATASETS.register_module()
class RepeatDataset(_WrapperMixin):
    """The wrapped dataset ``times`` times over (cheaper epochs for small datasets)."""

    def __init__(self, dataset: Union[BaseDataset, dict], times: int,
                 lazy_init: bool = False) -> None:
        self.dataset = _build_dataset(dataset)
        self.times = times
        self._metainfo = self.dataset.metainfo
        self._fully_initialized = False
        if not lazy_init:
            self.full_init()

    def full_init(self) -> None:
        """Full-init the wrapped dataset and record its length."""
        if self._fully_initialized:
            return
        self.dataset.full_init()
        self._ori_len = len(self.dataset)
        self._fully_initialized = True

    @force_full_init
    def _get_ori_dataset_idx(self, idx: int) -> int:
        return idx % self._ori_len

    @force_full_init
    def get_data_info(self, idx: int) -> dict:
        """Data info of ``idx`` modulo the wrapped length."""
        return self.dataset.get_data_info(self._get_ori_dataset_idx(idx))

    @force_full_init
    def __len__(self) -> int:
        return self.times * self._ori_len

    def __getitem__(self, idx: int) -> Any:
        self._warn_and_init()
        return self.dataset[self._get_ori_dataset_idx(idx)]


@DATASETS.register_module()
class ClassBalancedDataset(_WrapperMixin):
    """Repeat samples of rare categories (LVIS-style repeat factor sampling).

    For category ``c`` with frequency ``f(c)`` (fraction of samples containing
    it), ``r(c) = max(1, sqrt(oversample_thr / f(c)))``; a sample is repeated
    ``ceil(max r(c) over its categories)`` times (once when it has none).
    """

    def __init__(self, dataset: Union[BaseDataset, dict], oversample_thr: float,
                 lazy_init: bool = False) -> None:
        self.dataset = _build_dataset(dataset)
        self.oversample_thr = oversample_thr
        self._metainfo = self.dataset.metainfo
        self._fully_initialized = False
        if not lazy_init:
            self.full_init()

    def full_init(self) -> None:
        """Full-init the wrapped dataset and expand indices by their repeat factors."""
        if self._fully_initialized:
            return
        self.dataset.full_init()
        factors = self._get_repeat_factors(self.dataset, self.oversample_thr)
        self.repeat_indices = [i for i, r in enumerate(factors) for _ in range(math.ceil(r))]
        self._fully_initialized = True

    @staticmethod
    def _get_repeat_factors(dataset: BaseDataset, repeat_thr: float) -> List[float]:
        """Per-sample repeat factor ``max(1, max_c sqrt(thr / f(c)))``."""
        num_images = len(dataset)
        cat_ids_per_image = [set(dataset.get_cat_ids(i)) for i in range(num_images)]
        counts: defaultdict = defaultdict(int)
        for cat_ids in cat_ids_per_image:
            for cat_id in cat_ids:
                counts[cat_id] += 1
        category_repeat = {
            cat_id: max(1.0, math.sqrt(repeat_thr / (count / num_images)))
            for cat_id, count in counts.items()
        }
        return [max((category_repeat[c] for c in cat_ids), default=1.0)
                for cat_ids in cat_ids_per_image]

    @force_full_init
    def _get_ori_dataset_idx(self, idx: int) -> int:
        return self.repeat_indices[idx]

    @force_full_init
    def get_cat_ids(self, idx: int) -> List[int]:
        """Category ids of the wrapped sample behind ``idx``."""
        return self.dataset.get_cat_ids(self._get_ori_dataset_idx(idx))

    @force_full_init
    def get_data_info(self, idx: int) -> dict:
        """Data info of the wrapped sample behind ``idx``."""
        return self.dataset.get_data_info(self._get_ori_dataset_idx(idx))

    @force_full_init
    def __len__(self) -> int:
        return len(self.repeat_indices)

    def __getitem__(self, idx: int) -> Any:
        self._warn_and_init()
        return self.dataset[self._get_ori_dataset_idx(idx)]
