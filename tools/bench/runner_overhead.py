#!/usr/bin/env python3
"""Per-iteration overhead of the Runner over a hand-written PyTorch loop.

A tiny MLP (batch 16, one thread) trained for N iterations twice on the same
data with the same seed: once by a raw loop, once by ``Runner`` with the
default hooks (logger interval 50, no checkpoint during the run). Prints both
times and the ratio (target: <= 1.15).

    hatch run python tools/bench/runner_overhead.py [--iters 4000] [--repeat 3]
        [--rounds 10] [--round-iters 1000] [--device cpu|cuda]

With ``--device cuda`` both sides move each batch to the GPU and train there
(the Runner picks the GPU itself; the raw loop calls ``.to``).

The second measurement alternates many shorter rounds and keeps each side's
best: on a noisy (virtual) machine it is the more repeatable of the two.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import time
import warnings
from typing import Optional

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

from engine.dataset import InfiniteSampler, default_collate
from engine.model import BaseModel
from engine.runner import Runner


def make_data(n: int = 1024):
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(n, 32, generator=generator)
    y = torch.randint(0, 10, (n,), generator=generator)
    return TensorDataset(x, y)


def make_mlp() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 10))


# A TensorDataset has no metainfo: the loops warn so on every run (here and in
# the scripts that import this one).
warnings.filterwarnings('ignore', message='Dataset TensorDataset has no metainfo')

DEVICE = 'cpu'
CLOCK = time.perf_counter  # what both loops are timed with (runner_breakdown.py swaps it)


def raw_loop(iters: int) -> float:
    model = make_mlp().to(DEVICE)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    loader = DataLoader(make_data(), batch_size=16, sampler=InfiniteSampler(make_data(), seed=0),
                        collate_fn=default_collate)
    criterion = nn.CrossEntropyLoss()
    batches = iter(loader)
    start = CLOCK()
    for _ in range(iters):
        x, y = next(batches)
        if DEVICE != 'cpu':
            x, y = x.to(DEVICE, non_blocking=True), y.to(DEVICE, non_blocking=True)
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    _sync()
    return CLOCK() - start


def _sync() -> None:
    if DEVICE == 'cuda':
        torch.cuda.synchronize()


class MLPModel(BaseModel):
    def __init__(self):
        super().__init__()
        self.net = make_mlp()
        self.criterion = nn.CrossEntropyLoss()

    def forward(self, x, y, mode='loss'):
        return dict(loss=self.criterion(self.net(x), y))


# the default hooks of the measurement: logger interval 50, no checkpoint during the run
BENCH_HOOKS = dict(logger=dict(type='LoggerHook', interval=50),
                   checkpoint=dict(type='CheckpointHook', interval=10**9,
                                   by_epoch=False, save_last=False))


def runner_loop(iters: int, default_hooks: Optional[dict] = None) -> float:
    """Seconds ``Runner.train()`` takes for ``iters`` iterations (``BENCH_HOOKS`` by default)."""
    with tempfile.TemporaryDirectory() as work_dir:
        dataset = make_data()
        loader = DataLoader(dataset, batch_size=16, sampler=InfiniteSampler(dataset, seed=0),
                            collate_fn=default_collate)
        runner = Runner(
            model=MLPModel(), work_dir=work_dir, train_dataloader=loader,
            train_cfg=dict(by_epoch=False, max_iters=iters, val_interval=10**9),
            optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
            default_hooks=BENCH_HOOKS if default_hooks is None else default_hooks,
            log_level='WARNING', randomness=dict(seed=0))
        start = CLOCK()
        runner.train()
        _sync()
        elapsed = CLOCK() - start
        runner.visualizer.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--iters', type=int, default=4000)
    parser.add_argument('--repeat', type=int, default=3)
    parser.add_argument('--rounds', type=int, default=10,
                        help='short alternating rounds (min over them; robust on noisy VMs)')
    parser.add_argument('--round-iters', type=int, default=1000)
    parser.add_argument('--device', default='cpu', choices=('cpu', 'cuda'))
    args = parser.parse_args()
    global DEVICE
    DEVICE = args.device
    if DEVICE == 'cpu' and torch.cuda.is_available():
        raise SystemExit('CUDA is visible, so the Runner would train on the GPU: pass '
                         '--device cuda, or hide the GPU with CUDA_VISIBLE_DEVICES=')
    torch.set_num_threads(1)
    logging.getLogger('engine').setLevel(logging.WARNING)
    raw_loop(200), runner_loop(200)  # warm up both paths
    raw, ours = [], []
    for _ in range(args.repeat):  # interleaved: machine noise hits both alike
        raw.append(raw_loop(args.iters))
        ours.append(runner_loop(args.iters))
    raw_t, ours_t = min(raw), min(ours)
    print(f'device: {DEVICE}')
    print(f'{args.repeat} interleaved runs of {args.iters} iterations (min):')
    print(f'  raw PyTorch loop : {raw_t:.3f} s  ({raw_t / args.iters * 1e6:.1f} us/iter)')
    print(f'  engine Runner    : {ours_t:.3f} s  ({ours_t / args.iters * 1e6:.1f} us/iter)')
    print(f'  ratio            : {ours_t / raw_t:.3f}x  (target <= 1.15)')
    if args.rounds <= 0:
        return
    n = args.round_iters
    raw_times, our_times = [], []
    for _ in range(args.rounds):  # alternate: each pair runs under the same machine load
        raw_times.append(raw_loop(n) / n * 1e6)
        our_times.append(runner_loop(n) / n * 1e6)
    raw_us, ours_us = min(raw_times), min(our_times)
    paired = sorted(o / r for o, r in zip(our_times, raw_times))
    print(f'{args.rounds} alternating rounds of {n} iterations (min per iteration):')
    print(f'  raw PyTorch loop : {raw_us:.1f} us/iter')
    print(f'  engine Runner    : {ours_us:.1f} us/iter')
    print(f'  ratio            : {ours_us / raw_us:.3f}x  (target <= 1.15)')
    print(f'  per-round ratios : median {statistics.median(paired):.3f}x, '
          f'range {paired[0]:.3f}-{paired[-1]:.3f}x')


if __name__ == '__main__':
    main()
