#!/usr/bin/env python3
"""The Runner's per-iteration overhead at another git revision and in the working tree, A/B.

A change worth 1-2% of an iteration is below what one ``runner_overhead.py`` run
can resolve on a shared machine: its load drifts by more than that between two
runs minutes apart. This script alternates short measurements of the two code
versions, each in a fresh process, many times, so that drift hits both alike.
Each measurement is ``runner_overhead.py``'s per-iteration one (5th-percentile
iteration time, logging iterations weighted in): a raw-loop run, then a Runner
run, in the same process, giving one ratio. The medians of those ratios are
compared, never absolute times (a burst of load slows whole processes).

The other revision is checked out into a temporary ``git worktree`` and
imported ahead of the installed packages (its ``packages/*/src`` first on
``PYTHONPATH``); the benchmark code itself is the working tree's on both sides.

    hatch run python tools/bench/compare_revisions.py REV [--rounds 6] [--runs 4]
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def _measure(runs: int, iters: int) -> None:
    """Child process: print the p05 raw and Runner times (us) of ``runs`` runs as JSON."""
    import logging

    import torch

    sys.path.insert(0, HERE)
    import runner_overhead as bench

    torch.set_num_threads(1)
    logging.getLogger('engine').setLevel(logging.WARNING)
    bench.raw_loop(200), bench.runner_loop(200)  # warm up both paths
    raw, ours = [], []
    for _ in range(runs):  # interleaved: each ratio pairs two runs seconds apart
        raw.append(bench.steady_quantile(bench.iteration_times(bench.raw_loop, iters), 0.05))
        ours.append(bench.steady_quantile(bench.iteration_times(bench.runner_loop, iters), 0.05,
                                          bench.LOG_INTERVAL))
    print(json.dumps(dict(raw=raw, runner=ours)))


def _run_side(pythonpath: str, runs: int, iters: int) -> dict:
    env = dict(os.environ)
    if pythonpath:
        env['PYTHONPATH'] = pythonpath + os.pathsep + env.get('PYTHONPATH', '')
    out = subprocess.run([sys.executable, os.path.abspath(__file__), '--child', str(runs),
                          str(iters)], env=env, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('rev', nargs='?', help='the git revision to compare with (e.g. HEAD~1)')
    parser.add_argument('--rounds', type=int, default=6, help='processes per side, alternating')
    parser.add_argument('--runs', type=int, default=4, help='measurements per process')
    parser.add_argument('--iters', type=int, default=2000, help='iterations per measurement')
    parser.add_argument('--child', nargs=2, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _measure(*args.child)
        return
    if not args.rev:
        parser.error('name the revision to compare with')
    with tempfile.TemporaryDirectory() as tmp:
        worktree = os.path.join(tmp, 'rev')
        if subprocess.run(['git', '-C', ROOT, 'worktree', 'add', '--detach', '-q', worktree,
                           args.rev]).returncode:
            raise SystemExit(f'git could not check out {args.rev!r} (see its message above)')
        try:
            sources = os.pathsep.join(sorted(glob.glob(os.path.join(worktree, 'packages', '*',
                                                                    'src'))))
            ratios: dict = {args.rev: [], 'working tree': []}
            for i in range(args.rounds):
                # alternate which side goes first, so neither always follows the other
                order = [(args.rev, sources), ('working tree', '')]
                for name, pythonpath in order if i % 2 == 0 else order[::-1]:
                    result = _run_side(pythonpath, args.runs, args.iters)
                    pairs = [o / r for r, o in zip(result['raw'], result['runner'])]
                    ratios[name].extend(pairs)
                    print(f'  round {i + 1}  {name:>14}: raw {min(result["raw"]):6.1f} us, '
                          f'Runner {min(result["runner"]):6.1f} us (best of {args.runs}), '
                          f'ratios {" ".join(f"{p:.3f}" for p in pairs)}', flush=True)
        finally:
            subprocess.run(['git', '-C', ROOT, 'worktree', 'remove', '--force', worktree],
                           check=False)
    base, new = (statistics.median(ratios[k]) for k in (args.rev, 'working tree'))
    print(f'median of the Runner/raw ratios at p05 ({args.rounds} processes x {args.runs} '
          'runs a side):')
    print(f'  {args.rev}: {base:.3f}x   working tree: {new:.3f}x   change: '
          f'{(new / base - 1) * 100:+.1f}%')


if __name__ == '__main__':
    main()
