"""ParamSchedulerHook: steps the parameter schedulers."""

from __future__ import annotations

from typing import Optional

from engine.registry import HOOKS

from .hook import DATA_BATCH, Hook


def _all_schedulers(param_schedulers) -> list:
    if param_schedulers is None:
        return []
    if isinstance(param_schedulers, list):
        return param_schedulers
    if isinstance(param_schedulers, dict):
        return [s for group in param_schedulers.values() for s in group]
    raise TypeError('runner.param_schedulers should be list of ParamScheduler or a dict '
                    f'containing list of ParamScheduler, but got {param_schedulers}')


@HOOKS.register_module()
class ParamSchedulerHook(Hook):
    """Step iteration-based schedulers after each iteration, epoch-based ones
    after each epoch."""

    priority = 'LOW'

    def after_train_iter(self, runner, batch_idx: int, data_batch: DATA_BATCH = None,
                         outputs: Optional[dict] = None) -> None:
        param_schedulers = runner.param_schedulers
        if not param_schedulers:  # runs every iteration: nothing to do without schedulers
            return
        for scheduler in _all_schedulers(param_schedulers):
            if not scheduler.by_epoch:
                scheduler.step()

    def after_train_epoch(self, runner) -> None:
        for scheduler in _all_schedulers(runner.param_schedulers):
            if scheduler.by_epoch:
                scheduler.step()
