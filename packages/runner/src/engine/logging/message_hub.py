"""MessageHub: the run-wide board where components post scalars and runtime info."""
from __future__ import annotations

import copy
import warnings
from collections import OrderedDict
from typing import Any, Callable, Optional, Union

import numpy as np

from engine.utils import ManagerMixin

from .history_buffer import _FLUSH_EVERY, HistoryBuffer

__all__ = ["MessageHub"]

_PLAIN_NUMBERS = (int, float)


def _to_number(key: str, value: Any) -> Union[int, float]:
    """Turn a 1-element tensor/array into a Python number; numbers pass through."""
    if isinstance(value, _PLAIN_NUMBERS):
        return value
    if isinstance(value, (np.ndarray, np.number)):
        assert value.size == 1, (
            f"The value of {key!r} must be a scalar or a 1-element array, "
            f"but got shape {value.shape}")
        return value.item()
    numel = getattr(value, "numel", None)
    if numel is not None and hasattr(value, "item"):  # torch.Tensor, without importing torch here
        assert numel() == 1, (
            f"The value of {key!r} must be a scalar or a 1-element tensor, but got shape "
            f"{tuple(value.shape)}")
        return value.item()
    raise TypeError(f"The value of {key!r} must be int, float, a 1-element ndarray or tensor, "
                    f"but got {type(value)}")


def _as_list(values: Any) -> Any:
    """A tensor's or array's values as a list (a tensor may be on a GPU); others as is."""
    return values.tolist() if hasattr(values, "tolist") else values


class MessageHub(ManagerMixin):
    """Shared store of logged scalars (as HistoryBuffers) and runtime information.

    Keys whose ``resumed`` flag is True are saved by :meth:`state_dict` (and
    therefore in checkpoints); the flag of a key is fixed on its first use.
    """

    def __init__(self, name: str, log_scalars: Optional[OrderedDict] = None,
                 runtime_info: Optional[OrderedDict] = None,
                 resumed_keys: Optional[OrderedDict] = None) -> None:
        super().__init__(name)
        self._log_scalars = self._check_ordered("log_scalars", log_scalars)
        self._runtime_info = self._check_ordered("runtime_info", runtime_info)
        self._resumed_keys = self._check_ordered("resumed_keys", resumed_keys)
        for key, value in self._log_scalars.items():
            assert isinstance(value, HistoryBuffer), (
                f"The value of log_scalars[{key!r}] must be a HistoryBuffer, but got {type(value)}")
        for key in self._resumed_keys:
            assert key in self._log_scalars or key in self._runtime_info, (
                f"Key {key!r} in `resumed_keys` must be a key of `log_scalars` or `runtime_info`")

    @staticmethod
    def _check_ordered(arg: str, value: Optional[OrderedDict]) -> OrderedDict:
        if value is None:
            return OrderedDict()
        assert isinstance(value, OrderedDict), (
            f"`{arg}` must be an OrderedDict, but got {type(value)}")
        return value

    @classmethod
    def get_current_instance(cls) -> MessageHub:
        """The latest created hub; creates one named ``'mmengine'`` when there is none."""
        if not cls._instance_dict:
            cls.get_instance("mmengine")
        return super().get_current_instance()

    # -- scalars --------------------------------------------------------------
    def update_scalar(self, key: str, value: Any, count: int = 1, resumed: bool = True) -> None:
        """Append ``value`` (standing for ``count`` samples) to the history of ``key``.

        On every training step's path: plain numbers skip all conversion.
        """
        if type(value) not in _PLAIN_NUMBERS:
            value = _to_number(key, value)
        buffer = self._log_scalars.get(key)
        if (buffer is not None and count.__class__ is int and count == 1
                and self._resumed_keys.get(key) is resumed):
            # a known key updated as before with the usual count: HistoryBuffer.update
            # without its checks (and its call)
            pending = buffer._pending_values
            pending.append(value)
            if len(pending) >= _FLUSH_EVERY:
                buffer.flush()
            return
        assert isinstance(count, int), (
            f"The type of count must be int, but got {type(count)}: {count}")
        known = self._resumed_keys.setdefault(key, resumed)
        if known != resumed:
            self._raise_resumed(key, known, resumed)
        if buffer is None:
            self._log_scalars[key] = HistoryBuffer([value], [count])
        else:
            buffer.update(value, count)

    def scalar_appender(self, key: str, resumed: bool = True) -> Callable[[Any], None]:
        """A callable appending a number (count 1) to the history of ``key``, for
        updates once per iteration: it is ``list.append``, so no Python frame runs.

        The values are not checked (append ints and floats only), and they stay in
        a Python list until the buffer is read or :meth:`flush_scalars` runs. The
        callable stays valid while ``key`` keeps its buffer (``load_state_dict``
        loads into existing buffers).
        """
        known = self._resumed_keys.setdefault(key, resumed)
        if known != resumed:
            self._raise_resumed(key, known, resumed)
        buffer = self._log_scalars.get(key)
        if buffer is None:
            buffer = self._log_scalars[key] = HistoryBuffer()
        return buffer.appender()

    def flush_scalars(self) -> None:
        """Move appended values into every buffer's arrays (bounds their memory)."""
        for buffer in self._log_scalars.values():
            buffer.flush()

    def update_scalars(self, log_dict: dict, resumed: bool = True) -> None:
        """Update several scalars; each value is a number or ``dict(value=..., count=...)``."""
        assert isinstance(log_dict, dict), f"`log_dict` must be a dict, but got {type(log_dict)}"
        update = self.update_scalar
        for key, item in log_dict.items():
            if isinstance(item, dict):
                assert "value" in item, f"log_dict[{key!r}] must have a 'value' key, but got {item}"
                count = item.get("count", 1)
                if type(count) is not int:  # a 1-element tensor/array counts too (reference)
                    count = _to_number(f"{key}.count", count)
                update(key, item["value"], count, resumed)
            else:
                update(key, item, 1, resumed)

    # -- runtime info ---------------------------------------------------------
    def update_info(self, key: str, value: Any, resumed: bool = True) -> None:
        """Set runtime information ``key`` to ``value`` (overwrites)."""
        known = self._resumed_keys.setdefault(key, resumed)
        if known != resumed:
            self._raise_resumed(key, known, resumed)
        self._runtime_info[key] = value

    def update_info_dict(self, info_dict: dict, resumed: bool = True) -> None:
        """Set several runtime information entries."""
        assert isinstance(info_dict, dict), f"`info_dict` must be a dict, but got {type(info_dict)}"
        for key, value in info_dict.items():
            self.update_info(key, value, resumed=resumed)

    @staticmethod
    def _raise_resumed(key: str, known: bool, resumed: bool) -> None:
        raise AssertionError(f"{key} used to be {known}, but got {resumed} now. resumed keys "
                             "cannot be modified repeatedly.")

    # -- accessors ------------------------------------------------------------
    @property
    def log_scalars(self) -> OrderedDict:
        """All scalar histories, key -> HistoryBuffer."""
        return self._log_scalars

    @property
    def runtime_info(self) -> OrderedDict:
        """All runtime information, key -> value."""
        return self._runtime_info

    def get_scalar(self, key: str) -> HistoryBuffer:
        """The HistoryBuffer of ``key`` (the stored object, not a copy)."""
        try:
            return self._log_scalars[key]
        except KeyError:
            raise KeyError(f"{key!r} is not found in the scalars of MessageHub "
                           f"{self.instance_name!r}; known keys: {list(self._log_scalars)}"
                           ) from None

    def get_info(self, key: str) -> Any:
        """The runtime information stored under ``key``."""
        try:
            return self._runtime_info[key]
        except KeyError:
            raise KeyError(f"{key!r} is not found in the runtime info of MessageHub "
                           f"{self.instance_name!r}; known keys: {list(self._runtime_info)}"
                           ) from None

    # -- persistence ----------------------------------------------------------
    def state_dict(self) -> dict:
        """Deep copies of the entries whose resumed flag is True."""
        log_scalars: OrderedDict = OrderedDict()
        runtime_info: OrderedDict = OrderedDict()
        for key, buffer in self._log_scalars.items():
            if self._resumed_keys.get(key, False):
                log_scalars[key] = copy.deepcopy(buffer)
        for key, value in self._runtime_info.items():
            if self._resumed_keys.get(key, False):
                try:
                    runtime_info[key] = copy.deepcopy(value)
                except Exception:
                    warnings.warn(f"{key} in message_hub cannot be copied, "
                                  "just return its reference.", stacklevel=2)
                    runtime_info[key] = value
        # Only the saved keys: listing the others would make every resume warn about them.
        resumed_keys = OrderedDict((k, True) for k in (*log_scalars, *runtime_info))
        return dict(log_scalars=log_scalars, runtime_info=runtime_info, resumed_keys=resumed_keys)

    def _into_existing(self, key: str, loaded: HistoryBuffer) -> HistoryBuffer:
        """The buffer to keep under ``key``: the existing one, holding ``loaded``'s
        history (so a scalar_appender of it stays valid), else ``loaded`` itself."""
        existing = self._log_scalars.get(key)
        if existing is None:
            return loaded
        existing.load_from(loaded)
        return existing

    def load_state_dict(self, state_dict: Union[MessageHub, dict]) -> None:
        """Restore from :meth:`state_dict` output, or copy everything from another hub.

        Also takes a checkpoint's ``message_hub`` entry, whose scalars engine
        stores as tensors (``log_history``, ``count_history``, ``max_length``).
        """
        if isinstance(state_dict, MessageHub):
            self._log_scalars = OrderedDict(
                (key, self._into_existing(key, buffer))
                for key, buffer in copy.deepcopy(state_dict._log_scalars).items())
            info = copy.deepcopy(state_dict._runtime_info)
            self._runtime_info.clear()  # in place: RuntimeInfoHook holds the dict
            self._runtime_info.update(info)
            self._resumed_keys = copy.deepcopy(state_dict._resumed_keys)
            return
        assert isinstance(state_dict, dict), (
            f"state_dict must be a dict or a MessageHub, but got {type(state_dict)}")
        for key in ("log_scalars", "runtime_info", "resumed_keys"):
            assert key in state_dict, (
                f"The loaded `state_dict` of MessageHub must contain key: `{key}`")
        for key, value in state_dict["log_scalars"].items():
            if isinstance(value, dict) and "log_history" in value and "count_history" in value:
                # the tensor form engine's checkpoints store (loadable with weights_only=True),
                # on whatever device the checkpoint was mapped to: .tolist() reads any
                length = {} if "max_length" not in value else \
                    {"max_length": int(value["max_length"])}  # else HistoryBuffer's default
                value = HistoryBuffer(_as_list(value["log_history"]),
                                      _as_list(value["count_history"]), **length)
            if not isinstance(value, HistoryBuffer):
                warnings.warn(f"The value of log_scalars[{key!r}] is {type(value)}, not a "
                              "HistoryBuffer; it is skipped", stacklevel=2)
                continue
            self._log_scalars[key] = self._into_existing(key, value)
        for key, value in state_dict["runtime_info"].items():
            try:
                self._runtime_info[key] = copy.deepcopy(value)
            except Exception:
                warnings.warn(f"{key} in message_hub cannot be copied, just return its reference.",
                              stacklevel=2)
                self._runtime_info[key] = value
        for key, value in state_dict["resumed_keys"].items():
            if key not in self._log_scalars and key not in self._runtime_info:
                warnings.warn(f"resumed key: {key} is not defined in message_hub, it is skipped",
                              stacklevel=2)
                continue
            if not value:
                warnings.warn(f"Although resumed key: {key} is False, {key} will still be loaded "
                              "this time. This key will not be saved by the next calling of "
                              "`MessageHub.state_dict()`", stacklevel=2)
            self._resumed_keys[key] = value
