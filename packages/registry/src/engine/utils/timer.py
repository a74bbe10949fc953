"""Timer: measure elapsed wall time, as a context manager or by hand."""

from __future__ import annotations

import time
from typing import Any

__all__ = ['Timer', 'TimerError', 'check_time']


class TimerError(Exception):
    """Timer misuse (e.g. reading a timer that is not running)."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class Timer:
    """Elapsed-time counter.

    ``with Timer(print_tmpl='it takes {:.1f} seconds'): ...`` prints the time
    spent in the block.
    """

    def __init__(self, start: bool = True, print_tmpl: str | None = None) -> None:
        self._is_running = False
        self.print_tmpl = print_tmpl if print_tmpl else '{:.3f}'
        if start:
            self.start()

    @property
    def is_running(self) -> bool:
        """Whether the timer is running."""
        return self._is_running

    def __enter__(self) -> Timer:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        print(self.print_tmpl.format(self.since_last_check()))
        self._is_running = False

    def start(self) -> None:
        """Start the timer if needed, and reset the last-check time."""
        if not self._is_running:
            self._t_start = time.time()
            self._is_running = True
        self._t_last = time.time()

    def since_start(self) -> float:
        """Seconds since the start (counts as a check)."""
        if not self._is_running:
            raise TimerError('timer is not running')
        self._t_last = time.time()
        return self._t_last - self._t_start

    def since_last_check(self) -> float:
        """Seconds since the last check (or the start); resets the check time."""
        if not self._is_running:
            raise TimerError('timer is not running')
        now = time.time()
        elapsed = now - self._t_last
        self._t_last = now
        return elapsed


_g_timers: dict[Any, Timer] = {}


def check_time(timer_id: Any) -> float:
    """Seconds since the previous call with ``timer_id`` (0 on the first call)."""
    if timer_id not in _g_timers:
        _g_timers[timer_id] = Timer()
        return 0
    return _g_timers[timer_id].since_last_check()
