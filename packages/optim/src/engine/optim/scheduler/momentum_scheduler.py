"""Momentum schedulers: ``param_name='momentum'``, also for Adam-style ``betas``."""

from __future__ import annotations

from engine.registry import PARAM_SCHEDULERS

from .param_scheduler import (
    ConstantParamScheduler,
    CosineAnnealingParamScheduler,
    CosineRestartParamScheduler,
    ExponentialParamScheduler,
    LinearParamScheduler,
    MultiStepParamScheduler,
    PolyParamScheduler,
    StepParamScheduler,
    _check_optimizer,
)


class MomentumSchedulerMixin:
    """Schedule ``group['momentum']``; for optimizers with ``betas`` schedule
    ``betas[0]`` through a ``momentum`` mirror written back after every step."""

    def __init__(self, optimizer, *args, **kwargs):
        _check_optimizer(optimizer)
        defaults = optimizer.defaults
        if 'momentum' in defaults:
            self.use_betas = False
        elif 'betas' in defaults:
            self.use_betas = True
            for group in optimizer.param_groups:
                group['momentum'] = group['betas'][0]
        else:
            raise ValueError('optimizer must support momentum when using momentum '
                             f'scheduler, but {type(optimizer).__name__} has neither '
                             "'momentum' nor 'betas' in its defaults")
        super().__init__(optimizer, 'momentum', *args, **kwargs)

    def step(self) -> None:
        super().step()
        if self.use_betas:
            for group in self.optimizer.param_groups:
                group['betas'] = (group['momentum'], group['betas'][1])


@PARAM_SCHEDULERS.register_module()
class ConstantMomentum(MomentumSchedulerMixin, ConstantParamScheduler):
    """Scale the momentum by ``factor`` until the last step of the window."""


@PARAM_SCHEDULERS.register_module()
class CosineAnnealingMomentum(MomentumSchedulerMixin, CosineAnnealingParamScheduler):
    """Cosine-anneal the momentum towards ``eta_min``."""


@PARAM_SCHEDULERS.register_module()
class ExponentialMomentum(MomentumSchedulerMixin, ExponentialParamScheduler):
    """Decay the momentum by ``gamma`` every step."""


@PARAM_SCHEDULERS.register_module()
class LinearMomentum(MomentumSchedulerMixin, LinearParamScheduler):
    """Scale the momentum linearly from ``start_factor`` to ``end_factor``."""


@PARAM_SCHEDULERS.register_module()
class MultiStepMomentum(MomentumSchedulerMixin, MultiStepParamScheduler):
    """Decay the momentum by ``gamma`` at each milestone."""


@PARAM_SCHEDULERS.register_module()
class StepMomentum(MomentumSchedulerMixin, StepParamScheduler):
    """Decay the momentum by ``gamma`` every ``step_size`` steps."""


@PARAM_SCHEDULERS.register_module()
class PolyMomentum(MomentumSchedulerMixin, PolyParamScheduler):
    """Polynomial momentum decay to ``eta_min``."""


@PARAM_SCHEDULERS.register_module()
class CosineRestartMomentum(MomentumSchedulerMixin, CosineRestartParamScheduler):
    """Cosine momentum annealing with warm restarts."""
