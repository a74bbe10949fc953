"""engine.dist collectives vs raw torch.distributed on a 2-process gloo group (CPU).

Usage: python tools/bench/dist_collect.py [--iters 200]

Rows compare, on the same tensors and group:
  * engine.dist.all_reduce / all_gather / broadcast_object_list against the
    torch.distributed call they wrap (the wrapper's overhead);
  * all_reduce_dict of 20 scalars against 20 separate all_reduce calls;
  * collect_results_cpu (pickles in a shared folder) against
    collect_results_gpu (all_gather_object) for 10,000 small dict results.
Ratio = engine time / baseline time (below 1: engine is faster).
"""

import argparse
import os
import socket
import statistics
import tempfile
import time

import torch
import torch.distributed as torch_dist
import torch.multiprocessing as mp

import engine.dist as dist


def _compare(ours, base, iters: int, repeats: int = 7) -> tuple:
    """Median seconds per call of ``ours`` and ``base``, measured in alternating rounds.

    Alternating keeps machine noise (other processes, frequency changes) from
    landing on one side only. Both ranks run the same schedule.
    """
    for fn in (ours, base):  # warm-up
        fn()
    times: dict = {0: [], 1: []}
    for i in range(repeats * 2):
        side = i % 2 if (i // 2) % 2 == 0 else 1 - i % 2
        fn = (ours, base)[side]
        torch_dist.barrier()
        start = time.perf_counter()
        for _ in range(iters):
            fn()
        times[side].append((time.perf_counter() - start) / iters)
    return statistics.median(times[0]), statistics.median(times[1])


def _worker(rank: int, world_size: int, port: int, iters: int, workdir: str) -> None:
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port), RANK=str(rank),
                      WORLD_SIZE=str(world_size), LOCAL_RANK=str(rank), OMP_NUM_THREADS='1')
    os.chdir(workdir)
    dist.init_dist('pytorch', backend='gloo')
    group = dist.get_default_group()
    rows = []

    for numel in (1_000, 1_000_000):
        t = torch.rand(numel)
        rows.append((f'all_reduce sum ({numel:,} f32)', *_compare(
            lambda t=t: dist.all_reduce(t),
            lambda t=t: torch_dist.all_reduce(t, group=group), iters)))
    t = torch.rand(1_000)
    rows.append(('all_reduce mean (1,000 f32)', *_compare(
        lambda: dist.all_reduce(t, op='mean'),
        lambda: (torch_dist.all_reduce(t, group=group), t.div_(world_size)), iters)))

    def raw_all_gather(x):
        out = [torch.empty_like(x) for _ in range(world_size)]
        torch_dist.all_gather(out, x, group=group)
        return out

    for numel in (1_000, 1_000_000):
        t = torch.rand(numel)
        rows.append((f'all_gather ({numel:,} f32)', *_compare(
            lambda t=t: dist.all_gather(t), lambda t=t: raw_all_gather(t), iters)))

    objs = ['foo', 12, {'metric': 0.5, 'names': list('abcdef')}]

    def ours_bcast():
        data = list(objs) if rank == 0 else [None] * 3
        dist.broadcast_object_list(data)

    def raw_bcast():
        data = list(objs) if rank == 0 else [None] * 3
        torch_dist.broadcast_object_list(data, 0, group=group)

    rows.append(('broadcast_object_list (3 objs)', *_compare(ours_bcast, raw_bcast, iters)))

    scalars = {f'loss_{i}': torch.tensor(float(i + rank)) for i in range(20)}

    def dict_once():
        dist.all_reduce_dict(dict(scalars), op='mean')

    def separate():
        for v in scalars.values():
            dist.all_reduce(v.clone(), op='mean')

    rows.append(('all_reduce_dict 20 scalars vs 20 all_reduce',
                 *_compare(dict_once, separate, iters)))

    results = [{'idx': i * world_size + rank, 'score': float(i), 'label': i % 10}
               for i in range(5_000)]  # 10,000 results over 2 ranks
    few = max(3, iters // 40)
    rows.append(('collect_results_cpu vs _gpu (10,000 dicts)', *_compare(
        lambda: dist.collect_results_cpu(results, 10_000),
        lambda: dist.collect_results_gpu(results, 10_000), few, 3)))

    if rank == 0:
        print(f'{"case":46s} {"engine (us)":>12s} {"baseline (us)":>14s} {"ratio":>7s}')
        for name, ours, base in rows:
            print(f'{name:46s} {ours * 1e6:12.1f} {base * 1e6:14.1f} {ours / base:7.2f}')
    torch_dist.destroy_process_group()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--iters', type=int, default=200)
    args = parser.parse_args()
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    with tempfile.TemporaryDirectory() as workdir:
        mp.spawn(_worker, args=(2, port, args.iters, workdir), nprocs=2)


if __name__ == '__main__':
    main()
