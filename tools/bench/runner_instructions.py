#!/usr/bin/env python3
"""Instructions per iteration of the Runner and of a hand-written loop (valgrind).

Wall-clock ratios (``runner_overhead.py``) move by tens of percent on a shared
virtual machine. Instruction counts do not: callgrind counts what each side
executes, whatever else the machine is doing. Both sides run the workload of
``runner_overhead.py`` (tiny MLP, batch 16, one thread); each is measured at
two lengths and the difference is divided by the extra iterations, so setup
cancels out. Prints instructions per iteration and their ratio.

Instructions are not cycles: a side that touches more code or data misses the
caches more, and one with less regular control flow mispredicts more branches.
``--cache-sim`` adds callgrind's simulated caches and branch predictor and prints
an estimated-cycles ratio: memory accesses weighted 1 (L1 hit), 5 (last-level
hit) and 35 (RAM), the weights pythonspeed.com uses for benchmarks in CI, plus
20 per mispredicted branch (the middle of the 10-30 cycles the cachegrind manual
gives). The wall-clock ratio stays the user-facing one.

    hatch run python tools/bench/runner_instructions.py [--iters 100 300] [--cache-sim]

Needs ``valgrind`` (and ``callgrind_control``) on PATH; takes ~3 minutes (~6 with
``--cache-sim``).
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


def _count(side: str, iters: int, out_dir: str, cache_sim: bool) -> dict:
    """Callgrind's event totals (``Ir``, and with ``cache_sim`` misses and branches)."""
    out = os.path.join(out_dir, f'{side}.{iters}.out')
    # a fixed hash seed: dict layouts (and so instruction counts) repeat run to run
    env = dict(os.environ, PYTHONHASHSEED='0')
    sim = ['--cache-sim=yes', '--branch-sim=yes'] if cache_sim else []
    subprocess.run(['valgrind', '--tool=callgrind', '--instr-atstart=no', *sim,
                    f'--callgrind-out-file={out}', sys.executable, __file__,
                    '--child', side, str(iters)],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, env=env)
    with open(out) as f:
        text = f.read()
    events = re.search(r'^events:\s*(.+)$', text, re.M)
    totals = re.search(r'^totals:\s*([\d ]+)$', text, re.M)
    if events is None or totals is None:
        raise RuntimeError(f'no event totals in {out}')
    return dict(zip(events.group(1).split(), map(int, totals.group(1).split())))


def estimated_cycles(c: dict) -> float:
    """Cycles from simulated events (weights in the module docstring)."""
    accesses = c['Ir'] + c['Dr'] + c['Dw']
    l1_misses = c['I1mr'] + c['D1mr'] + c['D1mw']
    ram = c['ILmr'] + c['DLmr'] + c['DLmw']
    mispredicted = c['Bcm'] + c['Bim']
    return (accesses - l1_misses) + 5 * (l1_misses - ram) + 35 * ram + 20 * mispredicted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--iters', type=int, nargs=2, default=(100, 300),
                        metavar=('SHORT', 'LONG'))
    parser.add_argument('--cache-sim', action='store_true',
                        help='also simulate caches and branch prediction (estimated cycles)')
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
            first, second = (_count(side, n, out_dir, args.cache_sim) for n in (short, long))
            per_iter[side] = {event: (second[event] - first[event]) / (long - short)
                              for event in second}
    raw, ours = per_iter['raw'], per_iter['runner']
    print(f'instructions per iteration ({long} - {short} iterations, callgrind):')
    print(f'  raw PyTorch loop : {raw["Ir"]:,.0f}')
    print(f'  engine Runner    : {ours["Ir"]:,.0f}')
    print(f'  ratio            : {ours["Ir"] / raw["Ir"]:.3f}x')
    if not args.cache_sim:
        return
    print('simulated per iteration          raw       Runner    ratio')
    for label, events in (('L1 misses (I+D)', ('I1mr', 'D1mr', 'D1mw')),
                          ('last-level misses', ('ILmr', 'DLmr', 'DLmw')),
                          ('mispredicted branches', ('Bcm', 'Bim'))):
        a, b = sum(raw[e] for e in events), sum(ours[e] for e in events)
        ratio = f'{b / a:.3f}x' if a else '-'
        print(f'  {label:<22}{a:>12,.0f}{b:>12,.0f}{ratio:>9}')
    a, b = estimated_cycles(raw), estimated_cycles(ours)
    print(f'  {"estimated cycles":<22}{a:>12,.0f}{b:>12,.0f}{b / a:>8.3f}x')


if __name__ == '__main__':
    main()
