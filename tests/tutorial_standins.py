"""Stand-ins for what the seed's tutorials download, and helpers to read their output.

torchvision is not installed: its datasets and models become small in-memory data of the
same shapes and a tiny network with the same interface.
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

