"""The README tour: registry -> config -> runner (python examples/tour.py)."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from engine.config import Config
from engine.model import BaseModel
from engine.registry import DATASETS, MODELS
from engine.runner import Runner


# 1. Registry: the `type` string of a config names a registered class.
@MODELS.register_module()
class TinyNet(BaseModel):
    def __init__(self, hidden=16):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2, hidden), nn.ReLU(), nn.Linear(hidden, 1))

    def forward(self, inputs, data_samples=None, mode='tensor'):
        out = self.net(inputs).squeeze(-1)
        return dict(loss=F.mse_loss(out, data_samples)) if mode == 'loss' else out

@DATASETS.register_module()
class Line(torch.utils.data.Dataset):  # y = x0 - 2 x1
    def __init__(self, size):
        self.x = torch.randn(size, 2)
        self.y = self.x @ torch.tensor([1.0, -2.0])

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return dict(inputs=self.x[i], data_samples=self.y[i])

# 2. Config: plain Python (or a file with _base_ inheritance); override like --cfg-options.
cfg = Config(dict(
    model=dict(type='TinyNet', hidden=32),
    train_dataloader=dict(dataset=dict(type='Line', size=512), batch_size=32,
                          sampler=dict(type='DefaultSampler', shuffle=True),
                          collate_fn=dict(type='default_collate')),
    train_cfg=dict(by_epoch=True, max_epochs=5),
    optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9)),
    work_dir='work_dirs/tour'))
cfg.merge_from_dict({'optim_wrapper.optimizer.lr': 0.05})

# 3. Runner: builds everything from the config, trains, logs, checkpoints.
runner = Runner.from_cfg(cfg)
runner.train()
