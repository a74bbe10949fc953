#!/usr/bin/env python3
"""``BaseDataset`` with 1 M small data infos: memory of ``serialize_data=True`` (one
NumPy buffer) against ``serialize_data=False`` (a list of dicts), and the cost of
``get_data_info`` / ``__getitem__`` against indexing a plain list.

Each storage mode is measured in a fresh subprocess (resident memory before and after
building the dataset), so the two do not share allocator state.

    hatch run python tools/bench/dataset_memory.py [--n 1000000] [--lookups 20000]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import subprocess
import sys
import time


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def measure(serialize: bool, n: int, lookups: int) -> dict:
    from engine.dataset import BaseDataset

    class InMemory(BaseDataset):
        def load_data_list(self):
            return [dict(img_path=f"data/train/{i:07d}.jpg", img_label=i % 1000, height=480,
                         width=640) for i in range(n)]

    gc.collect()
    before = rss_mb()
    start = time.perf_counter()
    ds = InMemory(serialize_data=serialize, pipeline=[])
    build_s = time.perf_counter() - start
    gc.collect()
    after = rss_mb()
    rng = random.Random(0)
    indices = [rng.randrange(n) for _ in range(lookups)]
    start = time.perf_counter()
    for i in indices:
        ds.get_data_info(i)
    info_us = (time.perf_counter() - start) / lookups * 1e6
    start = time.perf_counter()
    for i in indices:
        ds[i]
    item_us = (time.perf_counter() - start) / lookups * 1e6
    stored = ds.data_bytes.nbytes + ds.data_address.nbytes if serialize else None
    # baseline: indexing a list of the same dicts, no copy
    plain = ds.data_list if not serialize else [ds.get_data_info(i) for i in range(1000)]
    plain_idx = indices if not serialize else [i % 1000 for i in indices]
    start = time.perf_counter()
    for i in plain_idx:
        plain[i]
    list_us = (time.perf_counter() - start) / lookups * 1e6
    return dict(rss_mb=after - before, build_s=build_s, info_us=info_us, item_us=item_us,
                list_us=list_us, stored_mb=stored / 2**20 if stored else None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=20_000)
    parser.add_argument("--child", choices=["packed", "list"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child == "packed", args.n, args.lookups)))
        return
    results = {}
    for mode in ("list", "packed"):
        out = subprocess.run([sys.executable, __file__, "--child", mode, "--n", str(args.n),
                              "--lookups", str(args.lookups)],
                             check=True, capture_output=True, text=True).stdout
        results[mode] = json.loads(out.strip().splitlines()[-1])
    lst, packed = results["list"], results["packed"]
    print(f"{args.n} data infos (4 small fields each), {args.lookups} random lookups")
    print(f"  list of dicts     : RSS +{lst['rss_mb']:7.1f} MB, build {lst['build_s']:.2f} s, "
          f"get_data_info {lst['info_us']:.2f} us, __getitem__ {lst['item_us']:.2f} us")
    print(f"  serialize_data    : RSS +{packed['rss_mb']:7.1f} MB (buffer "
          f"{packed['stored_mb']:.1f} MB), build {packed['build_s']:.2f} s, "
          f"get_data_info {packed['info_us']:.2f} us, __getitem__ {packed['item_us']:.2f} us")
    print(f"  plain list[idx]   : {lst['list_us']:.3f} us")
    print(f"ratio memory serialized / list (RSS): {packed['rss_mb'] / lst['rss_mb']:.2f}x")
    buffer_ratio = packed["stored_mb"] / lst["rss_mb"]
    print(f"ratio memory serialized buffer / list (RSS): {buffer_ratio:.2f}x")
    print(f"ratio get_data_info serialized / list: {packed['info_us'] / lst['info_us']:.2f}x")
    print(f"ratio __getitem__ serialized / list: {packed['item_us'] / lst['item_us']:.2f}x")


if __name__ == "__main__":
    main()
