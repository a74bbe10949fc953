"""IterTimerHook: data and iteration times, and the ETA."""

from __future__ import annotations

import time
from typing import Callable, Optional, Sequence, Union

from engine.registry import HOOKS

from .hook import DATA_BATCH, Hook, specialises_generic


@HOOKS.register_module()
class IterTimerHook(Hook):
    """Record ``{mode}/data_time`` and ``{mode}/time`` per iteration and the ETA."""

    priority = 'NORMAL'

    def __init__(self) -> None:
        self.time_sec_tot = 0.0
        self.time_sec_test_val = 0.0
        self.start_iter = 0
        self.t = time.time()

    # The train times (always floats) go into the hub through appenders
    # (list.append: no Python frame per iteration), fetched on first use and
    # again each run, since the hub may differ.
    _record_data_time: Optional[Callable[[float], None]] = None
    _record_time: Optional[Callable[[float], None]] = None

    def before_train(self, runner) -> None:
        # ETA after a resume counts only the iterations this run did
        self.start_iter = runner.iter
        self._record_data_time = self._record_time = None

    def _before_epoch(self, runner, mode: str = 'train') -> None:
        self.t = time.time()

    def _before_iter(self, runner, batch_idx: int, data_batch: DATA_BATCH = None,
                     mode: str = 'train') -> None:
        runner.message_hub.update_scalar(f'{mode}/data_time', time.time() - self.t)

    def _after_iter(self, runner, batch_idx: int, data_batch: DATA_BATCH = None,
                    outputs: Optional[Union[dict, Sequence]] = None, mode: str = 'train') -> None:
        if mode == 'train':
            # not self.after_train_iter: a subclass overriding only _after_iter gets
            # Hook's forwarding after_train_iter, which would call back here forever
            IterTimerHook.after_train_iter(self, runner, batch_idx, data_batch, outputs)
            return
        hub = runner.message_hub
        now = time.time()
        hub.update_scalar(f'{mode}/time', now - self.t)
        self.t = now
        window = runner.log_processor.window_size
        if self.every_n_inner_iters(batch_idx, window):
            # val/test ETA: the window's mean iteration time for each batch left
            mean_time = hub.get_scalar(f'{mode}/time').mean(window)
            dataloader = runner.val_dataloader if mode == 'val' else runner.test_dataloader
            hub.update_info('eta', mean_time * (len(dataloader) - batch_idx - 1))

    # The train points run every iteration: same work as the generic methods
    # above with the mode fixed, so no keyword forwarding or key formatting.
    @specialises_generic
    def before_train_iter(self, runner, batch_idx: int, data_batch: DATA_BATCH = None) -> None:
        record = self._record_data_time
        if record is None:
            record = self._record_data_time = runner.message_hub.scalar_appender(
                'train/data_time')
        record(time.time() - self.t)

    @specialises_generic
    def after_train_iter(self, runner, batch_idx: int, data_batch: DATA_BATCH = None,
                         outputs: Optional[dict] = None) -> None:
        now = time.time()
        elapsed = now - self.t
        record = self._record_time
        if record is None:
            record = self._record_time = runner.message_hub.scalar_appender('train/time')
        record(elapsed)
        self.t = now
        # The ETA needs the summed iteration times; summing here is the same as
        # the window mean times the window, without reading the hub's history.
        self.time_sec_tot += elapsed
        window = runner.log_processor.window_size
        if window > 0 and (batch_idx + 1) % window == 0:
            done = runner.iter - self.start_iter + 1
            eta = self.time_sec_tot / done * (runner.max_iters - runner.iter - 1)
            runner.message_hub.update_info('eta', eta)
