"""engine.device: detect the accelerator a run should use."""

from .utils import (
    get_device,
    get_max_cuda_memory,
    is_cuda_available,
    is_mlu_available,
    is_mps_available,
    is_npu_available,
)

__all__ = [
    'get_device', 'get_max_cuda_memory', 'is_cuda_available', 'is_npu_available',
    'is_mlu_available', 'is_mps_available'
]
