"""Accuracy: the fraction of samples whose predicted label is the true one."""

from __future__ import annotations

from engine.evaluator import BaseMetric
from engine.registry import METRICS


@METRICS.register_module()
class Accuracy(BaseMetric):
    """Reports ``accuracy`` in [0, 1]; works across processes (results are gathered)."""

    default_prefix = ''

    def process(self, data_batch, data_samples) -> None:
        # one (correct, total) pair per batch keeps the gathered results small
        correct = sum(int(s['pred_label'] == s['gt_label']) for s in data_samples)
        self.results.append((correct, len(data_samples)))

    def compute_metrics(self, results: list) -> dict:
        correct = sum(c for c, _ in results)
        total = sum(n for _, n in results)
        return dict(accuracy=correct / total)
