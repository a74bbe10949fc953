"""OptimizerHook: accepted in configs written for MMCV-style runners, does nothing.

Here the optimizer steps inside ``model.train_step`` through the optim wrapper
(§31.3.7), so there is no optimizer hook. The manual's Runner example (§38.1.1)
still lists ``optimizer=dict(type='OptimizerHook', grad_clip=False)`` in
``default_hooks``; registering this name lets such configs run, with a warning.
Gradient clipping cannot be ignored silently: it belongs in
``optim_wrapper=dict(..., clip_grad=...)``.
"""

from __future__ import annotations

import warnings
from typing import Any, Optional

from engine.registry import HOOKS

from .hook import Hook


@HOOKS.register_module()
class OptimizerHook(Hook):
    """No-op stand-in for MMCV's OptimizerHook (see the module docstring)."""

    def __init__(self, grad_clip: Optional[dict] = None, **kwargs: Any) -> None:
        if grad_clip:
            raise ValueError(
                f'OptimizerHook(grad_clip={grad_clip!r}) would not clip anything: the '
                'optimizer steps inside model.train_step. Configure clipping on the optim '
                f'wrapper instead: optim_wrapper=dict(..., clip_grad={grad_clip!r})')
        warnings.warn('OptimizerHook does nothing: the optimizer steps inside '
                      'model.train_step through the optim wrapper (optim_wrapper in the '
                      'config); remove it from the hooks', UserWarning, stacklevel=2)
