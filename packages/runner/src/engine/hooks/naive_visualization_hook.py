"""NaiveVisualizationHook: draws test predictions through the visualizer."""

from __future__ import annotations

import inspect
import os.path as osp
from typing import Optional, Sequence

import numpy as np

from engine.registry import HOOKS

from .hook import DATA_BATCH, Hook


def _unpad(image: np.ndarray, shape: tuple) -> np.ndarray:
    return image[:shape[0], :shape[1]]


def _resize(image: np.ndarray, shape: tuple) -> np.ndarray:
    """Bilinear resize of an HxWxC image to ``shape`` (no OpenCV needed)."""
    import torch
    import torch.nn.functional as F
    tensor = torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32))
    tensor = tensor.permute(2, 0, 1)[None]
    resized = F.interpolate(tensor, size=shape, mode='bilinear', align_corners=False)
    return resized[0].permute(1, 2, 0).numpy()


def _inputs_and_samples(data_batch, count: int) -> tuple:
    """Images and ground-truth samples of a batch: a dict of lists (``pseudo_collate``),
    a list of per-sample dicts (``{'inputs': ..., 'data_sample': ...}``), or images."""
    if isinstance(data_batch, dict):
        return data_batch['inputs'], data_batch.get('data_samples', [None] * count)
    if isinstance(data_batch, (list, tuple)) and data_batch \
            and all(isinstance(item, dict) for item in data_batch):
        return ([item['inputs'] for item in data_batch],
                [item.get('data_sample', item.get('data_samples')) for item in data_batch])
    return data_batch, [None] * count


@HOOKS.register_module()
class NaiveVisualizationHook(Hook):
    """Every ``interval`` test iterations, hand each input image and its
    prediction to ``runner.visualizer.add_datasample``."""

    priority = 'NORMAL'

    def __init__(self, interval: int = 1, draw_gt: bool = True, draw_pred: bool = True):
        self.draw_gt = draw_gt
        self.draw_pred = draw_pred
        self._interval = interval

    def before_train(self, runner) -> None:
        if runner.visualizer is None:
            raise RuntimeError('NaiveVisualizationHook needs runner.visualizer')

    def after_test_iter(self, runner, batch_idx: int, data_batch: DATA_BATCH = None,
                        outputs: Optional[Sequence] = None) -> None:
        if not self.every_n_inner_iters(batch_idx, self._interval) or not outputs:
            return
        inputs, samples = _inputs_and_samples(data_batch, len(outputs))
        for image, sample, output in zip(inputs, samples, outputs):
            image = image.detach().cpu().numpy().transpose(1, 2, 0)
            # the prediction usually carries the image's meta; else the ground truth
            meta = (getattr(output, 'metainfo', None) or getattr(sample, 'metainfo', None)
                    or {})
            norm = meta.get('img_norm_cfg')
            if norm is not None:
                image = image * np.asarray(norm['std']) + np.asarray(norm['mean'])
                if norm.get('to_bgr', norm.get('to_rgb', False)):
                    image = image[..., ::-1]
            if 'pad_shape' in meta and 'img_shape' in meta:
                image = _unpad(image, meta['img_shape'])
            if 'ori_shape' in meta and tuple(meta['ori_shape'][:2]) != image.shape[:2]:
                image = _resize(image, tuple(meta['ori_shape'][:2]))
            image = np.clip(image, 0, 255).astype(np.uint8)
            name = osp.basename(meta.get('img_path', f'{batch_idx}.png'))
            visualizer = runner.visualizer
            params = inspect.signature(visualizer.add_datasample).parameters
            if 'pred_sample' in params:  # 0.2.0 style: ground truth and prediction apart
                visualizer.add_datasample(name, image, gt_sample=sample, pred_sample=output,
                                          draw_gt=self.draw_gt, draw_pred=self.draw_pred)
            else:  # the prediction sample carries the ground truth as well
                visualizer.add_datasample(name, image, data_sample=output if output is not None
                                          else sample, draw_gt=self.draw_gt,
                                          draw_pred=self.draw_pred)
