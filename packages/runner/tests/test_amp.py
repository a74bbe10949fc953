"""engine.runner.autocast on the CPU (AMP-01); CUDA paths run where a GPU exists."""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn

from engine.runner import autocast


def _matmul():
    a, b = torch.randn(4, 4), torch.randn(4, 4)
    return a @ b


def test_cpu_default_is_bfloat16():
    layer = nn.Linear(4, 4)
    with autocast(device_type='cpu'):
        assert torch.is_autocast_enabled('cpu')
        assert layer(torch.randn(2, 4)).dtype == torch.bfloat16
    assert not torch.is_autocast_enabled('cpu')
    assert _matmul().dtype == torch.float32


@pytest.mark.skipif(torch.cuda.is_available(), reason='checks the CPU as the current device')
def test_current_device_is_used_when_no_device_type_given():
    with autocast():
        assert _matmul().dtype == torch.bfloat16


def test_disabled_works_on_cpu_and_switches_off_an_outer_region():
    with autocast(enabled=False):
        assert _matmul().dtype == torch.float32
    with autocast(device_type='cpu', enabled=False):
        assert _matmul().dtype == torch.float32
    with autocast(device_type='cpu'):
        with autocast(device_type='cpu', enabled=False):
            assert _matmul().dtype == torch.float32
        assert _matmul().dtype == torch.bfloat16


def test_cpu_only_supports_bfloat16():
    with pytest.raises(AssertionError, match='only bfloat16 is supported'):
        with autocast(device_type='cpu', dtype=torch.float16):
            pass


def test_unknown_device_type():
    with pytest.raises(ValueError, match="'tpu'"):
        with autocast(device_type='tpu'):
            pass


def test_cache_enabled_defaults_to_torch_setting():
    outer = torch.is_autocast_cache_enabled()
    with autocast(device_type='cpu'):
        assert torch.is_autocast_cache_enabled() == outer
    with autocast(device_type='cpu', cache_enabled=False):
        assert not torch.is_autocast_cache_enabled()
    assert torch.is_autocast_cache_enabled()


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
def test_cuda_default_dtype_and_bfloat16():
    layer = nn.Linear(4, 4).cuda()
    with autocast():
        assert layer(torch.randn(2, 4, device='cuda')).dtype == torch.get_autocast_dtype('cuda')
    if torch.cuda.is_bf16_supported():
        with autocast(device_type='cuda', dtype=torch.bfloat16):
            assert layer(torch.randn(2, 4, device='cuda')).dtype == torch.bfloat16
    with autocast(enabled=False):
        assert layer(torch.randn(2, 4, device='cuda')).dtype == torch.float32
