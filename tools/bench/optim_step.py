"""Benchmark: OptimWrapper.update_params and chained schedulers vs the raw PyTorch loop.

Trains a small MLP for ``--steps`` iterations (default 5,000) four ways, in the
same process, interleaved over ``--repeat`` rounds so that machine noise hits
every variant alike:

- raw:          loss.backward(); optimizer.step(); optimizer.zero_grad()
- wrapper:      optim_wrapper.update_params(loss)
- wrapper+ctx:  forward inside optim_wrapper.optim_context(model), then update_params
- sched torch:  raw loop + 3 torch.optim.lr_scheduler schedulers stepped per iteration
- sched engine: update_params + the 3 equivalent engine.optim schedulers

Prints the best (min) and median time of each and the ratios wrapper/raw and
sched engine/sched torch (target: <= 1.05), plus a scheduler-only microbenchmark.
On a shared, loaded machine trust the min-based ratios: noise only adds time.

Run: hatch run python tools/bench/optim_step.py [--steps N] [--repeat R]
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import torch
import torch.nn as nn
import torch.optim.lr_scheduler as tls

from engine.optim import CosineAnnealingLR, LinearLR, MultiStepLR, OptimWrapper


def make_model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(),
                         nn.Linear(64, 1))


def make_sgd(model: nn.Module) -> torch.optim.Optimizer:
    return torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)


def torch_schedulers(opt, steps):
    return [tls.LinearLR(opt, start_factor=0.1, total_iters=steps // 10 - 1),
            tls.CosineAnnealingLR(opt, T_max=steps),
            tls.MultiStepLR(opt, milestones=[steps // 2, steps * 3 // 4])]


def engine_schedulers(opt, steps):
    return [LinearLR(opt, start_factor=0.1, by_epoch=False, end=steps // 10),
            CosineAnnealingLR(opt, T_max=steps, by_epoch=False),
            MultiStepLR(opt, milestones=[steps // 2, steps * 3 // 4], by_epoch=False)]


def run_raw(x, y, steps, with_schedulers=False):
    model = make_model()
    opt = make_sgd(model)
    scheds = torch_schedulers(opt, steps) if with_schedulers else []
    start = time.perf_counter()
    for _ in range(steps):
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        opt.zero_grad()
        for s in scheds:
            s.step()
    return time.perf_counter() - start


def run_wrapper(x, y, steps, with_context=False, with_schedulers=False):
    model = make_model()
    wrapper = OptimWrapper(make_sgd(model))
    scheds = engine_schedulers(wrapper, steps) if with_schedulers else []
    start = time.perf_counter()
    for _ in range(steps):
        if with_context:
            with wrapper.optim_context(model):
                loss = nn.functional.mse_loss(model(x), y)
        else:
            loss = nn.functional.mse_loss(model(x), y)
        wrapper.update_params(loss)
        for s in scheds:
            s.step()
    return time.perf_counter() - start


def scheduler_only(steps):
    """Time stepping the 3 schedulers alone (no forward/backward)."""
    warnings.filterwarnings('ignore', message='Detected call of')  # no optimizer.step here
    results = {}
    for name, build in (('torch', torch_schedulers), ('engine', engine_schedulers)):
        opt = make_sgd(make_model())
        scheds = build(opt, steps)
        start = time.perf_counter()
        for _ in range(steps):
            for s in scheds:
                s.step()
        results[name] = time.perf_counter() - start
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--steps', type=int, default=5000)
    parser.add_argument('--repeat', type=int, default=5)
    parser.add_argument('--threads', type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    x, y = torch.randn(32, 32), torch.randn(32, 1)

    variants = {
        'raw': lambda: run_raw(x, y, args.steps),
        'wrapper': lambda: run_wrapper(x, y, args.steps),
        'wrapper+ctx': lambda: run_wrapper(x, y, args.steps, with_context=True),
        'sched torch': lambda: run_raw(x, y, args.steps, with_schedulers=True),
        'sched engine': lambda: run_wrapper(x, y, args.steps, with_schedulers=True),
    }
    for fn in variants.values():  # warm-up: lazy imports, allocator
        fn()
    times = {name: [] for name in variants}
    for _ in range(args.repeat):
        for name, fn in variants.items():
            times[name].append(fn())
    best = {name: min(t) for name, t in times.items()}
    med = {name: statistics.median(t) for name, t in times.items()}

    print(f'{args.steps} steps, MLP 32-64-64-1, batch 32, SGD(momentum), '
          f'{args.threads} thread(s), {args.repeat} rounds')
    for name in variants:
        print(f'  {name:<13} min {best[name]:7.3f} s ({best[name] / args.steps * 1e6:6.1f} '
              f'us/step)   median {med[name]:7.3f} s')
    for label, num, den in (('wrapper / raw', 'wrapper', 'raw'),
                            ('wrapper+ctx / raw', 'wrapper+ctx', 'raw'),
                            ('sched engine / sched torch', 'sched engine', 'sched torch')):
        print(f'ratio {label:<27}: min {best[num] / best[den]:.3f}   '
              f'median {med[num] / med[den]:.3f}')
    only = [scheduler_only(args.steps) for _ in range(args.repeat)]
    t_torch = min(o['torch'] for o in only)
    t_engine = min(o['engine'] for o in only)
    print(f'schedulers only ({args.steps} x 3 steps): torch {t_torch * 1e3:.1f} ms, '
          f'engine {t_engine * 1e3:.1f} ms, ratio {t_engine / t_torch:.3f}')


if __name__ == '__main__':
    main()
