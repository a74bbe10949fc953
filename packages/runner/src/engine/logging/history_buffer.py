"""HistoryBuffer: the value history behind every logged scalar."""
from __future__ import annotations

import warnings
from typing import Any, Callable, Optional, Sequence, Tuple

import numpy as np

__all__ = ["HistoryBuffer"]

_NUMBER_TYPES = (int, float, np.integer, np.floating)


class HistoryBuffer:
    """Values and their counts, with windowed statistics.

    ``count`` says how many samples (or iterations) a value stands for; only
    :meth:`mean` uses it. Storage is a pair of NumPy arrays that grow
    geometrically, so :meth:`update` is amortised O(1) (it runs on every
    training step) while statistics still slice plain arrays.
    """

    _statistics_methods: dict = {}

    def __init__(self, log_history: Sequence = (), count_history: Sequence = (),
                 max_length: int = 1000000) -> None:
        assert isinstance(max_length, int) and max_length > 0, (
            f"max_length must be a positive int, but got {max_length!r}")
        self.max_length = max_length
        log_history = np.asarray(log_history)
        count_history = np.asarray(count_history)
        assert len(log_history) == len(count_history), (
            "The lengths of log_history and count_history should be equal, but got "
            f"{len(log_history)} and {len(count_history)}")
        if len(log_history) > max_length:
            warnings.warn(
                f"The length of history buffer({len(log_history)}) exceeds the "
                f"max_length({max_length}), the first few elements will be ignored.",
                stacklevel=2)
            log_history = log_history[-max_length:]
            count_history = count_history[-max_length:]
        self._start = 0
        self._len = len(log_history)
        capacity = max(16, self._len * 2)
        self._values = self._alloc(log_history, capacity)
        self._counts = self._alloc(count_history, capacity)

    @staticmethod
    def _alloc(data: np.ndarray, capacity: int) -> np.ndarray:
        if data.dtype.kind not in "iufb" and len(data):
            raise TypeError(f"history values must be numbers, but got dtype {data.dtype}")
        dtype = data.dtype if data.dtype.kind in "iuf" else np.dtype(np.int64)
        buf = np.empty(capacity, dtype=dtype)
        buf[:len(data)] = data
        return buf

    # -- mutation -------------------------------------------------------------
    def update(self, log_val: Any, count: Any = 1) -> None:
        """Append ``log_val`` standing for ``count`` samples; drop the oldest past max_length."""
        if not isinstance(log_val, _NUMBER_TYPES):
            raise TypeError(f"log_val must be int or float but got {type(log_val)}")
        if not isinstance(count, _NUMBER_TYPES):
            raise TypeError(f"count must be int or float but got {type(count)}")
        n = self._len
        if n == len(self._values):
            self._grow()
            n = self._len
        values, counts = self._values, self._counts
        if values.dtype.kind != "f" and not isinstance(log_val, (int, np.integer)):
            values = self._values = values.astype(np.float64)
        if counts.dtype.kind != "f" and not isinstance(count, (int, np.integer)):
            counts = self._counts = counts.astype(np.float64)
        values[n] = log_val
        counts[n] = count
        self._len = n + 1
        if n + 1 - self._start > self.max_length:
            self._start += 1

    def _grow(self) -> None:
        """Make room for one more entry: compact the kept window to the front, or double."""
        start, n = self._start, self._len
        size = n - start
        if size < len(self._values) // 2 or len(self._values) >= 2 * self.max_length:
            # Compacting costs O(size) and frees at least half the array: amortised O(1).
            self._values[:size] = self._values[start:n]
            self._counts[:size] = self._counts[start:n]
            self._start, self._len = 0, size
            return
        capacity = min(len(self._values) * 2, 2 * self.max_length)
        for attr in ("_values", "_counts"):
            old = getattr(self, attr)
            new = np.empty(capacity, dtype=old.dtype)
            new[:size] = old[start:n]
            setattr(self, attr, new)
        self._start, self._len = 0, size

    # -- views ----------------------------------------------------------------
    @property
    def data(self) -> Tuple[np.ndarray, np.ndarray]:
        """``(log_history, count_history)`` as arrays (copies)."""
        window = slice(self._start, self._len)
        return self._values[window].copy(), self._counts[window].copy()

    def __len__(self) -> int:
        return self._len - self._start

    def __repr__(self) -> str:
        return f"HistoryBuffer(len={len(self)}, max_length={self.max_length})"

    def _window(self, window_size: Optional[int]) -> slice:
        if window_size is None:
            return slice(self._start, self._len)
        assert isinstance(window_size, int) and not isinstance(window_size, bool), (
            f"The type of window size should be int, but got {type(window_size)}")
        return slice(max(self._start, self._len - window_size), self._len)

    # -- statistics -----------------------------------------------------------
    @classmethod
    def register_statistics(cls, method: Callable) -> Callable:
        """Decorator: make ``method(buffer, *a)`` callable as ``buffer.statistics(name, *a)``."""
        name = method.__name__
        assert name not in cls._statistics_methods, (
            f"method_name {name} cannot be registered twice!")
        cls._statistics_methods[name] = method
        return method

    def statistics(self, method_name: str, *arg, **kwargs) -> Any:
        """Call the registered statistic ``method_name`` on this buffer."""
        if method_name not in self._statistics_methods:
            raise KeyError(f"{method_name} has not been registered in "
                           "HistoryBuffer._statistics_methods "
                           f"(registered: {sorted(self._statistics_methods)})")
        return self._statistics_methods[method_name](self, *arg, **kwargs)

    def mean(self, window_size: Optional[int] = None) -> np.ndarray:
        """Count-weighted mean of the last ``window_size`` values (all when None)."""
        window = self._window(window_size)
        return self._values[window].sum() / self._counts[window].sum()

    def max(self, window_size: Optional[int] = None) -> np.ndarray:
        """Largest of the last ``window_size`` values (all when None)."""
        return self._values[self._window(window_size)].max()

    def min(self, window_size: Optional[int] = None) -> np.ndarray:
        """Smallest of the last ``window_size`` values (all when None)."""
        return self._values[self._window(window_size)].min()

    def current(self) -> np.ndarray:
        """The latest value; ValueError when the buffer is empty."""
        if self._len == self._start:
            raise ValueError("HistoryBuffer.current() is called on an empty buffer: "
                             "update it first")
        return self._values[self._len - 1]

    # -- pickling -------------------------------------------------------------
    def __getstate__(self) -> dict:
        log_history, count_history = self.data
        return {"max_length": self.max_length, "log_history": log_history,
                "count_history": count_history}

    def __setstate__(self, state: dict) -> None:
        if "_log_history" in state:  # layout written by the reference implementation
            state = {"log_history": state["_log_history"], "count_history": state["_count_history"],
                     "max_length": state.get("max_length", 1000000)}
        self.__init__(state["log_history"], state["count_history"], state["max_length"])


for _name in ("min", "max", "current", "mean"):
    HistoryBuffer._statistics_methods[_name] = getattr(HistoryBuffer, _name)
