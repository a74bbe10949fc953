#!/usr/bin/env python3
"""What the Runner does per iteration that a hand-written loop does not: torch
operators and Python calls, counted.

Same workload as ``runner_overhead.py``. Each loop runs twice, for ``--short`` and
``--long`` iterations, and the difference of the counts is divided by the extra
iterations, so setup (the Runner's construction included) cancels out. Prints
the counts per iteration of both loops and every entry where they differ:

- torch operators, as the dispatcher sees them (a ``TorchDispatchMode``), and
  calls into torch's Python API (a ``TorchFunctionMode``);
- Python functions and builtins called (``sys.setprofile``).

Counting slows both loops down many times over: use ``runner_overhead.py`` for
times. The counts are exact and repeat from run to run.

    hatch run python tools/bench/runner_calls.py [--short 20] [--long 70]
"""

from __future__ import annotations

import argparse
import collections
import logging
import os
import sys

import torch
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import runner_overhead as bench  # noqa: E402  (a sibling script, not a package)

LOOPS = {'raw': bench.raw_loop, 'runner': bench.runner_loop}


class _AtenOps(TorchDispatchMode):
    def __init__(self, counts: collections.Counter) -> None:
        super().__init__()
        self.counts = counts

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.counts[f'aten  {func}'] += 1
        return func(*args, **(kwargs or {}))


class _TorchApi(TorchFunctionMode):
    def __init__(self, counts: collections.Counter) -> None:
        super().__init__()
        self.counts = counts

    def __torch_function__(self, func, types, args=(), kwargs=None):
        self.counts[f'torch {getattr(func, "__qualname__", func)}'] += 1
        return func(*args, **(kwargs or {}))


def _short_path(filename: str) -> str:
    for marker in ('site-packages/', 'packages/', 'tools/'):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return os.path.basename(filename)


def count_torch(loop, iters: int) -> collections.Counter:
    counts: collections.Counter = collections.Counter()
    with _AtenOps(counts), _TorchApi(counts):
        loop(iters)
    return counts


def count_python(loop, iters: int) -> collections.Counter:
    counts: collections.Counter = collections.Counter()

    def profile(frame, event, arg):
        if event == 'call':
            code = frame.f_code
            counts[f'py    {_short_path(code.co_filename)}:{code.co_firstlineno} '
                   f'{code.co_qualname}'] += 1
        elif event == 'c_call':
            counts[f'C     {getattr(arg, "__qualname__", arg)}'] += 1

    sys.setprofile(profile)
    try:
        loop(iters)
    finally:
        sys.setprofile(None)
    return counts


def per_iteration(counter, short: int, long: int) -> dict:
    per_loop = {}
    for name, loop in LOOPS.items():
        first, second = counter(loop, short), counter(loop, long)
        per_loop[name] = {key: (second[key] - first[key]) / (long - short)
                          for key in set(first) | set(second) if second[key] != first[key]}
    return per_loop


def report(title: str, per_loop: dict) -> None:
    raw, ours = per_loop['raw'], per_loop['runner']
    print(f'{title} per iteration: raw loop {sum(raw.values()):.1f}, '
          f'Runner {sum(ours.values()):.1f}')
    rows = sorted(set(raw) | set(ours), key=lambda key: (raw.get(key, 0) - ours.get(key, 0), key))
    for key in rows:
        a, b = raw.get(key, 0.0), ours.get(key, 0.0)
        if abs(b - a) >= 0.01:
            print(f'  {b - a:+7.2f}  (raw {a:6.2f}, Runner {b:6.2f})  {key}')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--short', type=int, default=20)
    parser.add_argument('--long', type=int, default=70)
    args = parser.parse_args()
    torch.set_num_threads(1)
    logging.getLogger('engine').setLevel(logging.WARNING)
    for loop in LOOPS.values():  # imports and first calls: not counted
        loop(30)
    report('torch operators and API calls', per_iteration(count_torch, args.short, args.long))
    report('Python calls', per_iteration(count_python, args.short, args.long))


if __name__ == '__main__':
    main()
