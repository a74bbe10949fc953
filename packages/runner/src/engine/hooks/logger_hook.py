"""LoggerHook: turns the message hub's scalars into log lines and scalar files."""

from __future__ import annotations

import os
import os.path as osp
import sys
from typing import Optional, Sequence, Union

from engine.fileio import dump
from engine.fileio.io import check_args_conflict
from engine.registry import HOOKS
from engine.visualization import LocalVisBackend

from .hook import DATA_BATCH, Hook, int_options, next_multiple_minus_one, resets_quiet_until

SUFFIX_TYPE = Union[Sequence[str], str]


# 'TextLoggerHook' is the name the seed's config examples use (§6.2, §31.2.1).
@HOOKS.register_module(name=['LoggerHook', 'TextLoggerHook'])
class LoggerHook(Hook):
    """Log training every ``interval`` iterations and validation/test results.

    Lines come from ``runner.log_processor``; scalars go to the visualizer's
    backends (``vis_data/scalars.json``, TensorBoard, ...) and to
    ``vis_data/<timestamp>.json``. With ``out_dir`` the run's log files are
    copied there at the end.
    """

    priority = 'BELOW_NORMAL'

    interval = resets_quiet_until('interval')
    ignore_last = resets_quiet_until('ignore_last')
    interval_exp_name = resets_quiet_until('interval_exp_name')
    _quiet_until = 0  # the first batch index after_train_iter has to check

    def __init__(self, interval: int = 10, ignore_last: bool = True,
                 interval_exp_name: int = 1000, out_dir: Optional[Union[str, tuple]] = None,
                 out_suffix: SUFFIX_TYPE = ('.json', '.log', '.py', '.yaml'),
                 keep_local: bool = True, file_client_args: Optional[dict] = None,
                 log_metric_by_epoch: bool = True, backend_args: Optional[dict] = None) -> None:
        check_args_conflict(file_client_args, backend_args)
        if file_client_args is not None:
            if out_dir is None:
                raise ValueError('file_client_args should be "None" when `out_dir` is not '
                                 'specified.')
        if not (out_dir is None or isinstance(out_dir, str)
                or (isinstance(out_dir, tuple) and all(isinstance(o, str) for o in out_dir))):
            raise TypeError('out_dir should be None, a string or a tuple of strings, '
                            f'but got {out_dir!r}')
        interval, interval_exp_name = int_options(
            'LoggerHook', interval=interval, interval_exp_name=interval_exp_name)
        self.interval = interval
        self.ignore_last = ignore_last
        self.interval_exp_name = interval_exp_name
        self.out_dir = out_dir
        self.out_suffix = out_suffix
        self.keep_local = keep_local
        self.log_metric_by_epoch = log_metric_by_epoch
        # the deprecated route keeps FileClient's backend names ('disk', ...)
        self.file_client_args = file_client_args
        self.backend_args = backend_args
        self.json_log_path: Optional[str] = None
        self._epoch_length = -1

    def before_run(self, runner) -> None:
        if self.out_dir is not None:
            from engine.fileio import file_backend_for
            self.file_backend = file_backend_for(self.out_dir, self.file_client_args,
                                                 self.backend_args)
            self.out_dir = self.file_backend.join_path(
                self.out_dir, osp.basename(runner.work_dir.rstrip('/')))
            runner.logger.info(f'Text logs will be saved to {self.out_dir} after the training '
                               'process.')
        self.json_log_path = f'{runner.timestamp}.json'

    def before_train_epoch(self, runner) -> None:
        self._epoch_length = len(runner.train_dataloader)
        self._quiet_until = 0

    def after_train_iter(self, runner, batch_idx: int, data_batch: DATA_BATCH = None,
                         outputs: Optional[dict] = None) -> None:
        # This runs every iteration and most iterations log nothing: each full
        # check also works out the next iteration that may log, and until then
        # one comparison is all.
        if batch_idx < self._quiet_until:
            return
        self._quiet_until = self._next_check(runner, batch_idx)
        last_batch = batch_idx + 1 == self._epoch_length
        n = self.interval_exp_name
        if (n > 0 and (runner.iter + 1) % n == 0) or last_batch:
            runner.logger.info(f'Exp name: {runner.experiment_name}')
        n = self.interval
        if (n > 0 and (batch_idx + 1) % n == 0) or (last_batch and not self.ignore_last):
            tag, log_str = runner.log_processor.get_log_after_iter(runner, batch_idx, 'train')
            runner.logger.info(log_str)
            runner.visualizer.add_scalars(tag, step=runner.iter + 1,
                                          file_path=self.json_log_path)
            _flush(runner.visualizer)

    def _next_check(self, runner, batch_idx: int) -> int:
        """The first batch index after ``batch_idx`` at which either check below
        can be true: a multiple of ``interval``, the epoch's last batch, or an
        iteration that is a multiple of ``interval_exp_name``."""
        done = batch_idx + 1
        candidates = [self._epoch_length - 1] if self._epoch_length > done else []
        if self._interval > 0:
            candidates.append(next_multiple_minus_one(done, self._interval))
        if self._interval_exp_name > 0:
            first_iter = runner.iter - batch_idx  # of this epoch's batch 0
            candidates.append(next_multiple_minus_one(runner.iter + 1, self._interval_exp_name)
                              - first_iter)
        return min(candidates, default=sys.maxsize)  # none: not before the next epoch

    def after_val_iter(self, runner, batch_idx: int, data_batch: DATA_BATCH = None,
                       outputs: Optional[Sequence] = None) -> None:
        if self.every_n_inner_iters(batch_idx, self.interval):
            _, log_str = runner.log_processor.get_log_after_iter(runner, batch_idx, 'val')
            runner.logger.info(log_str)

    def after_test_iter(self, runner, batch_idx: int, data_batch: DATA_BATCH = None,
                        outputs: Optional[Sequence] = None) -> None:
        if self.every_n_inner_iters(batch_idx, self.interval):
            _, log_str = runner.log_processor.get_log_after_iter(runner, batch_idx, 'test')
            runner.logger.info(log_str)

    def after_val_epoch(self, runner, metrics: Optional[dict] = None) -> None:
        tag, log_str = runner.log_processor.get_log_after_epoch(
            runner, len(runner.val_dataloader), 'val')
        runner.logger.info(log_str)
        if self.log_metric_by_epoch:
            scalars = {k: v for k, v in tag.items() if 'time' not in k}
            runner.visualizer.add_scalars(scalars, step=runner.epoch,
                                          file_path=self.json_log_path)
        else:
            runner.visualizer.add_scalars(tag, step=runner.iter, file_path=self.json_log_path)
        _flush(runner.visualizer)

    def after_test_epoch(self, runner, metrics: Optional[dict] = None) -> None:
        tag, log_str = runner.log_processor.get_log_after_epoch(
            runner, len(runner.test_dataloader), 'test')
        runner.logger.info(log_str)
        path = osp.join(runner.log_dir, self.json_log_path or f'{runner.timestamp}.json')
        dump(_jsonable(tag), path, file_format='json')  # atomic: no half-written file

    def after_run(self, runner) -> None:
        _flush(runner.visualizer)
        _close_local_files(runner.visualizer)
        if self.out_dir is None:
            return
        suffixes = (self.out_suffix,) if isinstance(self.out_suffix, str) else \
            tuple(self.out_suffix)
        for root, _, files in os.walk(runner.log_dir):
            for name in files:
                if not name.endswith(suffixes):
                    continue
                local = osp.join(root, name)
                rel = osp.relpath(local, runner.log_dir)
                out = self.file_backend.join_path(self.out_dir, *rel.split(os.sep))
                with open(local, 'rb') as f:
                    self.file_backend.put(f.read(), out)
                runner.logger.info(f'The file {local} has been uploaded to {out}.')
                if not self.keep_local:
                    os.remove(local)
                    runner.logger.info(f'{local} was removed due to the `self.keep_local=False`')


def _flush(visualizer) -> None:
    """Logged scalars reach storage at each log line: a crash loses at most one interval."""
    flush = getattr(visualizer, 'flush', None)  # a user's visualizer may not have one
    if flush is not None:
        flush()


def _close_local_files(visualizer) -> None:
    """Release the scalar files a LocalVisBackend keeps open during a run.

    A later write reopens them. Only the local backend is closed: closing a
    wandb backend would end its run, which a following ``runner.test()`` logs to.
    """
    for backend in getattr(visualizer, 'vis_backends', {}).values():
        if isinstance(backend, LocalVisBackend):
            backend.close()


def _jsonable(obj):
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if hasattr(obj, 'item') and callable(obj.item):
        try:
            return obj.item()
        except (ValueError, RuntimeError):
            return obj.tolist()
    return obj
