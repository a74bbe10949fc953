#!/usr/bin/env python3
"""``engine.runner.save_checkpoint`` (atomic: temp file + rename) against a
plain ``torch.save`` of the same checkpoint dict to the same folder.

    hatch run python tools/bench/checkpoint_save.py [--mb 100] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import torch

from engine.runner import save_checkpoint


def make_checkpoint(megabytes: int) -> dict:
    n_tensors = 50
    numel = megabytes * 2**20 // 4 // n_tensors
    state = {f'layer{i}.weight': torch.randn(numel) for i in range(n_tensors)}
    return dict(meta=dict(epoch=1, iter=100), state_dict=state,
                optimizer=dict(state={}, param_groups=[dict(lr=0.1)]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--mb', type=int, default=100)
    parser.add_argument('--repeat', type=int, default=5)
    args = parser.parse_args()
    checkpoint = make_checkpoint(args.mb)
    with tempfile.TemporaryDirectory(dir='.') as folder:
        raw, ours = [], []
        for i in range(args.repeat):
            path = os.path.join(folder, f'raw_{i}.pth')
            start = time.perf_counter()
            torch.save(checkpoint, path)
            raw.append(time.perf_counter() - start)
            path = os.path.join(folder, f'engine_{i}.pth')
            start = time.perf_counter()
            save_checkpoint(checkpoint, path)
            ours.append(time.perf_counter() - start)
            for name in (f'raw_{i}.pth', f'engine_{i}.pth'):
                os.remove(os.path.join(folder, name))
    raw_t, ours_t = min(raw), min(ours)
    print(f'torch.save           : {raw_t * 1e3:8.1f} ms for {args.mb} MB')
    print(f'engine save_checkpoint: {ours_t * 1e3:8.1f} ms (atomic)')
    print(f'ratio                : {ours_t / raw_t:.3f}x  (target <= 1.2)')


if __name__ == '__main__':
    main()
