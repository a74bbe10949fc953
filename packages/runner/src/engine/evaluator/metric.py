"""BaseMetric: per-batch processing, cross-rank collection, metric computation."""
from __future__ import annotations

import logging
import warnings
from abc import ABCMeta, abstractmethod
from typing import Any, List, Optional, Sequence

import torch

from engine.dist import broadcast_object_list, collect_results, is_main_process
from engine.fileio import dump
from engine.registry import METRICS
from engine.structures import BaseDataElement

__all__ = ["BaseMetric", "DumpResults"]

logger = logging.getLogger(__name__)


def _to_cpu(data: Any) -> Any:
    """Move tensors and data elements nested in lists, tuples and dicts to the CPU."""
    if isinstance(data, (torch.Tensor, BaseDataElement)):
        return data.to("cpu")
    if isinstance(data, dict):
        return {key: _to_cpu(value) for key, value in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(_to_cpu(item) for item in data))
    if isinstance(data, (list, tuple)):
        return type(data)(_to_cpu(item) for item in data)
    return data


class BaseMetric(metaclass=ABCMeta):
    """Base class of metrics.

    :meth:`process` stores what each batch contributes in ``self.results``;
    :meth:`evaluate` gathers those from every rank (in dataset order, padding
    dropped), computes the metrics on rank 0 and shares them with all ranks.

    Args:
        collect_device: ``'cpu'`` (through a shared folder) or ``'gpu'`` (through
            collectives) for gathering results across ranks.
        prefix: prefix of the metric names; ``default_prefix`` when None.
    """

    default_prefix: Optional[str] = None

    def __init__(self, collect_device: str = "cpu", prefix: Optional[str] = None) -> None:
        self._dataset_meta: Optional[dict] = None
        self.collect_device = collect_device
        self.results: List[Any] = []
        self.prefix = prefix or self.default_prefix
        if self.prefix is None:
            warnings.warn(f"The prefix is not set in metric class {type(self).__name__}.",
                          stacklevel=2)

    @property
    def dataset_meta(self) -> Optional[dict]:
        """Meta information of the evaluated dataset (set by the runner/evaluator)."""
        return self._dataset_meta

    @dataset_meta.setter
    def dataset_meta(self, dataset_meta: Optional[dict]) -> None:
        self._dataset_meta = dataset_meta

    @abstractmethod
    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        """Append this batch's intermediate results to ``self.results``."""

    @abstractmethod
    def compute_metrics(self, results: list) -> dict:
        """Metrics (without prefix) from the results of all batches and ranks."""

    def evaluate(self, size: int) -> dict:
        """Collect results of all ranks, compute the metrics on rank 0, broadcast them.

        ``size`` is the dataset length: results beyond it (sampler padding) are dropped.
        """
        if len(self.results) == 0:
            warnings.warn(f"{type(self).__name__} got empty `self.results`. Please ensure that "
                          "the processed results are properly added into `self.results` in "
                          "`process` method.", stacklevel=2)
        results = collect_results(self.results, size, self.collect_device)
        if is_main_process():
            metrics = self.compute_metrics(_to_cpu(results))
            if not isinstance(metrics, dict):
                raise TypeError(f"{type(self).__name__}.compute_metrics should return a dict of "
                                f"metric names to values, but got {type(metrics).__name__}: "
                                f"{metrics!r}"[:300])
            if self.prefix:
                metrics = {f"{self.prefix}/{key}": value for key, value in metrics.items()}
            shared = [metrics]
        else:
            shared = [None]
        broadcast_object_list(shared)
        self.results.clear()
        return shared[0]


@METRICS.register_module()
class DumpResults(BaseMetric):
    """Save the model's predictions to a pickle file (offline evaluation later).

    Contributes no metric keys.
    """

    def __init__(self, out_file_path: str, collect_device: str = "cpu") -> None:
        if not str(out_file_path).endswith((".pkl", ".pickle")):
            raise ValueError("The output file must be a pkl file. "
                             f"Got out_file_path={out_file_path!r}")
        super().__init__(collect_device=collect_device)
        self.out_file_path = out_file_path

    def process(self, data_batch: Any, predictions: Sequence[Any]) -> None:
        """Keep one CPU copy per sample."""
        self.results.extend(_to_cpu(list(predictions)))

    def compute_metrics(self, results: list) -> dict:
        """Dump ``results`` to ``out_file_path``; returns ``{}``."""
        dump(results, self.out_file_path)
        logger.info(f"Results has been saved to {self.out_file_path}.")
        return {}
