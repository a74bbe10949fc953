"""engine.runner: the Runner, its loops, checkpoints and AMP helpers."""

__version__ = "0.1.0"

from engine.logging import LogProcessor

from .amp import autocast
from .base_loop import BaseLoop
from .checkpoint import (
                         CheckpointError,
                         CheckpointLoader,
                         find_latest_checkpoint,
                         get_deprecated_model_names,
                         get_external_models,
                         get_mmcls_models,
                         get_state_dict,
                         get_torchvision_models,
                         load_checkpoint,
                         load_state_dict,
                         save_checkpoint,
                         weights_to_cpu,
)
from .loops import EpochBasedTrainLoop, IterBasedTrainLoop, TestLoop, ValLoop
from .priority import Priority, get_priority
from .runner import Runner
from .utils import set_random_seed

__all__ = [
    'Runner', 'BaseLoop', 'EpochBasedTrainLoop', 'IterBasedTrainLoop', 'ValLoop', 'TestLoop',
    'CheckpointLoader', 'CheckpointError', 'load_checkpoint', 'save_checkpoint',
    'load_state_dict', 'get_state_dict', 'weights_to_cpu', 'find_latest_checkpoint',
    'get_torchvision_models', 'get_external_models', 'get_mmcls_models',
    'get_deprecated_model_names', 'autocast', 'Priority', 'get_priority', 'LogProcessor',
    'set_random_seed',
]
