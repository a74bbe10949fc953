"""engine.device: accelerator detection in the order cuda, npu, mlu, mps, cpu."""

import types

import pytest
import torch

import engine.device as device


def test_public_names():
    for name in device.__all__:
        assert callable(getattr(device, name)), name


def test_detection_matches_torch_on_this_machine():
    assert device.is_cuda_available() == torch.cuda.is_available()
    mps = getattr(torch.backends, 'mps', None)
    assert device.is_mps_available() == bool(mps is not None and mps.is_available())
    assert device.is_mlu_available() is bool(getattr(torch, 'is_mlu_available', lambda: False)())
    assert isinstance(device.is_npu_available(), bool)
    expected = 'cuda' if torch.cuda.is_available() else None
    got = device.get_device()
    assert got in ('cuda', 'npu', 'mlu', 'mps', 'cpu')
    if expected:
        assert got == expected
    elif not (device.is_npu_available() or device.is_mlu_available()
              or device.is_mps_available()):
        assert got == 'cpu'


def test_get_device_priority(monkeypatch):
    from engine.device import utils
    flags = dict(cuda=False, npu=False, mlu=False, mps=False)
    for name in flags:
        monkeypatch.setattr(utils, f'is_{name}_available', lambda n=name: flags[n])
    assert utils.get_device() == 'cpu'
    for name in ('mps', 'mlu', 'npu', 'cuda'):  # each higher one wins over the ones before
        flags[name] = True
        assert utils.get_device() == name


def test_mlu_and_mps_probe_torch_attributes(monkeypatch):
    monkeypatch.setattr(torch, 'is_mlu_available', lambda: True, raising=False)
    assert device.is_mlu_available() is True
    monkeypatch.setattr(torch, 'is_mlu_available', lambda: False, raising=False)
    assert device.is_mlu_available() is False
    monkeypatch.delattr(torch, 'is_mlu_available', raising=False)
    assert device.is_mlu_available() is False
    monkeypatch.setattr(torch.backends, 'mps',
                        types.SimpleNamespace(is_available=lambda: True), raising=False)
    assert device.is_mps_available() is True


@pytest.mark.skipif(torch.cuda.is_available(), reason='checks the error on a CPU-only machine')
def test_get_max_cuda_memory_without_cuda_says_why():
    with pytest.raises(RuntimeError, match='CUDA'):
        device.get_max_cuda_memory()


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
def test_get_max_cuda_memory_reports_and_resets_peak():
    x = torch.empty(8 * 1024 * 1024, dtype=torch.uint8, device='cuda')  # 8 MB
    assert device.get_max_cuda_memory() >= 8
    del x
    torch.cuda.empty_cache()
    # the reset above happened while x was alive: the peak since then still holds it
    assert device.get_max_cuda_memory() >= 8
    assert device.get_max_cuda_memory() < 8
