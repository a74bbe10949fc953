#!/usr/bin/env python3
"""Where the Runner's per-iteration time goes: the raw loop, the Runner without
default hooks, with them, and with each one left out.

Same workload as ``runner_overhead.py`` (tiny MLP, batch 16, one thread). Each
configuration runs ``--iters`` iterations per round, the configurations take
turns for ``--rounds`` rounds, and the table shows each one's best and median
round, with the ratio of its best to the raw loop's best. Times are this
thread's CPU time (``time.thread_time``): on a shared virtual machine, time
spent in other processes does not count, which makes small differences easier
to see. ``--wall`` measures wall-clock time instead.

``--per-iteration`` times every iteration instead (wall clock, as the third
measurement of ``runner_overhead.py`` does) and compares the 5th and 25th
percentiles, with the Runner's logging iterations weighted in. Differences of
about 1% show up reliably this way; whole-round times move by more than that.

    hatch run python tools/bench/runner_breakdown.py [--iters 1000] [--rounds 8] [--wall]
        [--per-iteration]
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import runner_overhead as bench  # noqa: E402  (a sibling script, not a package)

DEFAULT_HOOKS = ('runtime_info', 'timer', 'sampler_seed', 'logger', 'param_scheduler',
                 'checkpoint')
BENCH_HOOKS = bench.BENCH_HOOKS


def configurations() -> dict:
    configs: dict = {'raw loop': None, 'Runner, default hooks': dict(BENCH_HOOKS)}
    for name in DEFAULT_HOOKS:
        hooks = dict(BENCH_HOOKS)
        hooks[name] = None
        configs[f'  without {name}'] = hooks
    never_logs = dict(BENCH_HOOKS, logger=dict(type='LoggerHook', interval=10**9))
    configs['  logger never logging'] = never_logs
    configs['Runner, no default hooks'] = {name: None for name in DEFAULT_HOOKS}
    return configs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--iters', type=int, default=1000)
    parser.add_argument('--rounds', type=int, default=8)
    parser.add_argument('--wall', action='store_true', help='wall clock instead of CPU time')
    parser.add_argument('--per-iteration', action='store_true',
                        help='time each iteration; compare low percentiles')
    args = parser.parse_args()
    if torch.cuda.is_available():
        raise SystemExit('CUDA is visible: hide it with CUDA_VISIBLE_DEVICES= (a CPU benchmark)')
    torch.set_num_threads(1)
    logging.getLogger('engine').setLevel(logging.WARNING)
    bench.CLOCK = time.perf_counter if args.wall else time.thread_time

    def run(hooks, iters):
        return bench.raw_loop(iters) if hooks is None else bench.runner_loop(iters, hooks)

    configs = configurations()
    for hooks in configs.values():  # warm up every path
        run(hooks, 100)
    if args.per_iteration:
        per_iteration(configs, run, args.rounds, args.iters)
        return
    times: dict = {name: [] for name in configs}
    for _ in range(args.rounds):
        for name, hooks in configs.items():
            times[name].append(run(hooks, args.iters) / args.iters * 1e6)
    raw_best = min(times['raw loop'])
    clock_name = 'wall clock' if args.wall else 'thread CPU time'
    print(f'{args.rounds} rounds of {args.iters} iterations, {clock_name}, us per iteration:')
    print(f'  {"configuration":<28}{"best":>8}{"median":>9}{"best/raw":>10}')
    for name, values in times.items():
        best = min(values)
        print(f'  {name:<28}{best:>8.1f}{statistics.median(values):>9.1f}'
              f'{best / raw_best:>9.3f}x')


def per_iteration(configs: dict, run, rounds: int, iters: int) -> None:
    times: dict = {name: [] for name in configs}
    for _ in range(rounds):
        for name, hooks in configs.items():
            times[name].append(bench.iteration_times(lambda n, h=hooks: run(h, n), iters))

    def percentile(name: str, q: float) -> float:
        period = None if configs[name] is None else bench.LOG_INTERVAL
        return statistics.median(bench.steady_quantile(t, q, period) for t in times[name])

    raw = {q: percentile('raw loop', q) for q in (0.05, 0.25)}
    print(f'{rounds} rounds of {iters} iterations, each iteration timed (wall clock), '
          'us per iteration:')
    print(f'  {"configuration":<28}{"p05":>8}{"p25":>9}{"p05/raw":>10}{"p25/raw":>10}')
    for name in configs:
        p05, p25 = percentile(name, 0.05), percentile(name, 0.25)
        print(f'  {name:<28}{p05:>8.1f}{p25:>9.1f}{p05 / raw[0.05]:>9.3f}x'
              f'{p25 / raw[0.25]:>9.3f}x')


if __name__ == '__main__':
    main()
