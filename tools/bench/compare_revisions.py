#!/usr/bin/env python3
"""The Runner's per-iteration overhead at another git revision and in the working tree, A/B.

A change worth 1-2% of an iteration is below what one ``runner_overhead.py`` run
can resolve on a shared machine: its load drifts by more than that between two
runs minutes apart. This script alternates short measurements of the two code
versions, each in a fresh process, many times, so that drift hits both alike.
Each measurement is ``runner_overhead.in_fresh_process`` (5th-percentile
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
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('rev', nargs='?', help='the git revision to compare with (e.g. HEAD~1)')
    parser.add_argument('--rounds', type=int, default=6, help='processes per side, alternating')
    parser.add_argument('--runs', type=int, default=4, help='measurements per process')
    parser.add_argument('--iters', type=int, default=2000, help='iterations per measurement')
    args = parser.parse_args()
    if not args.rev:
        parser.error('name the revision to compare with')
    sys.path.insert(0, HERE)
    import runner_overhead as bench  # its per-process measurement, run for each side
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
                    result = bench.in_fresh_process(args.runs, args.iters, pythonpath)
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
