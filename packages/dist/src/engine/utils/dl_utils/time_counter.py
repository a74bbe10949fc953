"""TimeCounter: average wall time of a function or block, logged every few runs."""

import functools
import logging
import time
from typing import Any, Callable, Optional, Union

import torch

from engine.dist.utils import is_main_process

from ._log import emit


class TimeCounter:
    """Time a function (decorator) or a ``with`` block and log the running average.

    Instances are shared per ``tag``: building one with a tag already in use
    returns the existing counter, so the same code path keeps one average.
    The first ``warmup_interval - 1`` runs are not counted. Timing and logging
    happen on rank 0 only; the decorated function runs on every rank.

    Args:
        log_interval: log every this many runs.
        warmup_interval: runs before this one are excluded (>= 1).
        with_sync: synchronise CUDA around the timed region when available.
        tag: name in the log line; the function's name when decorating.
        logger: None prints; a ``logging.Logger``, a logger name, ``'current'``
            (the ``engine.utils.dl_utils`` logger) or ``'silent'``.
    """

    instance_dict: dict = {}

    log_interval: int
    warmup_interval: int
    with_sync: bool
    tag: Optional[str]
    logger: Optional[Union[str, logging.Logger]]

    def __new__(cls, log_interval: int = 1, warmup_interval: int = 1, with_sync: bool = True,
                tag: Optional[str] = None,
                logger: Optional[Union[str, logging.Logger]] = None) -> 'TimeCounter':
        assert warmup_interval >= 1, \
            f'warmup_interval should be >= 1, but got {warmup_interval}'
        if tag is not None and tag in cls.instance_dict:
            return cls.instance_dict[tag]
        instance = super().__new__(cls)
        instance.log_interval = log_interval
        instance.warmup_interval = warmup_interval
        instance.with_sync = with_sync
        instance.tag = tag
        instance.logger = logger
        instance._count = 0
        instance._total = 0.0
        instance._start = 0.0
        if tag is not None:
            cls.instance_dict[tag] = instance
        return instance

    def _sync(self) -> None:
        if self.with_sync and torch.cuda.is_available():
            torch.cuda.synchronize()

    def __call__(self, fn: Callable) -> Callable:
        if self.tag is None:
            self.tag = fn.__name__
            type(self).instance_dict.setdefault(self.tag, self)

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not is_main_process():
                return fn(*args, **kwargs)
            self._count += 1
            self._sync()
            start = time.perf_counter()
            result = fn(*args, **kwargs)
            self._sync()
            self.print_time(time.perf_counter() - start)
            return result

        return wrapper

    def __enter__(self) -> 'TimeCounter':
        assert self.tag is not None, (
            'In order to clearly distinguish printing information in different '
            'contexts, please specify the tag parameter')
        if is_main_process():
            self._count += 1
            self._sync()
            self._start = time.perf_counter()
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if is_main_process():
            self._sync()
            self.print_time(time.perf_counter() - self._start)

    def print_time(self, elapsed: float) -> None:
        """Add ``elapsed`` seconds (after warm-up); log the average every ``log_interval`` runs."""
        if self._count < self.warmup_interval:
            return
        self._total += elapsed
        if self._count % self.log_interval == 0:
            runs = self._count - self.warmup_interval + 1
            avg_ms = 1000 * self._total / runs
            emit(f'[{self.tag}]-time per run averaged in the past {self._count} runs: '
                 f'{avg_ms:.1f} ms', self.logger)
