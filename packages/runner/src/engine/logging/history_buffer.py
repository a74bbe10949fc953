"""HistoryBuffer: the value history behind every logged scalar."""
from __future__ import annotations

import warnings
from typing import Any, Callable, Optional, Sequence, Tuple

import numpy as np

__all__ = ["HistoryBuffer"]

_NUMBER_TYPES = (int, float, np.integer, np.floating)
_FAST_TYPES = (int, float)
_FLUSH_EVERY = 4096


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
        # flat, whatever the input's shape (a (1, n) array or tensor, as np.append would)
        log_history = np.asarray(log_history).reshape(-1)
        count_history = np.asarray(count_history).reshape(-1)
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
        # Updates wait in these lists until something reads the buffer. The lists
        # are never replaced (appender() hands out their append), and the counts
        # list is a prefix: a value past its end counts 1, the usual case.
        self._pending_values: list = []
        self._pending_counts: list = []
        self._set_history(log_history, count_history)

    def _set_history(self, log_history: np.ndarray, count_history: np.ndarray) -> None:
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
        """Append ``log_val`` standing for ``count`` samples; drop the oldest past max_length.

        Runs on every training step, so values are first appended to small Python
        lists and moved into the arrays in bulk when something reads the buffer.
        """
        if type(log_val) not in _FAST_TYPES or type(count) not in _FAST_TYPES:
            if not isinstance(log_val, _NUMBER_TYPES):
                raise TypeError(f"log_val must be int or float but got {type(log_val)}")
            if not isinstance(count, _NUMBER_TYPES):
                raise TypeError(f"count must be int or float but got {type(count)}")
        pending = self._pending_values
        pending.append(log_val)
        if count != 1 or count.__class__ is not int:
            self._count_pending(count)
        if len(pending) >= _FLUSH_EVERY:
            self.flush()

    def _count_pending(self, count: Any) -> None:
        """Give the value just appended ``count`` (the ones before it count 1)."""
        counts = self._pending_counts
        counts.extend([1] * (len(self._pending_values) - 1 - len(counts)))
        counts.append(count)

    def appender(self) -> Callable[[Any], None]:
        """A callable that appends a value counting 1: ``list.append`` itself, so no
        Python frame runs per call (the hooks record each iteration's time, loss
        and learning rate with it).

        Nothing is checked: append numbers only. Appended values move into the
        arrays when the buffer is read or updated after 4096 of them, or when
        :meth:`flush` runs (``RuntimeInfoHook`` flushes the message hub every 4096
        iterations, so buffers nobody reads stay bounded).
        """
        return self._pending_values.append

    def flush(self) -> None:
        """Move the values waiting in Python lists into the arrays (amortised O(1)
        per value)."""
        pending = self._pending_values
        if not pending:
            return
        counts = self._pending_counts
        counts.extend([1] * (len(pending) - len(counts)))
        new_values = np.asarray(pending)
        new_counts = np.asarray(counts)
        pending.clear()  # in place: appender() holds pending.append
        counts.clear()
        if new_values.dtype.kind == "f" and self._values.dtype.kind != "f":
            self._values = self._values.astype(np.float64)
        if new_counts.dtype.kind == "f" and self._counts.dtype.kind != "f":
            self._counts = self._counts.astype(np.float64)
        k = len(new_values)
        if k > self.max_length:
            new_values, new_counts = new_values[-self.max_length:], new_counts[-self.max_length:]
            k = self.max_length
            self._start = self._len  # everything stored so far falls out of the window
        if self._len + k > len(self._values):
            self._make_room(k)
        self._values[self._len:self._len + k] = new_values
        self._counts[self._len:self._len + k] = new_counts
        self._len += k
        self._start = max(self._start, self._len - self.max_length)

    def load_from(self, other: HistoryBuffer) -> None:
        """Take ``other``'s history and max_length, keeping this buffer's identity
        (and so the callables :meth:`appender` returned)."""
        if other is self:
            return
        log_history, count_history = other.data
        self._pending_values.clear()
        self._pending_counts.clear()
        self.max_length = other.max_length
        self._set_history(log_history, count_history)

    def _make_room(self, k: int) -> None:
        """Compact the kept window to the front, growing the arrays if that is not enough."""
        keep_from = max(self._start, self._len + k - self.max_length)
        size = self._len - keep_from
        capacity = len(self._values)
        if size + k > capacity // 2:  # grow, so the next compaction is far away
            capacity = max(16, 2 * (size + k))
        for attr in ("_values", "_counts"):
            old = getattr(self, attr)
            new = old if capacity == len(old) else np.empty(capacity, dtype=old.dtype)
            new[:size] = old[keep_from:self._len]
            setattr(self, attr, new)
        self._start, self._len = 0, size

    # -- views ----------------------------------------------------------------
    @property
    def data(self) -> Tuple[np.ndarray, np.ndarray]:
        """``(log_history, count_history)`` as arrays (copies)."""
        self.flush()
        window = slice(self._start, self._len)
        return self._values[window].copy(), self._counts[window].copy()

    # The reference stores the two arrays under these names, and the seed's
    # register_statistics example (§30.2.4) reads them: views of the kept window.
    @property
    def _log_history(self) -> np.ndarray:
        window = self._window(None)  # first: the flush may replace the arrays
        return self._values[window]

    @property
    def _count_history(self) -> np.ndarray:
        window = self._window(None)
        return self._counts[window]

    def __len__(self) -> int:
        self.flush()
        return self._len - self._start

    def __repr__(self) -> str:
        return f"HistoryBuffer(len={len(self)}, max_length={self.max_length})"

    def _window(self, window_size: Optional[int]) -> slice:
        self.flush()
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

    # Log lines read a short window every few iterations. While that window is
    # still in the pending lists, these statistics are computed on the lists:
    # no flush, no NumPy call (microseconds each on a training step's path).
    # Results keep the NumPy scalar types the array path returns.

    def _pending_tail(self, window_size: Optional[int]) -> Optional[list]:
        pending = self._pending_values
        if len(pending) >= _FLUSH_EVERY:  # values appended unchecked: bound the list
            self.flush()
            return None
        if (type(window_size) is int and 0 < window_size <= len(pending)
                and window_size <= self.max_length):
            return pending[-window_size:]
        return None

    def _pending_count_sum(self, window_size: int) -> Any:
        """Sum of the counts of the last ``window_size`` pending values."""
        counts = self._pending_counts
        start = len(self._pending_values) - window_size
        if len(counts) <= start:  # all past the explicit counts: ones
            return window_size
        return sum(counts[start:]) + len(self._pending_values) - len(counts)

    def _scalar(self, value: Any) -> Any:
        """``value`` as the NumPy scalar a flushed array would hold."""
        if type(value) is float or self._values.dtype.kind == "f":
            return np.float64(value)
        if any(type(v) is not int for v in self._pending_values):
            return np.float64(value)  # the flush would make the array float
        return np.int64(value)

    def mean(self, window_size: Optional[int] = None) -> np.ndarray:
        """Count-weighted mean of the last ``window_size`` values (all when None)."""
        tail = self._pending_tail(window_size)
        if tail is not None:
            return np.float64(sum(tail) / self._pending_count_sum(window_size))
        window = self._window(window_size)
        return self._values[window].sum() / self._counts[window].sum()

    # Log lines want Python numbers: these two skip making a NumPy scalar only to
    # convert it back, which costs microseconds each on a training step's path.

    def _plain_mean(self, window_size: Optional[int] = None) -> Any:
        """``mean(window_size)`` as a Python number."""
        tail = self._pending_tail(window_size)
        if tail is not None:
            return sum(tail) / self._pending_count_sum(window_size)
        return self.mean(window_size).item()

    def _plain_current(self) -> Any:
        """``current()`` as a Python number."""
        pending = self._pending_values
        if pending and type(pending[-1]) is float and len(pending) < _FLUSH_EVERY:
            return pending[-1]
        return self.current().item()

    def max(self, window_size: Optional[int] = None) -> np.ndarray:
        """Largest of the last ``window_size`` values (all when None)."""
        tail = self._pending_tail(window_size)
        if tail is not None:
            return self._scalar(max(tail))
        window = self._window(window_size)  # first: the flush may replace the arrays
        return self._values[window].max()

    def min(self, window_size: Optional[int] = None) -> np.ndarray:
        """Smallest of the last ``window_size`` values (all when None)."""
        tail = self._pending_tail(window_size)
        if tail is not None:
            return self._scalar(min(tail))
        window = self._window(window_size)  # first: the flush may replace the arrays
        return self._values[window].min()

    def current(self) -> np.ndarray:
        """The latest value; ValueError when the buffer is empty."""
        if 0 < len(self._pending_values) < _FLUSH_EVERY:
            return self._scalar(self._pending_values[-1])
        self.flush()
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
