#!/usr/bin/env python3
"""Wall time of `python -c "import engine.config"` against its own dependencies.

Each variant is run in a fresh interpreter many times, alternating, and the
median is reported; the difference is what engine.config itself costs.

    hatch run python tools/bench/import_time.py [--runs 30]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

VARIANTS = {
    'python (empty)': 'pass',
    'yaml + addict': 'import yaml, addict',
    'engine.config': 'import engine.config',
    'engine.registry': 'import engine.registry',
    'engine.fileio': 'import engine.fileio',
}


def time_once(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, '-c', code], check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--runs', type=int, default=30)
    args = parser.parse_args()
    samples = {name: [] for name in VARIANTS}
    for _ in range(args.runs):  # interleaved so that machine noise hits all alike
        for name, code in VARIANTS.items():
            samples[name].append(time_once(code))
    median = {name: statistics.median(s) * 1e3 for name, s in samples.items()}
    base = median['yaml + addict']
    print(f'{"variant":<18} {"median ms":>10} {"vs yaml+addict":>15}')
    for name, ms in median.items():
        print(f'{name:<18} {ms:10.1f} {ms - base:+14.1f} ms  ({ms / base:.2f}x)')
    print(f'\nengine.config costs {median["engine.config"] - base:+.1f} ms over yaml+addict '
          '(target: within 15 ms)')


if __name__ == '__main__':
    main()
