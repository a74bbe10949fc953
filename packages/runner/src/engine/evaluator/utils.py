"""Helpers for reading evaluation results."""
from __future__ import annotations

from typing import Any

__all__ = ["get_metric_value"]


def get_metric_value(indicator: str, metrics: dict) -> Any:
    """Value of ``indicator`` in ``metrics``.

    A full name (``'COCO/AP'``) must match a key exactly; a short name (``'AP'``)
    matches the one key whose last ``/``-separated part equals it.
    """
    if "/" in indicator:
        if indicator in metrics:
            return metrics[indicator]
        raise ValueError(f'The indicator "{indicator}" can not match any metric in '
                         f"{list(metrics.keys())}")
    matched = [key for key in metrics if key.split("/")[-1] == indicator]
    if not matched:
        raise ValueError(f'The indicator "{indicator}" can not match any metric in '
                         f"{list(metrics.keys())}")
    if len(matched) > 1:
        raise ValueError(f'The indicator "{indicator}" matches multiple metrics {matched}')
    return metrics[matched[0]]
