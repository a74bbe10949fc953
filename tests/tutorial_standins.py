"""The seed's tutorials, run as written with ``mmengine`` replaced by ``engine``: shared parts.

Only what cannot run here is replaced: torchvision datasets and models (not installed)
become small in-memory datasets of the same shapes and a tiny network with the same
interface, mmcv's ``to_tensor`` becomes ``torch.from_numpy``, and the epoch counts and
dataset sizes are cut so each tutorial runs in about a second. Everything else (the
classes, the Runner arguments, the relative work dirs) is the seed's code. Each test runs
in its own temporary folder so the tutorials' relative paths land there.
"""

from __future__ import annotations

import os.path as osp
import re

import torch
import torch.nn as nn


def collapse(text: str) -> str:
    return re.sub(r' +', ' ', text)


def read_log(runner) -> str:
    with open(osp.join(runner.log_dir, f'{runner.timestamp}.log')) as f:
        return collapse(f.read())


def cifar10_like(n: int, seed: int) -> list:
    """(3x32x32 float image, int label) pairs, like a normalised CIFAR-10 sample."""
    g = torch.Generator().manual_seed(seed)
    images = torch.randn(n, 3, 32, 32, generator=g)
    labels = torch.randint(0, 10, (n,), generator=g)
    return [(images[i], int(labels[i])) for i in range(n)]


def mnist_like(n: int, seed: int) -> list:
    """(1x28x28 float image in [0, 1], int label) pairs, like MNIST with ToTensor()."""
    g = torch.Generator().manual_seed(seed)
    images = torch.rand(n, 1, 28, 28, generator=g)
    labels = torch.randint(0, 10, (n,), generator=g)
    return [(images[i], int(labels[i])) for i in range(n)]


def resnet50() -> nn.Module:
    """Same interface as torchvision.models.resnet50(): (N, 3, H, W) -> (N, classes)."""
    return nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.ReLU(),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 10))

