"""Turn a normalised image batch back into uint8-range numpy images."""

from typing import Optional, Sequence

import numpy as np
import torch


def tensor2imgs(tensor: torch.Tensor, mean: Optional[Sequence[float]] = None,
                std: Optional[Sequence[float]] = None, to_bgr: bool = True) -> list[np.ndarray]:
    """Split an (N, C, H, W) batch into HWC arrays, undoing ``(img - mean) / std``.

    C must be 1 or 3; 3-channel images are flipped RGB -> BGR when ``to_bgr``.
    """
    assert torch.is_tensor(tensor) and tensor.ndim == 4, \
        f'tensor should be a 4-D (N, C, H, W) tensor, but got {getattr(tensor, "shape", tensor)}'
    channels = tensor.size(1)
    assert channels in (1, 3), f'tensor should have 1 or 3 channels, but got {channels}'
    mean = (0.0, ) * channels if mean is None else tuple(mean)
    std = (1.0, ) * channels if std is None else tuple(std)
    assert len(mean) == channels, f'mean should have {channels} values, but got {len(mean)}'
    assert len(std) == channels, f'std should have {channels} values, but got {len(std)}'
    assert channels == 3 or not to_bgr, 'to_bgr should be False for 1-channel images'
    mean_arr = np.asarray(mean, dtype=np.float32)
    std_arr = np.asarray(std, dtype=np.float32)
    imgs = []
    for img in tensor.detach().cpu().numpy().astype(np.float32):
        img = img.transpose(1, 2, 0) * std_arr + mean_arr
        if channels == 3 and to_bgr:
            img = img[..., ::-1]
        imgs.append(np.ascontiguousarray(img))
    return imgs
