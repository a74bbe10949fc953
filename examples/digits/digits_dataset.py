"""DigitsDataset: scikit-learn's handwritten digits as an engine BaseDataset.

1,797 grey 8x8 images of the digits 0-9 ship inside scikit-learn, so the demo
needs no download. A fixed permutation splits them into train and val.
"""

from __future__ import annotations

import numpy as np
import torch

from engine.dataset import BaseDataset
from engine.registry import DATASETS, TRANSFORMS


@DATASETS.register_module()
class DigitsDataset(BaseDataset):
    """``split='train'`` or ``'val'``: the two parts of a seeded 80/20 split."""

    METAINFO = dict(classes=tuple(str(digit) for digit in range(10)))

    def __init__(self, split: str = 'train', val_fraction: float = 0.2, split_seed: int = 0,
                 **kwargs) -> None:
        if split not in ('train', 'val'):
            raise ValueError(f"split must be 'train' or 'val', got {split!r}")
        self.split = split
        self.val_fraction = val_fraction
        self.split_seed = split_seed
        super().__init__(**kwargs)

    def load_data_list(self) -> list:
        from sklearn.datasets import load_digits

        digits = load_digits()
        order = np.random.RandomState(self.split_seed).permutation(len(digits.target))
        num_val = int(round(len(order) * self.val_fraction))
        chosen = order[:num_val] if self.split == 'val' else order[num_val:]
        # pixel values are 0..16: scale to 0..1 once, here
        images = (digits.images / 16.0).astype(np.float32)
        return [dict(img=images[i], gt_label=int(digits.target[i])) for i in chosen]


@TRANSFORMS.register_module()
class PackDigitInputs:
    """``{'img', 'gt_label'}`` -> ``{'inputs': 1x8x8 tensor, 'data_samples': label tensor}``."""

    def __call__(self, results: dict) -> dict:
        return dict(inputs=torch.from_numpy(results['img']).unsqueeze(0),
                    data_samples=torch.tensor(results['gt_label']))
