"""Describe the software environment of a run (for the head of its log)."""

import os
import subprocess
import sys
from collections import OrderedDict
from importlib import metadata

import numpy as np
import torch


def _engine_version() -> str:
    for dist in ('engine', 'engine-dist'):
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    from engine.dist import __version__
    return __version__


def _first_line(cmd: list) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return 'n/a'
    lines = out.stdout.strip().splitlines()
    return lines[0].strip() if lines else 'n/a'


def _cuda_info(env: OrderedDict) -> None:
    devices: dict = {}
    for i in range(torch.cuda.device_count()):
        devices.setdefault(torch.cuda.get_device_name(i), []).append(str(i))
    for name, ids in devices.items():
        env['GPU ' + ','.join(ids)] = name
    from torch.utils.cpp_extension import CUDA_HOME
    env['CUDA_HOME'] = CUDA_HOME
    nvcc = 'Not Available'
    if CUDA_HOME is not None and os.path.isdir(CUDA_HOME):
        release = [line for line in _release_lines(os.path.join(CUDA_HOME, 'bin', 'nvcc'))
                   if 'release' in line]
        nvcc = release[-1].strip() if release else 'Not Available'
    env['NVCC'] = nvcc


def _release_lines(nvcc: str) -> list:
    try:
        out = subprocess.run([nvcc, '-V'], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return []
    return out.stdout.splitlines()


def collect_env() -> OrderedDict:
    """Platform, Python, CUDA, compilers, torch (+ build details), optional libs, engine version."""
    env: OrderedDict = OrderedDict()
    env['sys.platform'] = sys.platform
    env['Python'] = sys.version.replace('\n', '')
    cuda = torch.cuda.is_available()
    env['CUDA available'] = cuda
    env['numpy_random_seed'] = int(np.random.get_state()[1][0])
    if cuda:
        _cuda_info(env)
    if sys.platform == 'win32':
        env['MSVC'] = _first_line(['cl'])
    else:
        env['GCC'] = _first_line(['gcc', '--version'])
    env['PyTorch'] = torch.__version__
    env['PyTorch compiling details'] = torch.__config__.show()
    try:
        import torchvision
        env['TorchVision'] = torchvision.__version__
    except ImportError:
        pass
    try:
        import cv2
        env['OpenCV'] = cv2.__version__
    except ImportError:
        pass
    env['engine'] = _engine_version()
    # The seed's key, so code reading env['MMEngine'] keeps working.
    env['MMEngine'] = env['engine']
    return env
