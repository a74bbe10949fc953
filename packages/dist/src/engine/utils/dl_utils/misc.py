"""Small torch helpers: module kinds, version info, mesh grids, jit tracing."""

import importlib.util
import warnings
from typing import Optional, Union

import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.instancenorm import _InstanceNorm

# torch.__version__ is a str subclass comparing against strings and tuples
TORCH_VERSION = torch.__version__

_NORMS = (_BatchNorm, _InstanceNorm, nn.GroupNorm, nn.LayerNorm)


def has_batch_norm(model: nn.Module) -> bool:
    """True if ``model`` or any submodule is a batch norm (incl. SyncBatchNorm)."""
    if isinstance(model, _BatchNorm):
        return True
    return any(has_batch_norm(child) for child in model.children())


def is_norm(layer: nn.Module, exclude: Optional[Union[type, tuple]] = None) -> bool:
    """True for batch/instance/group/layer norms, unless ``layer`` matches ``exclude``."""
    if exclude is not None:
        if not isinstance(exclude, tuple):
            exclude = (exclude, )
        if not all(isinstance(e, type) for e in exclude):
            raise TypeError('"exclude" must be either None or type or a tuple of types, '
                            f'but got {type(exclude)}: {exclude}')
        if isinstance(layer, exclude):
            return False
    return isinstance(layer, _NORMS)


def mmcv_full_available() -> bool:
    """True when mmcv imports and ships its compiled ops (``mmcv._ext``)."""
    try:
        import mmcv  # noqa: F401
    except ImportError:
        return False
    try:
        return importlib.util.find_spec('mmcv._ext') is not None
    except (ImportError, ValueError):
        return False


def torch_meshgrid(*tensors: torch.Tensor) -> tuple:
    """``torch.meshgrid`` with 'ij' indexing and no deprecation warning on any torch."""
    return torch.meshgrid(*tensors, indexing='ij')


def is_jit_tracing() -> bool:
    """True while ``torch.jit.trace`` is running."""
    tracing = torch.jit.is_tracing()
    if isinstance(tracing, bool):
        return tracing
    warnings.warn('torch.jit.is_tracing() did not return a bool; using torch._C._is_tracing()',
                  stacklevel=2)
    return bool(torch._C._is_tracing())
