"""EmptyCacheHook: releases cached CUDA memory at chosen points."""

from __future__ import annotations

from typing import Optional, Sequence, Union

import torch

from engine.registry import HOOKS

from .hook import DATA_BATCH, Hook


@HOOKS.register_module()
class EmptyCacheHook(Hook):
    """Call ``torch.cuda.empty_cache()`` before/after epochs or after iterations."""

    priority = 'NORMAL'

    def __init__(self, before_epoch: bool = False, after_epoch: bool = True,
                 after_iter: bool = False) -> None:
        self._do_before_epoch = before_epoch
        self._do_after_epoch = after_epoch
        self._do_after_iter = after_iter

    def _after_iter(self, runner, batch_idx: int, data_batch: DATA_BATCH = None,
                    outputs: Optional[Union[dict, Sequence]] = None, mode: str = 'train') -> None:
        if self._do_after_iter and torch.cuda.is_available():
            torch.cuda.empty_cache()

    def _before_epoch(self, runner, mode: str = 'train') -> None:
        if self._do_before_epoch and torch.cuda.is_available():
            torch.cuda.empty_cache()

    def _after_epoch(self, runner, mode: str = 'train') -> None:
        if self._do_after_epoch and torch.cuda.is_available():
            torch.cuda.empty_cache()
