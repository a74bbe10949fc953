"""AmpOptimWrapper: mixed-precision training with a GradScaler, on CUDA or CPU."""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from typing import Iterator, Optional, Union

import torch
import torch.nn as nn

from engine.registry import OPTIM_WRAPPERS

from .optimizer_wrapper import OptimWrapper

_DTYPE_NAMES = ('float16', 'bfloat16', 'float32', 'float64')


def _resolve_dtype(dtype: Union[None, str, torch.dtype]) -> Optional[torch.dtype]:
    if dtype is None or isinstance(dtype, torch.dtype):
        return dtype
    assert isinstance(dtype, str) and dtype in _DTYPE_NAMES, (
        f'dtype should be None, a torch.dtype or one of {_DTYPE_NAMES}, but got {dtype!r}')
    return getattr(torch, dtype)


def _amp_device_type(optimizer: torch.optim.Optimizer) -> str:
    """The device autocast and the GradScaler work on.

    Parameters on an accelerator decide; otherwise CUDA when it is present (the
    reference supported CUDA only and moved the model later), else the CPU.
    """
    for group in getattr(optimizer, 'param_groups', ()):
        for param in group['params']:
            if param.device.type != 'cpu':
                return param.device.type
    return 'cuda' if torch.cuda.is_available() else 'cpu'


def _grad_scaler(device_type: str, **kwargs) -> torch.amp.GradScaler:
    cuda_scaler = getattr(torch.cuda.amp, 'GradScaler', None)
    if device_type == 'cuda' and cuda_scaler is not None:
        # the deprecated CUDA subclass: code written for the reference checks
        # isinstance(loss_scaler, torch.cuda.amp.GradScaler)
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', FutureWarning)
            return cuda_scaler(**kwargs)
    return torch.amp.GradScaler(device_type, **kwargs)


@OPTIM_WRAPPERS.register_module()
class AmpOptimWrapper(OptimWrapper):
    """OptimWrapper for automatic mixed precision.

    ``optim_context(model)`` runs the forward pass under ``torch.autocast`` (CUDA:
    float16 by default; CPU: bfloat16 by default) on the parameters' accelerator,
    or on CUDA when present, else on the CPU; the loss is scaled by a
    ``GradScaler`` (``torch.cuda.amp.GradScaler`` on CUDA) before backward.

    Args:
        loss_scale: ``'dynamic'`` (a default GradScaler), a number (static scale,
            reset after every update) or a dict of GradScaler arguments.
        dtype: autocast dtype: None, a ``torch.dtype`` or ``'float16'``,
            ``'bfloat16'``, ``'float32'``, ``'float64'``.
        **kwargs: ``optimizer``, ``accumulative_counts``, ``clip_grad``.
    """

    def __init__(self, loss_scale: Union[str, float, dict] = 'dynamic',
                 dtype: Union[None, str, torch.dtype] = None, **kwargs):
        super().__init__(**kwargs)
        self.device_type = _amp_device_type(self.optimizer)
        self.cast_dtype = _resolve_dtype(dtype)
        self._scale_update_param: Optional[float] = None
        if loss_scale == 'dynamic':
            self.loss_scaler = _grad_scaler(self.device_type)
        elif isinstance(loss_scale, (int, float)) and not isinstance(loss_scale, bool):
            # 0.2.0 accepted only float; an int static scale is just as meaningful
            self._scale_update_param = float(loss_scale)
            self.loss_scaler = _grad_scaler(self.device_type, init_scale=float(loss_scale))
        elif isinstance(loss_scale, dict):
            self.loss_scaler = _grad_scaler(self.device_type, **loss_scale)
        else:
            raise TypeError('loss_scale must be of type float, dict, or "dynamic", '
                            f'but got {loss_scale!r}')

    def backward(self, loss: torch.Tensor, **kwargs) -> None:
        self.loss_scaler.scale(loss).backward(**kwargs)
        self._inner_count += 1

    def step(self, **kwargs) -> None:
        if self.clip_grad_kwargs:
            self.loss_scaler.unscale_(self.optimizer)
            self._clip_grad()
        self.loss_scaler.step(self.optimizer, **kwargs)
        self.loss_scaler.update(self._scale_update_param)

    def state_dict(self) -> dict:
        state = self.optimizer.state_dict()
        state['loss_scaler'] = self.loss_scaler.state_dict()
        return state

    def load_state_dict(self, state_dict: dict) -> None:
        state_dict = dict(state_dict)  # leave the caller's dict intact
        if 'loss_scaler' in state_dict:
            self.loss_scaler.load_state_dict(state_dict.pop('loss_scaler'))
        self.optimizer.load_state_dict(state_dict)

    @contextmanager
    def optim_context(self, model: nn.Module) -> Iterator[None]:
        """The parent's no-sync context plus autocast on the parameters' device."""
        with super().optim_context(model):
            with torch.autocast(self.device_type, dtype=self.cast_dtype):
                yield
