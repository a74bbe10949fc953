"""Small real components for runner tests: a model, a dataset, a metric.

Imported by the runner/hook tests (``pythonpath`` in the root pyproject).
Registered under force=True so repeated imports do not clash.
"""

from __future__ import annotations

import torch
import torch.nn as nn
from torch.utils.data import Dataset

from engine.evaluator import BaseMetric
from engine.hooks import Hook
from engine.model import BaseModel
from engine.registry import DATASETS, METRICS, MODELS


@MODELS.register_module(force=True)
class ToyModel(BaseModel):
    """y = w2(w1 x): two linear layers, a sum loss, dropout-free."""

    def __init__(self, data_preprocessor=None, dropout: float = 0.0):
        super().__init__(data_preprocessor=data_preprocessor)
        self.linear1 = nn.Linear(2, 4)
        self.linear2 = nn.Linear(4, 1)
        self.dropout = nn.Dropout(dropout)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        if isinstance(inputs, list):
            inputs = torch.stack(inputs)
        outputs = self.linear2(self.dropout(self.linear1(inputs))).squeeze(-1)
        if mode == 'tensor':
            return outputs
        if isinstance(data_samples, list):
            data_samples = torch.stack(data_samples)
        if mode == 'loss':
            return dict(loss=((data_samples - outputs) ** 2).mean())
        if mode == 'predict':
            return [dict(pred=o, target=t) for o, t in zip(outputs, data_samples)]
        raise ValueError(f'unknown mode {mode}')


@DATASETS.register_module(force=True)
class ToyDataset(Dataset):
    """24 points of y = x0 - 2 x1 (+ fixed noise), deterministic."""

    METAINFO = dict(classes=('toy',))

    def __init__(self, size: int = 24):
        generator = torch.Generator().manual_seed(0)
        self.data = torch.randn(size, 2, generator=generator)
        self.label = self.data[:, 0] - 2 * self.data[:, 1]
        self.metainfo = dict(self.METAINFO)

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        return dict(inputs=self.data[index], data_samples=self.label[index])


@METRICS.register_module(force=True)
class ToyMetric(BaseMetric):
    """Mean squared error (``mse``) and a made-up accuracy (``acc``)."""

    default_prefix = ''

    def process(self, data_batch, data_samples):
        for sample in data_samples:
            error = float((sample['pred'] - sample['target']) ** 2)
            self.results.append(error)

    def compute_metrics(self, results):
        mse = sum(results) / len(results)
        return dict(acc=1.0 / (1.0 + mse), mse=mse)



@METRICS.register_module(force=True)
class ScriptedMetric(BaseMetric):
    """Returns scripted scores: ``scores={'accuracy': [0.5, 0.7]}`` gives 0.5 at the
    first evaluation, 0.7 at the second, and the last value afterwards."""

    default_prefix = ''

    def __init__(self, scores: dict, **kwargs):
        super().__init__(**kwargs)
        self.scores = {key: list(values) for key, values in scores.items()}
        self.calls = 0

    def process(self, data_batch, data_samples):
        self.results.extend(0 for _ in data_samples)

    def compute_metrics(self, results):
        out = {key: values[min(self.calls, len(values) - 1)]
               for key, values in self.scores.items()}
        self.calls += 1
        return out


class CrashAt(Hook):
    """Raises before training iteration ``at``: the run 'dies' there, as a crash
    would end it (what was saved before stays; nothing after is written)."""

    def __init__(self, at: int) -> None:
        self.at = at

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if runner.iter == self.at:
            raise RuntimeError(f'simulated crash at iteration {self.at}')


def toy_runner_cfg(work_dir, **overrides) -> dict:
    """Runner kwargs of a small epoch-based run with validation and test."""
    cfg = dict(
        model=dict(type='ToyModel'),
        work_dir=str(work_dir),
        train_dataloader=dict(dataset=dict(type='ToyDataset'),
                              sampler=dict(type='DefaultSampler', shuffle=True),
                              batch_size=4, num_workers=0),
        val_dataloader=dict(dataset=dict(type='ToyDataset', size=8),
                            sampler=dict(type='DefaultSampler', shuffle=False),
                            batch_size=4, num_workers=0),
        test_dataloader=dict(dataset=dict(type='ToyDataset', size=8),
                             sampler=dict(type='DefaultSampler', shuffle=False),
                             batch_size=4, num_workers=0),
        train_cfg=dict(by_epoch=True, max_epochs=3, val_interval=1),
        val_cfg=dict(),
        test_cfg=dict(),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.05, momentum=0.9)),
        param_scheduler=dict(type='MultiStepLR', milestones=[2], gamma=0.5),
        val_evaluator=dict(type='ToyMetric'),
        test_evaluator=dict(type='ToyMetric'),
        default_hooks=dict(logger=dict(type='LoggerHook', interval=2)),
        randomness=dict(seed=42, deterministic=True),
        log_level='WARNING',
    )
    cfg.update(overrides)
    return cfg
