"""DigitsCNN: two 3x3 convolutions and a linear classifier for 8x8 images."""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from engine.model import BaseModel
from engine.registry import MODELS


@MODELS.register_module()
class DigitsCNN(BaseModel):
    """``mode='loss'``: cross entropy; ``'predict'``: one dict per sample; ``'tensor'``: logits."""

    def __init__(self, channels: int = 16, num_classes: int = 10,
                 data_preprocessor: dict | None = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor)
        self.features = nn.Sequential(
            nn.Conv2d(1, channels, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(channels, channels * 2, 3, padding=1), nn.ReLU(inplace=True),
            nn.MaxPool2d(2),  # 8x8 -> 4x4
        )
        self.head = nn.Sequential(
            nn.Flatten(), nn.Linear(channels * 2 * 16, 128), nn.ReLU(inplace=True),
            nn.Linear(128, num_classes))

    def forward(self, inputs: torch.Tensor, data_samples: torch.Tensor | None = None,
                mode: str = 'tensor'):
        logits = self.head(self.features(inputs))
        if mode == 'tensor':
            return logits
        if mode == 'loss':
            return dict(loss=F.cross_entropy(logits, data_samples))
        if mode == 'predict':
            predictions = logits.argmax(dim=1)
            return [dict(pred_label=p, gt_label=t) for p, t in zip(predictions, data_samples)]
        raise ValueError(f"mode must be 'tensor', 'loss' or 'predict', got {mode!r}")
