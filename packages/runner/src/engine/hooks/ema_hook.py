"""EMAHook: keeps an averaged copy of the model and evaluates with it."""

from __future__ import annotations

import copy
import itertools
import warnings
from typing import Optional

from engine.registry import HOOKS, MODELS

from .hook import DATA_BATCH, Hook


@HOOKS.register_module()
class EMAHook(Hook):
    """Maintain ``ema_type`` (an averaged model from ``MODELS``) during training.

    Validation and test run with the averaged weights (swapped in and out
    around each evaluation epoch), and checkpoints store the averaged weights
    as ``state_dict`` with the training weights under ``ema_state_dict``.
    """

    priority = 'NORMAL'

    def __init__(self, ema_type: str = 'ExponentialMovingAverage', strict_load: bool = True,
                 begin_iter: int = 0, begin_epoch: int = 0, **kwargs) -> None:
        self.strict_load = strict_load
        self.ema_cfg = dict(type=ema_type, **kwargs)
        assert not (begin_iter != 0 and begin_epoch != 0), (
            '`begin_iter` and `begin_epoch` should not be both set.')
        assert begin_iter >= 0, f'begin_iter must not be negative, but got {begin_iter}'
        assert begin_epoch >= 0, f'begin_epoch must not be negative, but got {begin_epoch}'
        self.begin_iter = begin_iter
        self.begin_epoch = begin_epoch
        self.enabled_by_epoch = begin_epoch > 0

    def before_run(self, runner) -> None:
        model = runner.model
        self.src_model = model.module if hasattr(model, 'module') and \
            _is_wrapper(model) else model
        self.ema_model = MODELS.build(self.ema_cfg, default_args=dict(model=self.src_model))

    def before_train(self, runner) -> None:
        if self.enabled_by_epoch:
            assert self.begin_epoch <= runner.max_epochs, (
                'self.begin_epoch should be smaller than or equal to runner.max_epochs: '
                f'{runner.max_epochs}, but got begin_epoch: {self.begin_epoch}')
        else:
            assert self.begin_iter <= runner.max_iters, (
                'self.begin_iter should be smaller than or equal to runner.max_iters: '
                f'{runner.max_iters}, but got begin_iter: {self.begin_iter}')

    def _ema_started(self, runner) -> bool:
        if self.enabled_by_epoch:
            return runner.epoch + 1 >= self.begin_epoch
        return runner.iter + 1 >= self.begin_iter

    def after_train_iter(self, runner, batch_idx: int, data_batch: DATA_BATCH = None,
                         outputs: Optional[dict] = None) -> None:
        if self._ema_started(runner):
            self.ema_model.update_parameters(self.src_model)
        else:
            ema_params = self.ema_model.module.state_dict()
            for key, value in self.src_model.state_dict().items():
                ema_params[key].data.copy_(value.data)

    def before_val_epoch(self, runner) -> None:
        self._swap_ema_parameters()

    def after_val_epoch(self, runner, metrics: Optional[dict] = None) -> None:
        self._swap_ema_parameters()

    def before_test_epoch(self, runner) -> None:
        self._swap_ema_parameters()

    def after_test_epoch(self, runner, metrics: Optional[dict] = None) -> None:
        self._swap_ema_parameters()

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        from engine.runner.checkpoint import weights_to_cpu
        # on the CPU like the rest of the checkpoint: it loads on any machine
        checkpoint['ema_state_dict'] = weights_to_cpu(self.ema_model.state_dict())
        # the saved model weights are the averaged ones
        self._swap_ema_state_dict(checkpoint)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        from engine.runner.checkpoint import load_state_dict
        if 'ema_state_dict' in checkpoint and runner._resume:
            # swap back so the model gets its training weights
            self._swap_ema_state_dict(checkpoint)
            self.ema_model.load_state_dict(checkpoint['ema_state_dict'],
                                           strict=self.strict_load)
            return
        if runner._resume:
            warnings.warn('There is no `ema_state_dict` in checkpoint. `EMAHook` will make a '
                          'copy of `state_dict` as the initial `ema_state_dict`', stacklevel=2)
        load_state_dict(self.ema_model.module, copy.deepcopy(checkpoint['state_dict']),
                        strict=self.strict_load)

    def _swap_ema_parameters(self) -> None:
        if self.ema_model.update_buffers:
            avg = itertools.chain(self.ema_model.module.parameters(),
                                  self.ema_model.module.buffers())
            src = itertools.chain(self.src_model.parameters(), self.src_model.buffers())
        else:
            avg = self.ema_model.module.parameters()
            src = self.src_model.parameters()
        for p_avg, p_src in zip(avg, src):
            tmp = p_avg.data.clone()
            p_avg.data.copy_(p_src.data)
            p_src.data.copy_(tmp)

    def _swap_ema_state_dict(self, checkpoint: dict) -> None:
        model_state = checkpoint['state_dict']
        ema_state = checkpoint['ema_state_dict']
        for key in ema_state:
            if key[:7] == 'module.':
                tmp = ema_state[key]
                ema_state[key] = model_state[key[7:]]
                model_state[key[7:]] = tmp


def _is_wrapper(model) -> bool:
    from engine.model import is_model_wrapper
    return is_model_wrapper(model)
