"""Evaluator: drives a list of metrics through a validation or test run."""
from __future__ import annotations

from typing import Any, Iterator, List, Optional, Sequence, Union

from engine.dataset import pseudo_collate
from engine.registry import EVALUATOR, METRICS
from engine.structures import BaseDataElement

from .metric import BaseMetric

__all__ = ["Evaluator"]


@EVALUATOR.register_module()
class Evaluator:
    """Wrap one or several metrics (instances or configs built from ``METRICS``)."""

    def __init__(self, metrics: Union[dict, BaseMetric, Sequence]) -> None:
        self._dataset_meta: Optional[dict] = None
        if not isinstance(metrics, Sequence) or isinstance(metrics, str):
            metrics = [metrics]
        self.metrics: List[BaseMetric] = []
        for metric in metrics:
            if isinstance(metric, dict):
                self.metrics.append(METRICS.build(metric))
            elif isinstance(metric, BaseMetric):
                self.metrics.append(metric)
            else:
                raise TypeError("metrics should be a dict, a BaseMetric or a sequence of them, "
                                f"but got {type(metric)}: {metric!r}")

    @property
    def dataset_meta(self) -> Optional[dict]:
        """Meta information of the dataset, shared with every metric."""
        return self._dataset_meta

    @dataset_meta.setter
    def dataset_meta(self, dataset_meta: dict) -> None:
        self._dataset_meta = dataset_meta
        for metric in self.metrics:
            metric.dataset_meta = dataset_meta

    def process(self, data_samples: Sequence, data_batch: Optional[Any] = None) -> None:
        """Feed one batch of model outputs (data elements become dicts) to every metric."""
        # Only data elements are converted; anything else (a tensor of
        # predictions, as in the seed's Runner tutorial) reaches the metrics as is.
        if any(isinstance(s, BaseDataElement) for s in data_samples):
            converted = [s.to_dict() if isinstance(s, BaseDataElement) else s
                         for s in data_samples]
        else:
            converted = data_samples
        for metric in self.metrics:
            metric.process(data_batch, converted)

    def evaluate(self, size: int) -> dict:
        """Evaluate every metric over ``size`` samples and merge the results."""
        metrics: dict = {}
        for metric in self.metrics:
            for name, value in metric.evaluate(size).items():
                if name in metrics:
                    raise ValueError("There are multiple evaluation results with the same metric "
                                     f"name {name}. Please make sure all metrics have different "
                                     "prefixes.")
                metrics[name] = value
        return metrics

    def offline_evaluate(self, data_samples: Sequence, data: Optional[Sequence] = None,
                         chunk_size: int = 1) -> dict:
        """Evaluate saved predictions (and optionally their inputs) in chunks."""
        if data is not None:
            assert len(data_samples) == len(data), (
                "outputs and data should have the same length, but got outputs length: "
                f"{len(data_samples)} data length: {len(data)}")
        for start, chunk in _chunks(data_samples, chunk_size):
            data_chunk = None
            if data is not None:
                data_chunk = pseudo_collate(data[start:start + len(chunk)])
            self.process(chunk, data_chunk)
        return self.evaluate(len(data_samples))


def _chunks(seq: Sequence, size: int) -> Iterator:
    assert isinstance(size, int) and size > 0, f"chunk_size must be a positive int, got {size!r}"
    for start in range(0, len(seq), size):
        yield start, list(seq[start:start + size])
