"""Averaged copies of a model: EMA, momentum-annealed EMA and stochastic weight averaging."""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from copy import deepcopy
from typing import Any, Optional, Union

import torch
import torch.nn as nn
from torch import Tensor

from engine.registry import MODELS

__all__ = ['BaseAveragedModel', 'ExponentialMovingAverage', 'MomentumAnnealingEMA',
           'StochasticWeightAverage']


class BaseAveragedModel(nn.Module, metaclass=ABCMeta):
    """A frozen copy of ``model`` whose weights follow the source through ``avg_func``.

    The first ``update_parameters`` copies the source; later calls average
    every ``interval`` steps. Only floating-point tensors are averaged;
    without ``update_buffers`` the buffers are copied from the source.

    Args:
        model: the model to average.
        interval: average every ``interval`` calls of ``update_parameters``.
        device: where the copy lives (default: where ``model`` is).
        update_buffers: average buffers too (e.g. BatchNorm statistics).
    """

    def __init__(self, model: nn.Module, interval: int = 1,
                 device: Optional[Union[str, torch.device]] = None,
                 update_buffers: bool = False) -> None:
        super().__init__()
        self.module = deepcopy(model).requires_grad_(False)
        self.interval = interval
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer('steps', torch.tensor(0, dtype=torch.long, device=device))
        self.update_buffers = update_buffers
        # entries alias the copy's tensors, so in-place averaging updates self.module
        if update_buffers:
            self.avg_parameters = self.module.state_dict()
        else:
            self.avg_parameters = dict(self.module.named_parameters())

    @abstractmethod
    def avg_func(self, averaged_param: Tensor, source_param: Tensor, steps: int) -> None:
        """Average ``source_param`` into ``averaged_param`` in place."""

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Run the averaged copy."""
        return self.module(*args, **kwargs)

    def update_parameters(self, model: nn.Module) -> None:
        """Fold the current weights of ``model`` into the average."""
        if self.update_buffers:
            source = model.state_dict()
        else:
            source = dict(model.named_parameters())
        steps = int(self.steps)
        if steps == 0:
            for name, avg in self.avg_parameters.items():
                avg.data.copy_(source[name].data)
        elif steps % self.interval == 0:
            for name, avg in self.avg_parameters.items():
                if avg.dtype.is_floating_point:
                    self.avg_func(avg.data, source[name].data.to(avg.device), steps)
        if not self.update_buffers:
            for avg_buffer, src_buffer in zip(self.module.buffers(), model.buffers()):
                avg_buffer.data.copy_(src_buffer.data.to(avg_buffer.device))
        self.steps += 1


@MODELS.register_module()
class ExponentialMovingAverage(BaseAveragedModel):
    """``avg = (1 - momentum) * avg + momentum * source``.

    ``momentum`` weights the *new* value: 0.0002 averages very slowly.
    """

    def __init__(self, model: nn.Module, momentum: float = 0.0002, interval: int = 1,
                 device: Optional[Union[str, torch.device]] = None,
                 update_buffers: bool = False) -> None:
        super().__init__(model, interval, device, update_buffers)
        assert 0.0 < momentum < 1.0, f'momentum must be in range (0.0, 1.0) but got {momentum}'
        self.momentum = momentum

    def avg_func(self, averaged_param: Tensor, source_param: Tensor, steps: int) -> None:
        averaged_param.lerp_(source_param, self.momentum)


@MODELS.register_module()
class MomentumAnnealingEMA(ExponentialMovingAverage):
    """EMA whose momentum starts large and anneals: ``max(momentum, gamma / (gamma + steps))``."""

    def __init__(self, model: nn.Module, momentum: float = 0.0002, gamma: int = 100,
                 interval: int = 1, device: Optional[Union[str, torch.device]] = None,
                 update_buffers: bool = False) -> None:
        super().__init__(model, momentum, interval, device, update_buffers)
        assert gamma > 0, f'gamma must be greater than 0, but got {gamma}'
        self.gamma = gamma

    def avg_func(self, averaged_param: Tensor, source_param: Tensor, steps: int) -> None:
        momentum = max(self.momentum, self.gamma / (self.gamma + steps))
        averaged_param.lerp_(source_param, momentum)


@MODELS.register_module()
class StochasticWeightAverage(BaseAveragedModel):
    """Running arithmetic mean of the sampled weights (the first copy is sample #1)."""

    def avg_func(self, averaged_param: Tensor, source_param: Tensor, steps: int) -> None:
        averaged_param.add_((source_param - averaged_param) / (steps // self.interval + 1))
