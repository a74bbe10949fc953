"""``autocast``: one context manager for mixed precision on CUDA and CPU."""

from __future__ import annotations

import contextlib
from typing import Optional

import torch


def _current_device_type() -> str:
    if torch.cuda.is_available():
        return 'cuda'
    mps = getattr(torch.backends, 'mps', None)
    if mps is not None and mps.is_available():
        return 'mps'
    return 'cpu'


@contextlib.contextmanager
def autocast(device_type: Optional[str] = None,
             dtype: Optional[torch.dtype] = None,
             enabled: bool = True,
             cache_enabled: Optional[bool] = None):
    """Run the block under ``torch.autocast`` for the current (or given) device.

    ``device_type`` is ``'cuda'`` or ``'cpu'`` (anything else: ValueError, as
    documented). ``enabled=False`` always works on the current device, whatever
    it is, and runs the block in full precision. On CPU only bfloat16 is
    supported (torch's CPU autocast).
    """
    if device_type is not None and device_type not in ('cuda', 'cpu'):
        raise ValueError(f"User specified autocast device_type must be 'cuda' or 'cpu', "
                         f'but got {device_type!r}')
    if not enabled:
        # An explicit disabled region also switches off an enclosing autocast.
        dev = device_type or _current_device_type()
        if dev in ('cuda', 'cpu'):
            with torch.autocast(device_type=dev, enabled=False):
                yield
        else:
            yield
        return

    device_type = device_type or _current_device_type()
    if cache_enabled is None:
        cache_enabled = torch.is_autocast_cache_enabled()
    if device_type == 'cuda':
        if dtype is None:
            dtype = torch.get_autocast_dtype('cuda')
        if dtype == torch.bfloat16 and not torch.cuda.is_bf16_supported():
            raise RuntimeError('Current CUDA device does not support bfloat16. '
                               'Please switch dtype to float16.')
    elif device_type == 'cpu':
        if dtype is None:
            dtype = torch.bfloat16
        assert dtype == torch.bfloat16, (
            f'In CPU autocast, only bfloat16 is supported, got dtype={dtype}')
    else:  # the current device is neither (e.g. mps): no mixed precision there
        raise ValueError(f"autocast supports the devices 'cuda' and 'cpu', but the current "
                         f'device is {device_type!r}; pass enabled=False to run in full '
                         'precision')
    with torch.autocast(device_type=device_type, dtype=dtype, enabled=True,
                        cache_enabled=cache_enabled):
        yield
