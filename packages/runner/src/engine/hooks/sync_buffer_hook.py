"""SyncBuffersHook: averages model buffers (BN statistics) across ranks."""

from __future__ import annotations

from engine.dist import all_reduce_params, is_distributed
from engine.registry import HOOKS

from .hook import Hook


@HOOKS.register_module()
class SyncBuffersHook(Hook):
    """After each training epoch, all-reduce (mean) the model's buffers."""

    priority = 'NORMAL'

    def __init__(self) -> None:
        self.distributed = is_distributed()

    def after_train_epoch(self, runner) -> None:
        if self.distributed:
            all_reduce_params(runner.model.buffers(), op='mean')
