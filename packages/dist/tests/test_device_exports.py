"""engine.device (DEV-01/02, Q): exports, signatures, layering."""
import inspect
import subprocess
import sys

import pytest
import torch

import engine.device as device


def test_the_seed_names_are_exported():
    # Q: the 0.2.0 names (engine adds is_npu_available on top)
    names = {'get_device', 'get_max_cuda_memory', 'is_cuda_available', 'is_mlu_available',
             'is_mps_available'}
    assert names <= set(device.__all__)
    assert inspect.signature(device.get_max_cuda_memory).parameters['device'].default is None


def test_detections_return_plain_bools_and_a_device_string():
    # DEV-01: bools, and get_device gives a name torch.device accepts
    for probe in (device.is_cuda_available, device.is_mlu_available, device.is_mps_available):
        assert type(probe()) is bool
    assert torch.device(device.get_device()).type == device.get_device()
    if not torch.cuda.is_available():
        assert device.is_cuda_available() is False


def test_device_sits_below_dist():
    # DEV layering note: engine.dist imports engine.device, so engine.device never imports dist
    code = ('import sys, engine.device; '
            'print(sorted(m for m in sys.modules if m.startswith("engine.dist")))')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == '[]'


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
def test_get_max_cuda_memory_of_an_explicit_device_is_an_int():
    # DEV-02: MB rounded down, for a device given as torch.device
    x = torch.empty(3 * 1024 * 1024 + 5, dtype=torch.uint8, device='cuda:0')
    got = device.get_max_cuda_memory(torch.device('cuda:0'))
    assert type(got) is int and got >= 3
    del x
