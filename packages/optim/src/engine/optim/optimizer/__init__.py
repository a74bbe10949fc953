"""Optimizer wrappers, their constructor and the builder."""

from .amp_optimizer_wrapper import AmpOptimWrapper
from .builder import TORCH_OPTIMIZERS, build_optim_wrapper, register_torch_optimizers
from .default_constructor import DefaultOptimWrapperConstructor
from .optimizer_wrapper import OptimWrapper
from .optimizer_wrapper_dict import OptimWrapperDict

__all__ = [
    'TORCH_OPTIMIZERS', 'AmpOptimWrapper', 'DefaultOptimWrapperConstructor',
    'OptimWrapper', 'OptimWrapperDict', 'build_optim_wrapper', 'register_torch_optimizers',
]
