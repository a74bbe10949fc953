"""Fixtures of the CLI tests: run ``python -m engine``, write a tiny trainable config."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

TINY_PARTS = '''
import torch
import torch.nn as nn

from engine.evaluator import BaseMetric
from engine.model import BaseModel
from engine.registry import DATASETS, METRICS, MODELS


@MODELS.register_module()
class CliTinyModel(BaseModel):
    def __init__(self, data_preprocessor=None):
        super().__init__(data_preprocessor=data_preprocessor)
        self.linear = nn.Linear(2, 1)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        inputs = torch.stack(inputs)
        outputs = self.linear(inputs).squeeze(-1)
        if mode == 'loss':
            return dict(loss=((torch.stack(data_samples) - outputs) ** 2).mean())
        if mode == 'predict':
            return [dict(pred=o, target=t) for o, t in zip(outputs, data_samples)]
        return outputs


@DATASETS.register_module()
class CliTinyDataset(torch.utils.data.Dataset):
    def __init__(self, size=16):
        generator = torch.Generator().manual_seed(0)
        self.data = torch.randn(size, 2, generator=generator)
        self.label = self.data[:, 0] - 2 * self.data[:, 1]
        self.metainfo = dict(classes=('tiny',))

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        return dict(inputs=self.data[index], data_samples=self.label[index])


@METRICS.register_module()
class CliTinyMetric(BaseMetric):
    default_prefix = ''

    def process(self, data_batch, data_samples):
        self.results.extend(float((s['pred'] - s['target']) ** 2) for s in data_samples)

    def compute_metrics(self, results):
        return dict(mse=sum(results) / len(results))
'''

TINY_CONFIG = '''
custom_imports = dict(imports=['cli_tiny_parts'], allow_failed_imports=False)
model = dict(type='CliTinyModel')
_loader = dict(dataset=dict(type='CliTinyDataset'), batch_size=4, num_workers=0,
               sampler=dict(type='DefaultSampler', shuffle=False))
train_dataloader = dict(_loader, sampler=dict(type='DefaultSampler', shuffle=True))
val_dataloader = _loader
test_dataloader = _loader
train_cfg = dict(by_epoch=False, max_iters=2, val_interval=2)
val_cfg = dict()
test_cfg = dict()
val_evaluator = dict(type='CliTinyMetric')
test_evaluator = val_evaluator
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.01, momentum=0.9))
default_hooks = dict(logger=dict(type='LoggerHook', interval=1),
                     checkpoint=dict(type='CheckpointHook', interval=2, by_epoch=False))
log_processor = dict(by_epoch=False)  # iteration-based: log "Iter(train) [i/n]"
randomness = dict(seed=0)
'''


@pytest.fixture
def tiny_config(tmp_path: Path) -> Path:
    """A config training a 2->1 linear model; its parts module sits next to it."""
    folder = tmp_path / 'configs'
    folder.mkdir()
    (folder / 'cli_tiny_parts.py').write_text(textwrap.dedent(TINY_PARTS))
    config = folder / 'tiny_config.py'
    config.write_text(textwrap.dedent(TINY_CONFIG))
    return config


@pytest.fixture
def engine_cli():
    """Runs ``python -m engine ARGS`` in a fresh process and returns the CompletedProcess."""
    return _run_engine


def _run_engine(*args: str, cwd: Path | None = None, timeout: float = 240
               ) -> subprocess.CompletedProcess:
    """``python -m engine ARGS`` in a fresh process (what the console script runs)."""
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONWARNINGS='ignore')
    return subprocess.run([sys.executable, '-m', 'engine', *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)
