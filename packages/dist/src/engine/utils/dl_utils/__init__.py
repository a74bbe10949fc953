"""Torch helpers of engine.utils (shipped by engine-dist, since they need torch)."""

from .collect_env import collect_env
from .hub import load_url
from .misc import (
    TORCH_VERSION,
    has_batch_norm,
    is_jit_tracing,
    is_norm,
    mmcv_full_available,
    torch_meshgrid,
)
from .setup_env import raise_open_file_limit, set_multi_processing
from .time_counter import TimeCounter
from .visualize import tensor2imgs

__all__ = [
    'TimeCounter', 'collect_env', 'load_url', 'has_batch_norm', 'is_norm',
    'mmcv_full_available', 'tensor2imgs', 'TORCH_VERSION', 'set_multi_processing',
    'raise_open_file_limit', 'torch_meshgrid', 'is_jit_tracing'
]
