#!/usr/bin/env python3
"""What each piece of the Runner's training step costs, added one at a time to
a hand-written loop.

Same workload as ``runner_overhead.py`` (tiny MLP, batch 16, one thread). Each
variant is the raw loop with one more piece of what ``BaseModel.train_step``
does, so the difference between neighbours is that piece's cost:

- ``raw``: the plain loop (``criterion(mlp(x), y)``);
- ``module``: ``MLPModel(x, y)['loss']``, the Runner's module called as a module;
- ``forward``: ``MLPModel.forward(x, y, mode='loss')``, as the Runner calls it;
- ``parse``: plus ``parse_losses``;
- ``items``: plus the two ``.item()`` of a step (the finite check, the hook's log value);
- ``wrapper``: ``OptimWrapper.update_params`` instead of the three optimizer calls;
- ``train_step``: ``model.train_step(batch, optim_wrapper)`` itself (preprocessing,
  the optimizer context, the finite-loss policy), plus the hook's ``.item()``.

The hooks and the loop come on top: ``runner_breakdown.py`` shows those. The
variants take turns in a shuffled order for ``--rounds`` rounds, every
iteration is timed (``runner_overhead.iteration_times``), and the table shows
low quantiles, each relative to ``raw``.

    hatch run python tools/bench/train_step_pieces.py [--rounds 8] [--iters 2000]
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import random
import statistics
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import runner_overhead as bench  # noqa: E402  (a sibling script, not a package)

from engine.optim import OptimWrapper  # noqa: E402

# Each loop is written out: a baseline must not pay for an extra call per step.


def module(iters: int) -> None:
    model, optimizer, batches = bench._raw_setup(bench.MLPModel())
    for _ in range(iters):
        x, y = next(batches)
        loss = model(x, y)['loss']
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()


def forward(iters: int) -> None:
    model, optimizer, batches = bench._raw_setup(bench.MLPModel())
    for _ in range(iters):
        x, y = next(batches)
        loss = model.forward(x, y, mode='loss')['loss']
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()


def parse(iters: int) -> None:
    model, optimizer, batches = bench._raw_setup(bench.MLPModel())
    for _ in range(iters):
        x, y = next(batches)
        loss, _ = model.parse_losses(model.forward(x, y, mode='loss'))
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()


def items(iters: int) -> None:
    model, optimizer, batches = bench._raw_setup(bench.MLPModel())
    for _ in range(iters):
        x, y = next(batches)
        loss, log_vars = model.parse_losses(model.forward(x, y, mode='loss'))
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        math.isfinite(loss.item())
        log_vars['loss'].item()


def wrapper(iters: int) -> None:
    model, optimizer, batches = bench._raw_setup(bench.MLPModel())
    optim_wrapper = OptimWrapper(optimizer)
    for _ in range(iters):
        x, y = next(batches)
        loss, log_vars = model.parse_losses(model.forward(x, y, mode='loss'))
        optim_wrapper.update_params(loss)
        math.isfinite(loss.item())
        log_vars['loss'].item()


def train_step(iters: int) -> None:
    model, optimizer, batches = bench._raw_setup(bench.MLPModel())
    optim_wrapper = OptimWrapper(optimizer)
    for _ in range(iters):
        log_vars = model.train_step(next(batches), optim_wrapper)
        log_vars['loss'].item()


VARIANTS = dict(raw=bench.raw_loop, module=module, forward=forward, parse=parse, items=items,
                wrapper=wrapper, train_step=train_step)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--rounds', type=int, default=8)
    parser.add_argument('--iters', type=int, default=2000)
    args = parser.parse_args()
    if torch.cuda.is_available():
        raise SystemExit('CUDA is visible: hide it with CUDA_VISIBLE_DEVICES= (a CPU benchmark)')
    torch.set_num_threads(1)
    logging.getLogger('engine').setLevel(logging.WARNING)
    times: dict = {name: [] for name in VARIANTS}
    for loop in VARIANTS.values():  # warm up every path
        bench.iteration_times(loop, 200)
    for _ in range(args.rounds):
        order = list(VARIANTS)
        random.shuffle(order)  # no variant always runs right after another
        for name in order:
            times[name].append(bench.iteration_times(VARIANTS[name], args.iters))
    print(f'{args.rounds} rounds of {args.iters} iterations, each iteration timed '
          '(quantile per round, median over rounds; us/iter, ratio to raw):')
    for q in (0.05, 0.10, 0.25):
        cost = {name: statistics.median(bench.steady_quantile(t, q) for t in runs)
                for name, runs in times.items()}
        print(f'  p{round(q * 100):02d}  ' + '  '.join(
            f'{name} {value:.1f} ({value / cost["raw"]:.3f}x)' for name, value in cost.items()))


if __name__ == '__main__':
    main()
