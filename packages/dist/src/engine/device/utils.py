"""Which accelerator is present: CUDA, NPU, MLU, MPS or none (CPU)."""

from typing import Optional, Union

import torch


def is_cuda_available() -> bool:
    """True when a CUDA device can be used by torch."""
    return torch.cuda.is_available()


def is_npu_available() -> bool:
    """True when Ascend NPUs are usable (needs the ``torch_npu`` plugin)."""
    try:
        import torch_npu  # noqa: F401
    except Exception:
        return False
    npu = getattr(torch, 'npu', None)
    return bool(npu is not None and npu.is_available())


def is_mlu_available() -> bool:
    """True when Cambricon MLUs are usable (``torch.is_mlu_available`` exists and says so)."""
    probe = getattr(torch, 'is_mlu_available', None)
    return bool(probe is not None and probe())


def is_mps_available() -> bool:
    """True on Apple silicon with the Metal backend (torch >= 1.12)."""
    mps = getattr(torch.backends, 'mps', None)
    return bool(mps is not None and mps.is_available())


def get_device() -> str:
    """The best available device type: ``'cuda'``, ``'npu'``, ``'mlu'``, ``'mps'`` or ``'cpu'``."""
    if is_cuda_available():
        return 'cuda'
    if is_npu_available():
        return 'npu'
    if is_mlu_available():
        return 'mlu'
    if is_mps_available():
        return 'mps'
    return 'cpu'


def get_max_cuda_memory(device: Optional[Union[int, str, torch.device]] = None) -> int:
    """Peak CUDA memory allocated on ``device`` in MB (rounded down); resets the peak.

    Resetting makes each call report the peak since the previous one, which is
    what a per-interval log line wants.
    """
    if not is_cuda_available():
        raise RuntimeError('get_max_cuda_memory needs CUDA, but torch.cuda.is_available() '
                           'is False')
    mem = torch.cuda.max_memory_allocated(device=device)
    torch.cuda.reset_peak_memory_stats(device=device)
    return int(mem // (1024 * 1024))
