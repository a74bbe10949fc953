"""RuntimeInfoHook: publishes the run's state in the message hub."""

from __future__ import annotations

from typing import Any, Callable, Optional

import torch

from engine.optim import OptimWrapper
from engine.registry import HOOKS

from .hook import DATA_BATCH, Hook

_PLAIN_GET_LR = OptimWrapper.get_lr
_TRAIN_KEYS: dict = {}  # output name -> 'train/<name>', formatted once
_NUMBERS = (float, int)  # what an appender may take unchecked
_FLUSH_INTERVAL = 4096  # iterations between moves of appended values into the arrays


def _train_name(key: str) -> str:
    name = _TRAIN_KEYS.get(key)
    if name is None:
        name = _TRAIN_KEYS[key] = f'train/{key}'
    return name


@HOOKS.register_module()
class RuntimeInfoHook(Hook):
    """Write epoch/iter counters, learning rates, losses and metrics into the
    message hub, so components without the runner (schedulers, visualizers,
    user code) can read them with ``MessageHub.get_current_instance()``."""

    priority = 'VERY_HIGH'

    # A per-iteration Python number goes into the hub through an appender
    # (list.append, no Python frame), fetched on first use and again each run,
    # since the hub may differ; anything else takes update_scalar and its checks.
    _record_lr: Optional[Callable[[Any], None]] = None
    _records: Optional[dict] = None  # output name -> appender
    # 'iter' is stored straight into the hub's runtime information (a dict the
    # hub keeps for its life): a store is plain bytecode, where a setter
    # callable runs C paths that are cold on every step.
    _info: Optional[dict] = None

    def before_run(self, runner) -> None:
        from engine.runner import __version__
        runner.message_hub.update_info_dict(dict(
            cfg=runner.cfg.pretty_text, seed=runner.seed,
            experiment_name=runner.experiment_name, mmengine_version=__version__,
            engine_version=__version__))

    def before_train(self, runner) -> None:
        self._record_lr = self._records = self._info = None
        hub = runner.message_hub
        hub.update_info_dict(dict(epoch=runner.epoch, iter=runner.iter,
                                  max_epochs=runner.max_epochs, max_iters=runner.max_iters))
        dataset = getattr(runner.train_dataloader, 'dataset', None)
        metainfo = getattr(dataset, 'metainfo', None)
        if metainfo is not None:
            hub.update_info('dataset_meta', metainfo)

    def before_train_epoch(self, runner) -> None:
        runner.message_hub.update_info('epoch', runner.epoch)

    def before_train_iter(self, runner, batch_idx: int, data_batch: DATA_BATCH = None) -> None:
        hub = runner.message_hub
        iteration = runner.iter
        info = self._info
        if info is None:
            hub.update_info('iter', iteration)  # checks and registers the key
            info = self._info = hub.runtime_info
        info['iter'] = iteration
        if iteration % _FLUSH_INTERVAL == 0:
            hub.flush_scalars()  # appended values nobody has read: bound their lists
        optim_wrapper = runner.optim_wrapper
        if type(optim_wrapper).get_lr is _PLAIN_GET_LR:
            # what OptimWrapper.get_lr()['lr'][0] is, without building the dict
            lr = optim_wrapper.optimizer.param_groups[0]['lr']
            if type(lr) is not float:  # a tensor learning rate, say
                hub.update_scalar('train/lr', lr)
                return
            record = self._record_lr
            if record is None:
                record = self._record_lr = hub.scalar_appender('train/lr')
            record(lr)
            return
        lr_dict = optim_wrapper.get_lr()
        assert isinstance(lr_dict, dict), (
            '`runner.optim_wrapper.get_lr()` should return a dict of learning rates, '
            f'but got {type(lr_dict)}')
        for name, lrs in lr_dict.items():
            hub.update_scalar(f'train/{name}', lrs[0])

    def after_train_iter(self, runner, batch_idx: int, data_batch: DATA_BATCH = None,
                         outputs: Optional[dict] = None) -> None:
        if outputs:
            records = self._records
            if records is None:
                records = self._records = {}
            for key, value in outputs.items():
                if type(value) is torch.Tensor:
                    try:
                        value = value.item()  # what the hub would do, after more checks
                    except RuntimeError:
                        pass  # several elements: the hub raises its error naming the key
                if type(value) in _NUMBERS:
                    record = records.get(key)
                    if record is None:
                        record = records[key] = runner.message_hub.scalar_appender(
                            _train_name(key))
                    record(value)
                else:
                    runner.message_hub.update_scalar(_train_name(key), value)

    def after_val_epoch(self, runner, metrics: Optional[dict] = None) -> None:
        if metrics:
            for key, value in metrics.items():
                runner.message_hub.update_scalar(f'val/{key}', value)

    def after_test_epoch(self, runner, metrics: Optional[dict] = None) -> None:
        if metrics:
            for key, value in metrics.items():
                runner.message_hub.update_scalar(f'test/{key}', value)
