"""engine.dist on a real two-process gloo group.

Covers what other tests leave implicit: every collective and query with an
explicit ``group`` (DIST-03..13, 22..34 "passes it explicitly to torch"), the
reference's all_reduce_dict table (DIST-28), rank 0's seed winning in
sync_random_seed (DIST-26), and collect_results truncating to the shortest
part when the parts differ in length (DIST-31..33).

Run as a script, this file is the worker of one rank.
"""

import os
import socket
import subprocess
import sys
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_two_ranks_explicit_groups_and_reference_tables(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(('SLURM_', 'OMPI_')) and k not in ('RANK', 'WORLD_SIZE')}
    env.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(_free_port()), WORLD_SIZE='2',
               OMP_NUM_THREADS='1', PYTHONUNBUFFERED='1')
    procs = [subprocess.Popen([sys.executable, __file__],
                              env=dict(env, RANK=str(rank), LOCAL_RANK=str(rank)),
                              cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True) for rank in range(2)]
    outputs = []
    try:
        for p in procs:
            outputs.append(p.communicate(timeout=120)[0])
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    report = '\n'.join(f'--- rank {i} (rc={p.returncode})\n{out}'
                       for i, (p, out) in enumerate(zip(procs, outputs)))
    assert all(p.returncode == 0 for p in procs), report
    assert list(Path(tmp_path).iterdir()) == []  # collect_results left nothing behind


def _worker() -> None:
    from unittest.mock import patch

    import torch
    import torch.distributed as torch_dist

    import engine.dist as dist

    dist.init_dist('pytorch', backend='gloo', timeout=60)
    rank = dist.get_rank()
    other = torch_dist.new_group([0, 1])
    dist.init_local_group(0, 2)

    for group in (other, dist.get_local_group()):
        assert dist.get_rank(group) == rank and dist.get_world_size(group) == 2
        assert dist.get_dist_info(group) == (rank, 2)
        assert dist.get_backend(group) == 'gloo'
        assert dist.is_main_process(group) == (rank == 0)
        assert dist.get_comm_device(group) == torch.device('cpu')
        assert dist.barrier(group) is None

        data = torch.tensor([1., 2.]) * (rank + 1)
        dist.all_reduce(data, 'mean', group)
        assert data.tolist() == [1.5, 3.0], data
        got = dist.all_gather(torch.tensor([rank, 10 + rank]), group)
        assert [t.tolist() for t in got] == [[0, 10], [1, 11]], got
        got = dist.gather(torch.tensor([rank]), dst=1, group=group)
        assert [t.tolist() for t in got] == ([[0], [1]] if rank == 1 else []), got
        data = torch.tensor([rank, rank])
        dist.broadcast(data, 1, group)
        assert data.tolist() == [1, 1], data
        objs = [f'from {rank}', rank]
        dist.broadcast_object_list(objs, 1, group)
        assert objs == ['from 1', 1], objs
        assert dist.all_gather_object({rank: 'x'}, group) == [{0: 'x'}, {1: 'x'}]
        got = dist.gather_object(rank * 3, 1, group)
        assert got == ([0, 3] if rank == 1 else None), got
        seeds = dist.all_gather_object(dist.sync_random_seed(group), group)
        assert seeds[0] == seeds[1], seeds
        d = {'b': torch.tensor([rank, 5]), 'a': torch.tensor([[1. - rank]])}
        dist.all_reduce_dict(d, 'max', group)
        assert d['b'].tolist() == [1, 5] and d['a'].tolist() == [[1.]], d
        params = [torch.tensor([rank, 1 - rank]), torch.tensor([2. * rank])]
        dist.all_reduce_params(params, op='max', group=group)
        assert params[0].tolist() == [1, 1] and params[1].tolist() == [2.], params

    # DIST-26: every rank draws a seed, rank 0's one is shared
    with patch('numpy.random.randint', return_value=10 if rank == 0 else 20):
        assert dist.sync_random_seed() == 10

    # DIST-28: the reference's all_reduce_dict table (int64 sum, float32 mean, int64 mean)
    for dtype, op, want in ((torch.int64, 'sum', ([2, 4], [4, 6])),
                            (torch.float32, 'mean', ([1, 2], [2, 3])),
                            (torch.int64, 'mean', ([1, 2], [2, 3]))):
        d = {'key1': torch.tensor([0, 1], dtype=dtype) + 2 * rank,
             'key2': torch.tensor([1, 2], dtype=dtype) + 2 * rank}
        dist.all_reduce_dict(d, op)
        assert [d['key1'].tolist(), d['key2'].tolist()] == list(want), (dtype, op, d)
        assert d['key1'].dtype == dtype, d

    # DIST-31..33: parts of unequal length are interleaved up to the shortest one
    part = [0, 2, 4] if rank == 0 else [1, 3]
    for device in ('cpu', 'gpu'):
        got = dist.collect_results(part, 10, device=device)
        assert got == ([0, 1, 2, 3] if rank == 0 else None), (device, got)
    got = dist.collect_results(part, 10, device='cpu', tmpdir=os.path.join('given', 'dir'))
    assert got == ([0, 1, 2, 3] if rank == 0 else None), got
    dist.barrier()
    assert not os.path.exists(os.path.join('given', 'dir'))  # a given tmpdir is removed too
    if rank == 0:
        os.rmdir('given')
    dist.barrier()


if __name__ == '__main__':
    import traceback
    try:
        _worker()
    except BaseException:
        traceback.print_exc()
        sys.stdout.flush()
        os._exit(1)
    import torch.distributed as torch_dist
    torch_dist.destroy_process_group()
