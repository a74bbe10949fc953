"""engine.fileio vs the plain calls it wraps; prints time ratios (lower is better).

    hatch run python tools/bench/fileio_io.py [--quick]

Each case runs the engine call and its baseline side by side in one process,
alternating, and reports the best of several rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from typing import Callable

import engine.fileio as fileio
from engine.fileio import LmdbBackend, LocalBackend


def best_of(fn: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def compare(name: str, ours: Callable[[], object], base: Callable[[], object],
            rounds: int) -> None:
    ours(), base()  # warm caches
    t_ours = t_base = float('inf')
    for _ in range(rounds):  # alternate so drift hits both equally
        t_ours = min(t_ours, best_of(ours, 1))
        t_base = min(t_base, best_of(base, 1))
    print(f'{name:<44} engine {t_ours * 1e3:9.2f} ms   baseline {t_base * 1e3:9.2f} ms   '
          f'ratio {t_ours / t_base:5.2f}x')


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--quick', action='store_true', help='smaller sizes, fewer rounds')
    args = parser.parse_args()
    n_small, big_mb, n_keys, rounds = (200, 8, 1000, 3) if args.quick else (2000, 64, 10000, 7)

    with tempfile.TemporaryDirectory() as tmp:
        small = [os.path.join(tmp, f'small_{i}.bin') for i in range(n_small)]
        payload = os.urandom(4096)
        for p in small:
            with open(p, 'wb') as f:
                f.write(payload)
        big = os.path.join(tmp, 'big.bin')
        with open(big, 'wb') as f:
            f.write(os.urandom(big_mb << 20))
        backend = LocalBackend()

        def read_one(p):
            with open(p, 'rb') as f:
                return f.read()

        def raw_read(paths):  # keeps the results, like the engine side does
            return [read_one(p) for p in paths]

        compare(f'get {n_small} x 4 KiB (fileio.get)',
                lambda: [fileio.get(p) for p in small], lambda: raw_read(small), rounds)
        compare(f'get {n_small} x 4 KiB (LocalBackend.get)',
                lambda: [backend.get(p) for p in small], lambda: raw_read(small), rounds)
        compare(f'get 1 x {big_mb} MiB (fileio.get)',
                lambda: fileio.get(big), lambda: raw_read([big]), rounds)

        def raw_write(paths):
            for p in paths:
                with open(p, 'wb') as f:
                    f.write(payload)

        out = [os.path.join(tmp, f'out_{i}.bin') for i in range(n_small)]
        compare(f'put {n_small} x 4 KiB (atomic) vs open(wb)',
                lambda: [fileio.put(payload, p) for p in out], lambda: raw_write(out), rounds)

        obj = {'loss': [0.1 * i for i in range(200)], 'meta': {'name': 'x' * 50, 'ep': 3}}
        jpaths = [os.path.join(tmp, f'j_{i}.json') for i in range(n_small // 4)]

        def raw_dump():
            for p in jpaths:
                with open(p, 'w') as f:
                    json.dump(obj, f)

        def raw_load():
            for p in jpaths:
                with open(p) as f:
                    json.load(f)

        compare(f'dump {len(jpaths)} json (atomic) vs json.dump',
                lambda: [fileio.dump(obj, p) for p in jpaths], raw_dump, rounds)
        compare(f'load {len(jpaths)} json vs json.load',
                lambda: [fileio.load(p) for p in jpaths], raw_load, rounds)

        try:
            import lmdb
        except ImportError:
            print('lmdb not installed: LMDB case skipped')
            return
        db = os.path.join(tmp, 'db.lmdb')
        keys = [f'{i:08d}' for i in range(n_keys)]
        env = lmdb.open(db, map_size=1 << 30)
        with env.begin(write=True) as txn:
            for k in keys:
                txn.put(k.encode('ascii'), payload[:512])
        env.close()
        lb = LmdbBackend(db)
        lb.get(keys[0])  # opens the shared environment
        raw_env = lb._client

        def get_one(k):
            with raw_env.begin(write=False) as txn:
                return txn.get(k.encode('ascii'))

        def raw_per_key():
            return [get_one(k) for k in keys]

        def raw_one_txn():
            with raw_env.begin(write=False) as txn:
                return [txn.get(k.encode('ascii')) for k in keys]

        compare(f'LMDB get {n_keys} keys vs txn per key',
                lambda: [lb.get(k) for k in keys], raw_per_key, rounds)
        compare(f'LMDB get {n_keys} keys vs one shared txn',
                lambda: [lb.get(k) for k in keys], raw_one_txn, rounds)
        lb.close()


if __name__ == '__main__':
    main()
