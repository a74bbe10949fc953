"""engine.hooks: the Hook base class and the built-in hooks."""

from .checkpoint_hook import CheckpointHook
from .ema_hook import EMAHook
from .empty_cache_hook import EmptyCacheHook
from .hook import Hook
from .iter_timer_hook import IterTimerHook
from .logger_hook import LoggerHook
from .naive_visualization_hook import NaiveVisualizationHook
from .optimizer_hook import OptimizerHook  # noqa: F401  (registers the name; not in __all__)
from .param_scheduler_hook import ParamSchedulerHook
from .runtime_info_hook import RuntimeInfoHook
from .sampler_seed_hook import DistSamplerSeedHook
from .sync_buffer_hook import SyncBuffersHook

__all__ = [
    'Hook', 'CheckpointHook', 'EMAHook', 'EmptyCacheHook', 'IterTimerHook', 'LoggerHook',
    'NaiveVisualizationHook', 'ParamSchedulerHook', 'RuntimeInfoHook', 'DistSamplerSeedHook',
    'SyncBuffersHook',
]
