"""What CheckpointHook's stop vote adds to an iteration of a distributed run.

Two gloo ranks on CPU run the same busy "iteration" (``--iter-us`` of pure Python
work, default 300 us) with and without ``StopVote.poll`` after each, in
alternating rounds, at the default pace (about one vote a second) and with a vote
every iteration (the cost the pacing avoids). Prints microseconds per iteration
and the ratios to the loop without a vote.

    hatch run python tools/bench/stop_vote.py [--iter-us 300] [--iters 2000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import socket
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp


def _busy(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def _loop(iters: int, work: float, vote) -> float:
    dist.barrier()
    start = time.perf_counter()
    for _ in range(iters):
        _busy(work)
        if vote is not None:
            vote.poll(False)
    return (time.perf_counter() - start) / iters


def _worker(rank: int, port: int, args) -> None:
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    torch.set_num_threads(1)
    dist.init_process_group('gloo', rank=rank, world_size=2)
    from engine.hooks.stop_vote import StopVote

    paced = StopVote()
    every = StopVote()
    every.seconds_between_votes = 0
    work = args.iter_us * 1e-6
    sides = {'no vote': None, 'paced vote': paced, 'vote every iteration': every}
    best = dict.fromkeys(sides, float('inf'))
    for _ in range(args.rounds):  # alternate: machine noise hits all three alike
        for name, vote in sides.items():
            best[name] = min(best[name], _loop(args.iters, work, vote))
    paced.close()
    every.close()
    if rank == 0:
        base = best['no vote']
        print(f'2 gloo ranks, {args.iter_us} us of work per iteration, best of {args.rounds} '
              f'rounds of {args.iters} iterations')
        for name, seconds in best.items():
            print(f'  {name:<22}{seconds * 1e6:8.1f} us/iter{seconds / base:8.3f}x')
    dist.destroy_process_group()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--iter-us', type=float, default=300.0)
    parser.add_argument('--iters', type=int, default=2000)
    parser.add_argument('--rounds', type=int, default=5)
    args = parser.parse_args()
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    mp.spawn(_worker, args=(port, args), nprocs=2)


if __name__ == '__main__':
    main()
