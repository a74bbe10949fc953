"""OptimWrapper: one interface over an optimizer for accumulation and clipping."""

from __future__ import annotations

import logging
import sys
from contextlib import nullcontext
from typing import Any, ContextManager, Dict, List, Optional

import torch
import torch.nn as nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.optim import Optimizer

from engine.registry import OPTIM_WRAPPERS
from engine.utils.call_arguments import check_arguments

logger = logging.getLogger(__name__)

_NULL_CONTEXT = nullcontext()


def _current_message_hub() -> Any:
    """The current ``engine.logging.MessageHub`` if that module is loaded, else None.

    engine.logging lives in a higher layer, so it is looked up, never imported:
    when it is not loaded no hub can exist. Like the reference, asking for the
    current hub creates a default one when none exists yet.
    """
    hub_cls = getattr(sys.modules.get('engine.logging'), 'MessageHub', None)
    return None if hub_cls is None else hub_cls.get_current_instance()


def _has_batch_norm(model: nn.Module) -> bool:
    return any(isinstance(m, _BatchNorm) for m in model.modules())


@OPTIM_WRAPPERS.register_module(name=['OptimWrapper', 'OptimizerWrapper'])
class OptimWrapper:
    """Wrap an optimizer to update parameters the same way whatever the setup.

    ``update_params(loss)`` runs backward, and every ``accumulative_counts``
    calls it clips gradients (if ``clip_grad`` is set), steps the optimizer and
    zeroes the gradients. With ``accumulative_counts=1`` it is exactly
    ``loss.backward(); optimizer.step(); optimizer.zero_grad()``.

    Args:
        optimizer: the wrapped ``torch.optim.Optimizer``.
        accumulative_counts: number of backward passes per parameter update.
        clip_grad: keyword arguments of ``torch.nn.utils.clip_grad_norm_``
            (e.g. ``dict(max_norm=1.0)``), or ``dict(type='value', clip_value=...)``
            for ``clip_grad_value_``.

    The norm returned by norm clipping is kept in ``last_grad_norm`` and recorded
    as ``'train/grad_norm'`` in ``message_hub``: the current MessageHub at
    construction when engine-runner's ``engine.logging`` is loaded (anything with
    ``update_scalar`` may be assigned instead; the runner assigns its own).
    """

    def __init__(self, optimizer: Optimizer, accumulative_counts: int = 1,
                 clip_grad: Optional[dict] = None):
        assert isinstance(accumulative_counts, int) and accumulative_counts > 0, (
            'accumulative_counts must be a positive integer, but got '
            f'{accumulative_counts!r}')
        assert isinstance(optimizer, Optimizer), (
            'optimizer must be a `torch.optim.Optimizer` instance, but got '
            f'{type(optimizer).__name__}')
        self.optimizer = optimizer
        self.clip_grad_kwargs: Optional[dict] = None
        self._clip_type = 'norm'
        if clip_grad is not None:
            assert isinstance(clip_grad, dict) and clip_grad, (
                'If `clip_grad` is not None, it should be a `dict` which is the '
                f'arguments of gradient clipping, but got {clip_grad!r}')
            kwargs = dict(clip_grad)  # never mutate the caller's config
            clip_type = kwargs.pop('type', 'norm')
            if clip_type not in ('norm', 'value'):
                raise ValueError('type of clip_grad should be "norm" or "value", '
                                 f'but got {clip_type!r}')
            assert kwargs, ('`clip_grad` needs the arguments of the clipping function '
                            f'besides `type`, but got {clip_grad!r}')
            # a misspelled field fails now, not at the first update
            clip = nn.utils.clip_grad_norm_ if clip_type == 'norm' else nn.utils.clip_grad_value_
            check_arguments(clip, f'clip_grad={kwargs!r} does not fit {clip.__name__}',
                            None, **kwargs)  # None: the parameters
            self._clip_type = clip_type
            self.clip_grad_kwargs = kwargs
        self._accumulative_counts = accumulative_counts
        self._inner_count = 0
        self._max_counts = -1
        self._remainder_counts = -1
        self.message_hub: Any = _current_message_hub()
        self.last_grad_norm: Optional[float] = None

    # ------------------------------------------------------------------ update
    def update_params(self, loss: torch.Tensor, step_kwargs: Optional[Dict] = None,
                      zero_kwargs: Optional[Dict] = None) -> None:
        """Scale the loss, backward, and step + zero_grad when an update is due."""
        replaced = self.__dict__  # methods set on the instance (mocks, wrappers) must run
        if (type(self) is OptimWrapper and self._accumulative_counts == 1
                and not self.clip_grad_kwargs and step_kwargs is None and zero_kwargs is None
                and 'backward' not in replaced and 'zero_grad' not in replaced):
            # The common case, once per training step: the same four calls
            # without the indirections that subclasses and accumulation need.
            loss.backward()
            self._inner_count += 1
            # a parameter scheduler wraps self.step to count the calls: keep it
            counted_step = replaced.get('step')
            if counted_step is None:
                self.optimizer.step()
            else:
                counted_step()
            self.optimizer.zero_grad()
            return
        loss = self.scale_loss(loss)
        self.backward(loss)
        if self.should_update():
            self.step(**(step_kwargs or {}))
            self.zero_grad(**(zero_kwargs or {}))

    def backward(self, loss: torch.Tensor, **kwargs) -> None:
        """``loss.backward(**kwargs)`` and count the pass (overrides must count too)."""
        loss.backward(**kwargs)
        self._inner_count += 1

    def step(self, **kwargs) -> None:
        """Clip gradients if configured, then ``optimizer.step(**kwargs)``."""
        if self.clip_grad_kwargs:
            self._clip_grad()
        self.optimizer.step(**kwargs)

    def zero_grad(self, **kwargs) -> None:
        self.optimizer.zero_grad(**kwargs)

    def _clip_grad(self) -> None:
        params = [p for group in self.optimizer.param_groups for p in group['params']
                  if p.requires_grad and p.grad is not None]
        if not params:
            return
        if self._clip_type == 'value':
            nn.utils.clip_grad_value_(params, **self.clip_grad_kwargs)
            return
        norm = float(nn.utils.clip_grad_norm_(params, **self.clip_grad_kwargs))
        self.last_grad_norm = norm
        if self.message_hub is not None:
            self.message_hub.update_scalar('train/grad_norm', norm)

    # ------------------------------------------------------------ accumulation
    def initialize_count_status(self, model: nn.Module, init_counts: int,
                                max_counts: int) -> None:
        """Prepare accumulation for a run from ``init_counts`` to ``max_counts``.

        When ``max_counts`` is not a multiple of ``accumulative_counts``, the last
        ``max_counts % accumulative_counts`` passes are scaled by the remainder
        and an update is forced on the final one, so no gradient is lost.
        """
        self._inner_count = init_counts
        self._max_counts = max_counts
        self._remainder_counts = max_counts % self._accumulative_counts
        if init_counts % self._accumulative_counts != 0:
            logger.warning(
                'Resumed iteration number is not divisible by accumulative_counts '
                f'({init_counts} % {self._accumulative_counts} != 0): the first '
                'update after resuming accumulates fewer gradients than configured.')
        if self._accumulative_counts > 1 and _has_batch_norm(model):
            logger.warning(
                'Gradient accumulative may slightly decrease performance because '
                'the model has BatchNorm layers.')

    def should_update(self) -> bool:
        """Whether the backward just done completes an accumulation window."""
        return (self._inner_count % self._accumulative_counts == 0
                or self._inner_count == self._max_counts)

    def should_sync(self) -> bool:
        """Whether the next backward completes a window (gradients must sync)."""
        nxt = self._inner_count + 1
        return nxt % self._accumulative_counts == 0 or nxt == self._max_counts

    def scale_loss(self, loss: torch.Tensor) -> torch.Tensor:
        """Divide the loss by the number of passes accumulated into this update."""
        counts = self._accumulative_counts
        if counts == 1:
            return loss
        if self._max_counts == -1:
            factor = counts
        elif self._inner_count < self._max_counts - self._remainder_counts:
            factor = counts
        else:
            factor = self._remainder_counts
        assert factor > 0, (
            'loss_factor should be larger than zero! The inner count '
            f'{self._inner_count} is past max_counts {self._max_counts}; call '
            'initialize_count_status() with the right max_counts.')
        return loss / factor

    @property
    def inner_count(self) -> int:
        return self._inner_count

    def optim_context(self, model: nn.Module) -> ContextManager:
        """Skip DDP gradient all-reduce on passes that do not update parameters."""
        if self._accumulative_counts != 1 and not self.should_sync() \
                and hasattr(model, 'no_sync'):
            return model.no_sync()
        return _NULL_CONTEXT

    # ---------------------------------------------------------------- queries
    def get_lr(self) -> Dict[str, List[float]]:
        return {'lr': [group['lr'] for group in self.optimizer.param_groups]}

    def get_momentum(self) -> Dict[str, List[float]]:
        momentum = []
        for group in self.optimizer.param_groups:
            if 'momentum' in group:
                momentum.append(group['momentum'])
            elif 'betas' in group:
                momentum.append(group['betas'][0])
            else:
                momentum.append(0)
        return {'momentum': momentum}

    @property
    def param_groups(self) -> List[dict]:
        return self.optimizer.param_groups

    @property
    def defaults(self) -> dict:
        return self.optimizer.defaults

    def state_dict(self) -> dict:
        return self.optimizer.state_dict()

    def load_state_dict(self, state_dict: dict) -> None:
        self.optimizer.load_state_dict(state_dict)

    def __repr__(self) -> str:
        return (f'Type: {type(self).__name__}\n'
                f'_accumulative_counts: {self._accumulative_counts}\n'
                f'optimizer: \n{self.optimizer!r}\n')
