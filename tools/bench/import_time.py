#!/usr/bin/env python3
"""Wall time of `python -c "import engine.config"` against its own dependencies.

Each variant is run in a fresh interpreter many times, alternating, and the
median is reported; the difference is what engine.config itself costs.

Bytecode: the dev environment sets PYTHONDONTWRITEBYTECODE=1, so without care
every run recompiles engine's sources (and, with only PYTHONPYCACHEPREFIX set,
the whole stdlib too, since a prefix hides the stdlib's own ``__pycache__``).
The bench therefore runs every child with PYTHONPYCACHEPREFIX pointing at a
fresh temp dir and bytecode writing on, after one warm-up run per variant:
the numbers are those of an installed package with its .pyc files, and the
source tree is left untouched.

    hatch run python tools/bench/import_time.py [--runs 30]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

VARIANTS = {
    'python (empty)': 'pass',
    'yaml + addict': 'import yaml, addict',
    'engine (meta __init__)': 'import engine',
    'engine.config': 'import engine.config',
    'engine.registry': 'import engine.registry',
    'engine.fileio': 'import engine.fileio',
}


def child_env(pycache: str) -> dict:
    """Environment for the children: .pyc files written to and read from ``pycache``."""
    env = dict(os.environ, PYTHONPYCACHEPREFIX=pycache)
    env.pop('PYTHONDONTWRITEBYTECODE', None)
    return env


def time_once(code: str, env: dict) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, '-c', code], check=True, env=env)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--runs', type=int, default=30)
    args = parser.parse_args()
    samples: dict[str, list[float]] = {name: [] for name in VARIANTS}
    with tempfile.TemporaryDirectory(prefix='engine_pycache_') as pycache:
        env = child_env(pycache)
        for code in VARIANTS.values():  # warm-up: compile everything once
            time_once(code, env)
        for _ in range(args.runs):  # interleaved so that machine noise hits all alike
            for name, code in VARIANTS.items():
                samples[name].append(time_once(code, env))
    median = {name: statistics.median(s) * 1e3 for name, s in samples.items()}
    base = median['yaml + addict']
    print('(children run with PYTHONPYCACHEPREFIX=<temp dir>, bytecode cached after a warm-up)')
    print(f'{"variant":<24} {"median ms":>10} {"vs yaml+addict":>15}')
    for name, ms in median.items():
        print(f'{name:<24} {ms:10.1f} {ms - base:+14.1f} ms  ({ms / base:.2f}x)')
    print(f'\nengine.config costs {median["engine.config"] - base:+.1f} ms over yaml+addict '
          '(target: within 15 ms)')


if __name__ == '__main__':
    main()
