"""RuntimeInfoHook: publishes the run's state in the message hub."""

from __future__ import annotations

from typing import Optional

import torch

from engine.optim import OptimWrapper
from engine.registry import HOOKS

from .hook import DATA_BATCH, Hook

_PLAIN_GET_LR = OptimWrapper.get_lr
_TRAIN_KEYS: dict = {}  # output name -> 'train/<name>', formatted once


@HOOKS.register_module()
class RuntimeInfoHook(Hook):
    """Write epoch/iter counters, learning rates, losses and metrics into the
    message hub, so components without the runner (schedulers, visualizers,
    user code) can read them with ``MessageHub.get_current_instance()``."""

    priority = 'VERY_HIGH'

    def before_run(self, runner) -> None:
        from engine.runner import __version__
        runner.message_hub.update_info_dict(dict(
            cfg=runner.cfg.pretty_text, seed=runner.seed,
            experiment_name=runner.experiment_name, mmengine_version=__version__,
            engine_version=__version__))

    def before_train(self, runner) -> None:
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
        hub.update_info('iter', runner.iter)
        optim_wrapper = runner.optim_wrapper
        if type(optim_wrapper).get_lr is _PLAIN_GET_LR:
            # what OptimWrapper.get_lr()['lr'][0] is, without building the dict
            hub.update_scalar('train/lr', optim_wrapper.optimizer.param_groups[0]['lr'])
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
            hub = runner.message_hub
            keys = _TRAIN_KEYS
            for key, value in outputs.items():
                name = keys.get(key)
                if name is None:
                    name = keys[key] = f'train/{key}'
                if type(value) is torch.Tensor:
                    try:
                        value = value.item()  # what the hub would do, after more checks
                    except RuntimeError:
                        pass  # several elements: the hub raises its error naming the key
                hub.update_scalar(name, value)

    def after_val_epoch(self, runner, metrics: Optional[dict] = None) -> None:
        if metrics:
            for key, value in metrics.items():
                runner.message_hub.update_scalar(f'val/{key}', value)

    def after_test_epoch(self, runner, metrics: Optional[dict] = None) -> None:
        if metrics:
            for key, value in metrics.items():
                runner.message_hub.update_scalar(f'test/{key}', value)
