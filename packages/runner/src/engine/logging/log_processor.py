"""LogProcessor: turns the MessageHub's scalars into log lines and visualizer tags."""
from __future__ import annotations

import copy
import datetime
import functools
from collections import OrderedDict
from typing import Any, List, Optional, Tuple

import numpy as np

from engine.registry import LOG_PROCESSORS

__all__ = ["LogProcessor"]

# Smoothed over the window by default; everything else logs its latest value.
_MEAN_KEYS = ("time", "data_time", "grad_norm")
_CFG_RESERVED = ("data_src", "log_name", "method_name", "window_size")
_NUMPY_SCALARS = (np.float64, np.int64)  # what HistoryBuffer statistics return


def _plain(value: Any) -> Any:
    """NumPy scalars -> Python numbers, so tags serialise cleanly."""
    if type(value) in _NUMPY_SCALARS:  # the usual case, checked first
        return value.item()
    item = getattr(value, "item", None)
    if item is not None and getattr(value, "ndim", 1) == 0:
        return item()
    return value


@LOG_PROCESSORS.register_module()
class LogProcessor:
    """Format training/validation/test logs from the runner's MessageHub.

    Args:
        window_size: smoothing window (iterations) for losses and times.
        by_epoch: ``Epoch(...)`` headers when True, ``Iter(...)`` otherwise.
        custom_cfg: extra statistics, each ``dict(data_src=..., method_name=...,
            log_name=..., window_size=int | 'epoch' | 'global', **method_kwargs)``;
            without ``log_name`` the result overwrites ``data_src``.
        num_digits: digits after the point (``.{n}f``; learning rates ``.{n}e``).
    """

    def __init__(self, window_size: int = 10, by_epoch: bool = True,
                 custom_cfg: Optional[List[dict]] = None, num_digits: int = 4) -> None:
        self.window_size = window_size
        self.by_epoch = by_epoch
        self.custom_cfg = [dict(cfg) for cfg in custom_cfg] if custom_cfg else []
        self.num_digits = num_digits
        self._check_custom_cfg()

    def _check_custom_cfg(self) -> None:
        names = set()
        for i, cfg in enumerate(self.custom_cfg):
            assert "data_src" in cfg, f"custom_cfg[{i}] must have a `data_src` key, but got {cfg}"
            assert "method_name" in cfg, (
                f"custom_cfg[{i}] must have a `method_name` key, but got {cfg}")
            name = cfg.get("log_name", cfg["data_src"])
            assert name not in names, (
                f"custom_cfg[{i}] writes `{name}`, which an earlier item already writes: items "
                "overwriting the same `data_src` or repeating a `log_name` are ambiguous")
            names.add(name)
            if not self.by_epoch:
                assert cfg.get("window_size") != "epoch", (
                    f"custom_cfg[{i}]: window_size='epoch' needs by_epoch=True "
                    "(got by_epoch=False)")

    # -- public API -----------------------------------------------------------
    def get_log_after_iter(self, runner, batch_idx: int, mode: str) -> Tuple[dict, str]:
        """Tag and log line for iteration ``batch_idx`` of phase ``mode``."""
        assert mode in ("train", "val", "test"), (
            f"mode must be 'train', 'val' or 'test', but got {mode!r}")
        tag = self._collect_scalars(self._parse_window_size(runner, batch_idx), runner, mode)

        cur_iter = self._get_iter(runner, batch_idx)
        if not self.by_epoch and mode == "train":
            header = f"Iter({mode}) [{cur_iter}/{runner.max_iters}]"
        else:
            dataloader_len = len(self._get_cur_loop(runner, mode).dataloader)
            if not self.by_epoch:  # val/test count their own iterations
                header = f"Iter({mode}) [{batch_idx + 1}/{dataloader_len}]"
            elif mode in ("train", "val"):
                epoch = self._get_epoch(runner, mode)
                tag["epoch"] = epoch
                header = f"Epoch({mode}) [{epoch}][{cur_iter}/{dataloader_len}]"
            else:
                header = f"Epoch({mode}) [{cur_iter}/{dataloader_len}]"

        # One pass over the tag (this runs at every log line, on the training
        # step's path): learning rates first, then eta and times, memory, the rest.
        digits = self.num_digits
        lrs, rest = [], []
        for key, value in tag.items():
            if key == "epoch":
                continue
            if key.endswith("lr"):
                lrs.append(f"{key}: {value:.{digits}e}")
            else:
                rest.append((key, value))
        parts = [header]
        if lrs:
            parts.append(" ".join(lrs))
        info = runner.message_hub.runtime_info
        if "time" in tag and "data_time" in tag and "eta" in info:
            parts.append(f"eta: {datetime.timedelta(seconds=int(info['eta']))}")
            parts.append(f"time: {tag['time']:.{digits}f}")
            parts.append(f"data_time: {tag['data_time']:.{digits}f}")
            rest = [(k, v) for k, v in rest if k != "time" and k != "data_time"]
        memory = self._get_max_memory()
        if memory is not None:
            parts.append(f"memory: {memory}")
        if mode == "train":
            parts.extend(f"{k}: {self._fmt(v)}" for k, v in rest)
        return tag, "  ".join(parts)

    def get_log_after_epoch(self, runner, batch_idx: int, mode: str) -> Tuple[dict, str]:
        """Tag and log line at the end of a val/test epoch (``batch_idx`` = dataloader length)."""
        assert mode in ("val", "test"), f"mode must be 'val' or 'test', but got {mode!r}"
        dataloader_len = len(self._get_cur_loop(runner, mode).dataloader)
        tag = self._collect_scalars(self._parse_window_size(runner, batch_idx), runner, mode)
        tag.pop("time", None)
        tag.pop("data_time", None)
        if not self.by_epoch:
            header = f"Iter({mode}) [{dataloader_len}/{dataloader_len}]"
        elif mode == "val":
            epoch = self._get_epoch(runner, mode)
            header = f"Epoch({mode}) [{epoch}][{dataloader_len}/{dataloader_len}]"
        else:
            header = f"Epoch({mode}) [{dataloader_len}/{dataloader_len}]"
        parts = [header] + [f"{k}: {self._fmt(v)}" for k, v in tag.items()]
        return tag, "  ".join(parts)

    # -- helpers --------------------------------------------------------------
    def _fmt(self, value: Any) -> str:
        if isinstance(value, float):
            return f"{value:.{self.num_digits}f}"
        return str(value)

    def _parse_window_size(self, runner, batch_idx: int) -> List[dict]:
        """Copy of custom_cfg with 'epoch'/'global' windows turned into iteration counts."""
        if not self.custom_cfg:
            return []
        parsed = copy.deepcopy(self.custom_cfg)
        for cfg in parsed:
            window = cfg.get("window_size")
            if window is None or isinstance(window, int):
                continue
            if window == "epoch":
                cfg["window_size"] = batch_idx + 1
            elif window == "global":
                cfg["window_size"] = runner.iter + 1
            else:
                raise TypeError("window_size should be an int, 'epoch' or 'global', but got "
                                f"{window!r} (custom_cfg item for {cfg['data_src']!r})")
        return parsed

    _parse_windows_size = _parse_window_size  # the reference's spelling

    def _get_iter(self, runner, batch_idx: Optional[int] = None) -> int:
        """1-based iteration shown in headers: inner (``batch_idx``) by epoch, global otherwise."""
        if self.by_epoch and batch_idx is not None:
            return batch_idx + 1
        return runner.iter + 1

    def _collect_scalars(self, custom_cfg: List[dict], runner, mode: str) -> OrderedDict[str, Any]:
        """Statistics of the ``mode/`` scalars (prefix stripped), then custom_cfg in order."""
        prefix = f"{mode}/"
        start = len(prefix)
        window = self.window_size
        tag: OrderedDict = OrderedDict()
        buffers = {}
        for key, buffer in runner.message_hub.log_scalars.items():
            if not key.startswith(prefix):
                continue
            name = key[start:]
            buffers[name] = buffer
            tag[name] = (buffer._plain_mean(window) if "loss" in name or name in _MEAN_KEYS
                         else buffer._plain_current())
        for cfg in custom_cfg:
            data_src = cfg["data_src"]
            if data_src not in buffers:
                continue
            kwargs = {k: v for k, v in cfg.items() if k not in _CFG_RESERVED}
            if "window_size" in cfg:
                kwargs["window_size"] = cfg["window_size"]
            tag[cfg.get("log_name", data_src)] = _plain(
                buffers[data_src].statistics(method_name=cfg["method_name"], **kwargs))
        return tag

    @staticmethod
    def _get_cur_loop(runner, mode: str):
        # only this mode's loop: reading another one may build it (and its dataloader)
        return getattr(runner, f"{mode}_loop")

    @staticmethod
    def _get_epoch(runner, mode: str) -> int:
        if mode == "train":
            return runner.epoch + 1
        if mode == "val":  # the val loop runs after the train loop has counted the epoch
            return runner.epoch
        raise ValueError(f"mode should be 'train' or 'val' to get an epoch, but got {mode!r}")

    @staticmethod
    def _get_max_memory(runner=None) -> Optional[int]:
        """Peak CUDA memory (MB) of the current device since the last call; None without
        CUDA. ``runner`` is accepted for the reference's signature and not needed."""
        if not _cuda_available():
            return None
        from engine.device import get_max_cuda_memory

        return get_max_cuda_memory()


@functools.cache
def _cuda_available() -> bool:
    """Asked once per process: the answer does not change, and asking takes
    microseconds at every log line."""
    import torch

    return torch.cuda.is_available()
