"""DistSamplerSeedHook: a different shuffle every epoch."""

from __future__ import annotations

from engine.registry import HOOKS

from .hook import Hook


@HOOKS.register_module()
class DistSamplerSeedHook(Hook):
    """Call ``sampler.set_epoch(runner.epoch)`` before each training epoch."""

    priority = 'NORMAL'

    def before_train_epoch(self, runner) -> None:
        loader = runner.train_loop.dataloader
        sampler = getattr(loader, 'sampler', None)
        if hasattr(sampler, 'set_epoch'):
            sampler.set_epoch(runner.epoch)
            return
        inner = getattr(getattr(loader, 'batch_sampler', None), 'sampler', None)
        if hasattr(inner, 'set_epoch'):
            inner.set_epoch(runner.epoch)
