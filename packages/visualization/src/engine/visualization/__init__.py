"""engine.visualization: the Visualizer and its storage backends (local, TensorBoard, wandb)."""

from .vis_backend import (
    BaseVisBackend,
    LocalVisBackend,
    TensorboardVisBackend,
    WandbVisBackend,
    force_init_env,
)
from .visualizer import ImageNotSetError, Visualizer

__version__ = "0.1.0"

__all__ = [
    "Visualizer",
    "BaseVisBackend",
    "LocalVisBackend",
    "WandbVisBackend",
    "TensorboardVisBackend",
    "force_init_env",
    "ImageNotSetError",
]
