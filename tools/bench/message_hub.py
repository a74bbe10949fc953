#!/usr/bin/env python3
"""``MessageHub.update_scalars`` (5 values per training step) against appending the same
values to plain Python lists, the cheapest possible bookkeeping; also ``update_scalar``
one key at a time, and ``scalar_appender`` (what the default hooks use each iteration).

    hatch run python tools/bench/message_hub.py [--iters 10000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import time

from engine.logging import MessageHub

KEYS = ("train/loss", "train/loss_cls", "train/lr", "train/time", "train/data_time")


def bench_lists(iters: int) -> float:
    lists = {key: [] for key in KEYS}
    start = time.perf_counter()
    for i in range(iters):
        value = i * 1e-3
        for key in KEYS:
            lists[key].append(value)
    return time.perf_counter() - start


def bench_hub(iters: int, name: str) -> float:
    hub = MessageHub(name)
    start = time.perf_counter()
    for i in range(iters):
        value = i * 1e-3
        hub.update_scalars({key: value for key in KEYS})
    return time.perf_counter() - start


def bench_hub_scalar(iters: int, name: str) -> float:
    hub = MessageHub(name)
    start = time.perf_counter()
    for i in range(iters):
        value = i * 1e-3
        for key in KEYS:
            hub.update_scalar(key, value)
    return time.perf_counter() - start


def bench_hub_appender(iters: int, name: str) -> float:
    hub = MessageHub(name)
    appenders = [hub.scalar_appender(key) for key in KEYS]
    start = time.perf_counter()
    for i in range(iters):
        value = i * 1e-3
        for append in appenders:
            append(value)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iters", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    lists, hub, scalar, appender = [], [], [], []
    for r in range(args.repeat):
        lists.append(bench_lists(args.iters))
        hub.append(bench_hub(args.iters, f"bench_scalars_{r}"))
        scalar.append(bench_hub_scalar(args.iters, f"bench_scalar_{r}"))
        appender.append(bench_hub_appender(args.iters, f"bench_appender_{r}"))
    best_lists, best_hub, best_scalar = min(lists), min(hub), min(scalar)
    best_appender = min(appender)
    per_step = best_hub / args.iters * 1e6
    print(f"{args.iters} iterations x {len(KEYS)} scalars, best of {args.repeat}")
    print(f"  lists.append           : {best_lists * 1e3:8.2f} ms")
    print(f"  MessageHub.update_scalars: {best_hub * 1e3:8.2f} ms ({per_step:.1f} us per step)")
    print(f"  MessageHub.update_scalar : {best_scalar * 1e3:8.2f} ms")
    print(f"  MessageHub.scalar_appender: {best_appender * 1e3:8.2f} ms")
    print(f"ratio update_scalars / lists: {best_hub / best_lists:.1f}x")
    print(f"ratio update_scalar  / lists: {best_scalar / best_lists:.1f}x")
    print(f"ratio scalar_appender / lists: {best_appender / best_lists:.1f}x")


if __name__ == "__main__":
    main()
