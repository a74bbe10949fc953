#!/usr/bin/env python3
"""Instructions per iteration of the Runner and of a hand-written loop (valgrind).

Wall-clock ratios (``runner_overhead.py``) move by tens of percent on a shared
virtual machine. Instruction counts do not: callgrind counts what each side
executes, whatever else the machine is doing. Both sides run the workload of
``runner_overhead.py`` (tiny MLP, batch 16, one thread); each is measured at
two lengths and the difference is divided by the extra iterations, so setup
cancels out. Prints instructions per iteration and their ratio. Cache and
branch effects are not counted: the wall-clock ratio is the user-facing one.

    hatch run python tools/bench/runner_instructions.py [--iters 100 300]

Needs ``valgrind`` (and ``callgrind_control``) on PATH; takes ~3 minutes.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def _child(side: str, iters: int) -> None:
    """Runs under valgrind: warm up both paths, then count ``iters`` of one side."""
    import logging

    import torch

    sys.path.insert(0, HERE)
    import runner_overhead as bench

    torch.set_num_threads(1)
    logging.getLogger('engine').setLevel(logging.ERROR)
    bench.raw_loop(50), bench.runner_loop(50)  # imports and first-call work: not counted

    def instrument(on: bool) -> None:
        subprocess.run(['callgrind_control', '-i', 'on' if on else 'off', str(os.getpid())],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)

    instrument(True)
    (bench.raw_loop if side == 'raw' else bench.runner_loop)(iters)
    instrument(False)


def _count(side: str, iters: int, out_dir: str) -> int:
    out = os.path.join(out_dir, f'{side}.{iters}.out')
    # a fixed hash seed: dict layouts (and so instruction counts) repeat run to run
    env = dict(os.environ, PYTHONHASHSEED='0')
    subprocess.run(['valgrind', '--tool=callgrind', '--instr-atstart=no',
                    f'--callgrind-out-file={out}', sys.executable, __file__,
                    '--child', side, str(iters)],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, env=env)
    with open(out) as f:
        match = re.search(r'^totals:\s*(\d+)', f.read(), re.M)
    if match is None:
        raise RuntimeError(f'no instruction total in {out}')
    return int(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--iters', type=int, nargs=2, default=(100, 300),
                        metavar=('SHORT', 'LONG'))
    parser.add_argument('--child', nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], int(args.child[1]))
        return
    if not (shutil.which('valgrind') and shutil.which('callgrind_control')):
        raise SystemExit('valgrind with callgrind_control is needed (apt install valgrind)')
    short, long = args.iters
    per_iter = {}
    with tempfile.TemporaryDirectory() as out_dir:
        for side in ('raw', 'runner'):
            counts = [_count(side, n, out_dir) for n in (short, long)]
            per_iter[side] = (counts[1] - counts[0]) / (long - short)
    print(f'instructions per iteration ({long} - {short} iterations, callgrind):')
    print(f'  raw PyTorch loop : {per_iter["raw"]:,.0f}')
    print(f'  engine Runner    : {per_iter["runner"]:,.0f}')
    print(f'  ratio            : {per_iter["runner"] / per_iter["raw"]:.3f}x')


if __name__ == '__main__':
    main()
