#!/usr/bin/env python3
"""``BaseDataPreprocessor.cast_data`` of a typical batch against a hand-written ``.to()``.

The batch is what ``pseudo_collate`` gives a detector: a dict with 2 tensors
(images and a mask) plus 16 data samples, each holding metainfo and an
``InstanceData`` of boxes and labels. The baseline moves exactly the same
things with explicit ``.to()`` calls, so the ratio is the cost of the
generic recursion. Target: <= 1.5x.

    hatch run python tools/bench/data_preprocessor.py [--device cpu|cuda] [--iters 200]
"""

from __future__ import annotations

import argparse
import gc
import time

import torch

from engine.model import BaseDataPreprocessor
from engine.structures import BaseDataElement, InstanceData


def make_batch(num_samples: int = 16) -> dict:
    samples = []
    for i in range(num_samples):
        sample = BaseDataElement(metainfo=dict(img_path=f'img_{i}.jpg', img_shape=(64, 64),
                                               scale_factor=(1.0, 1.0)))
        sample.gt_instances = InstanceData(bboxes=torch.rand(5, 4),
                                           labels=torch.randint(0, 80, (5,)))
        samples.append(sample)
    return dict(inputs=torch.rand(num_samples, 3, 64, 64),
                masks=torch.ones(num_samples, 64, 64, dtype=torch.bool),
                data_samples=samples)


def hand_written(batch: dict, device: torch.device) -> dict:
    return dict(inputs=batch['inputs'].to(device, non_blocking=True),
                masks=batch['masks'].to(device, non_blocking=True),
                data_samples=[s.to(device, non_blocking=True) for s in batch['data_samples']])


def best_times(fns, iters: int, rounds: int = 15) -> list:
    """Best per-call time of each function; rounds interleave them so machine noise hits all."""
    for fn in fns:  # warm-up
        for _ in range(max(iters // 10, 10)):
            fn()
    best = [float('inf')] * len(fns)
    # both sides allocate alike; a cyclic-GC pass landing in one side's round is only noise
    gc.collect()
    gc.disable()
    try:
        return _rounds(fns, iters, rounds, best)
    finally:
        gc.enable()


def _rounds(fns, iters: int, rounds: int, best: list) -> list:
    for _ in range(rounds):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            for _ in range(iters):
                fn()
            best[i] = min(best[i], (time.perf_counter() - start) / iters)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--iters', type=int, default=200)
    args = parser.parse_args()
    device = torch.device(args.device)
    batch = make_batch()
    dp = BaseDataPreprocessor().to(device)

    def sync():
        if device.type == 'cuda':
            torch.cuda.synchronize()

    def run_baseline():
        hand_written(batch, device)
        sync()

    def run_ours():
        dp.cast_data(batch)
        sync()

    tensors = dict(inputs=batch['inputs'], masks=batch['masks'])

    def run_tensors_baseline():
        dict(inputs=tensors['inputs'].to(device, non_blocking=True),
             masks=tensors['masks'].to(device, non_blocking=True))
        sync()

    def run_tensors_ours():
        dp.cast_data(tensors)
        sync()

    baseline, ours, t_base, t_ours = best_times(
        [run_baseline, run_ours, run_tensors_baseline, run_tensors_ours], args.iters)
    print(f'device={device} samples=16 iters={args.iters}')
    print(f'hand-written .to(): {baseline * 1e6:9.1f} us/batch')
    print(f'cast_data:          {ours * 1e6:9.1f} us/batch')
    print(f'2 tensors only (no data samples): hand-written {t_base * 1e6:.1f} us, '
          f'cast_data {t_ours * 1e6:.1f} us, ratio {t_ours / t_base:.2f}x')
    print(f'ratio cast_data / hand-written: {ours / baseline:.2f}x (target <= 1.5x)')


if __name__ == '__main__':
    main()
