"""Worker scenarios for the multi-process tests (run as a script, one process per rank).

The launching test sets MASTER_ADDR=127.0.0.1, MASTER_PORT, RANK, WORLD_SIZE
and LOCAL_RANK, or torchrun does. A scenario asserts what its rank should
see; a failure exits non-zero with the traceback on stderr.
"""

import atexit
import datetime
import os
import sys
import time
import traceback

import torch
import torch.distributed as torch_dist

import engine.dist as dist


def _init(timeout: float = 60) -> tuple:
    dist.init_dist('pytorch', backend='gloo', timeout=timeout)
    return dist.get_rank(), dist.get_world_size()


def _assert_list_equal(got: list, want: list) -> None:
    assert len(got) == len(want), (got, want)
    for g, w in zip(got, want):
        assert torch.equal(g, w), (got, want)
        assert g.dtype == w.dtype, (g.dtype, w.dtype)


def scenario_collectives() -> None:
    """Two ranks: every collective and query with the spec's numbers."""
    rank, world = _init()
    assert world == 2
    assert dist.is_distributed()
    assert dist.get_dist_info() == (rank, 2)
    assert dist.is_main_process() == (rank == 0)
    assert dist.get_backend() == 'gloo' == torch_dist.get_backend()
    assert dist.get_default_group() is not None
    assert dist.get_comm_device(dist.get_default_group()) == torch.device('cpu')
    assert dist.get_comm_device() == torch.device('cpu')

    # local group queries fail until init_local_group is called
    for query in (dist.get_local_size, dist.get_local_rank, dist.get_local_group):
        try:
            query()
        except RuntimeError as e:
            assert 'init_local_group' in str(e)
        else:
            raise AssertionError(f'{query.__name__} should raise before init_local_group')
    dist.init_local_group(0, 2)
    assert dist.get_local_size() == 2
    assert dist.get_local_rank() == torch_dist.get_rank(dist.get_local_group()) == rank
    try:
        dist.init_local_group(0, 2)
    except AssertionError:
        pass
    else:
        raise AssertionError('a second init_local_group should fail')

    # all_reduce: rank 0 [1, 2], rank 1 [3, 4]
    base = torch.arange(2) + 1 + 2 * rank
    data = base.clone()
    obj_id = id(data)
    dist.all_reduce(data)
    assert id(data) == obj_id and torch.equal(data, torch.tensor([4, 6])), data
    data = base.clone().float()
    dist.all_reduce(data, op='mean')
    assert torch.equal(data, torch.tensor([2., 3.])), data
    data = base.clone()
    dist.all_reduce(data, op='mean')
    assert data.dtype == torch.int64 and torch.equal(data, torch.tensor([2, 3])), data
    for op, want in (('SUM', [4, 6]), ('Max', [3, 4]), ('min', [1, 2]), ('product', [3, 8]),
                     ('produce', [3, 8]), (dist.ReduceOp.SUM, [4, 6]), ('bor', [3, 6]),
                     ('band', [1, 0]), ('bxor', [2, 6])):
        data = base.clone()
        dist.all_reduce(data, op=op)
        assert data.tolist() == want, (op, data)
    try:
        dist.all_reduce(base.clone(), op='foo')
    except ValueError as e:
        assert 'foo' in str(e)
    else:
        raise AssertionError("op='foo' should raise ValueError")
    # non-contiguous input is reduced and written back in place
    data = torch.stack([base, base]).t()
    assert not data.is_contiguous()
    dist.all_reduce(data)
    assert data.tolist() == [[4, 4], [6, 6]], data
    # half precision and bool-free dtypes keep their dtype
    data = base.clone().to(torch.float16)
    dist.all_reduce(data)
    assert data.dtype == torch.float16 and data.tolist() == [4., 6.]

    # all_gather / gather / broadcast
    data = torch.arange(2) + 1 + 2 * rank
    _assert_list_equal(dist.all_gather(data), [torch.tensor([1, 2]), torch.tensor([3, 4])])
    got = dist.gather(data)
    if rank == 0:
        _assert_list_equal(got, [torch.tensor([1, 2]), torch.tensor([3, 4])])
    else:
        assert got == [], got
    got = dist.gather(data, dst=1)
    assert (got == []) if rank == 0 else len(got) == 2
    dist.broadcast(data)
    assert torch.equal(data, torch.tensor([1, 2])), data
    data = torch.arange(2) + 1 + 2 * rank
    dist.broadcast(data, src=1)
    assert torch.equal(data, torch.tensor([3, 4])), data

    # all_reduce_dict
    data = {'key1': torch.arange(2), 'key2': torch.arange(3)}
    dist.all_reduce_dict(data)
    assert torch.equal(data['key1'], torch.tensor([0, 2]))
    assert torch.equal(data['key2'], torch.tensor([0, 2, 4]))
    if rank == 0:
        data = {'key1': torch.tensor([0., 1.]), 'key2': torch.tensor([1., 2.])}
    else:
        data = {'key2': torch.tensor([3., 4.]), 'key1': torch.tensor([2., 3.])}  # other order
    dist.all_reduce_dict(data, op='mean')
    assert data['key1'].tolist() == [1., 2.] and data['key2'].tolist() == [2., 3.], data
    data = {'m': torch.full((2, 2), float(rank))}
    dist.all_reduce_dict(data)
    assert data['m'].shape == (2, 2) and data['m'].tolist() == [[1., 1.], [1., 1.]]

    # all_reduce_params: lists, generators, parameters, buckets
    for coalesce in (True, False):
        params = [torch.tensor([1, 2]) + rank, torch.tensor([3, 4]) + rank]
        dist.all_reduce_params(params, coalesce=coalesce)
        _assert_list_equal(params, [torch.tensor([3, 5]), torch.tensor([7, 9])])
        params = [torch.tensor([1, 2]) + rank, torch.tensor([3, 4]) + rank]
        dist.all_reduce_params((p for p in params), coalesce=coalesce)
        _assert_list_equal(params, [torch.tensor([3, 5]), torch.tensor([7, 9])])
    params = [torch.tensor([0, 1]) + 2 * rank for _ in range(100)]
    dist.all_reduce_params(params, coalesce=True)
    assert all(p.tolist() == [2, 4] for p in params)
    params = [torch.tensor([0., 1.]) + 2 * rank for _ in range(100)]
    dist.all_reduce_params(params, coalesce=False, op='mean')
    assert all(p.tolist() == [1., 2.] for p in params)
    module = torch.nn.Linear(2, 3)
    with torch.no_grad():
        for p in module.parameters():
            p.fill_(rank + 1)
    mixed = list(module.parameters()) + [torch.tensor([rank], dtype=torch.int32)]
    dist.all_reduce_params(mixed, coalesce=True, bucket_size_mb=1)
    assert all(torch.all(p == 3) for p in module.parameters())
    assert mixed[-1].dtype == torch.int32 and mixed[-1].tolist() == [1]

    # object collectives
    data = ['foo', 12, {1: 2}] if rank == 0 else [None, None, None]
    dist.broadcast_object_list(data)
    assert data == ['foo', 12, {1: 2}], data
    obj = 'foo' if rank == 0 else {1: 2}
    assert dist.all_gather_object(obj) == ['foo', {1: 2}]
    obj2 = ['foo', {1: 2}] if rank == 0 else {2: 3}
    assert dist.all_gather_object(obj2) == [['foo', {1: 2}], {2: 3}]
    got = dist.gather_object(obj, dst=0)
    assert got == (['foo', {1: 2}] if rank == 0 else None), got
    seeds = dist.all_gather_object(dist.sync_random_seed())
    assert seeds[0] == seeds[1] and isinstance(seeds[0], int), seeds

    # collect_results: interleaved, truncated, tmpdir removed
    part = ['foo', {1: 2}] if rank == 0 else [24, {'a': 'b'}]
    want = ['foo', 24, {1: 2}, {'a': 'b'}]
    got = dist.collect_results(part, 4, device='cpu')
    assert got == (want if rank == 0 else None), got
    dist.barrier()
    assert not os.path.exists('.dist_test'), os.listdir('.dist_test')
    tmpdir = os.path.join(os.environ['SCRATCH'], 'collect')
    for _ in range(2):  # reusing the same tmpdir is safe
        got = dist.collect_results(part, 3, device='cpu', tmpdir=tmpdir)
        assert got == (want[:3] if rank == 0 else None), got
    dist.barrier()
    assert not os.path.exists(tmpdir)
    got = dist.collect_results(part, 4, device='gpu')
    assert got == (want if rank == 0 else None), got
    assert dist.collect_results_gpu(part, 2) == (want[:2] if rank == 0 else None)
    assert dist.collect_results_cpu(part, 10) == (want if rank == 0 else None)

    # master_only runs on rank 0 only
    calls = []

    @dist.master_only
    def record(x):
        calls.append(x)
        return x * 2

    assert record(21) == (42 if rank == 0 else None)
    assert calls == ([21] if rank == 0 else [])

    # TimeCounter times on rank 0 only, but the function runs everywhere
    from engine.utils.dl_utils import TimeCounter
    counter = TimeCounter(tag='dist_fn', logger='silent')
    timed = counter(lambda x: x + rank)
    assert [timed(1), timed(1)] == [1 + rank] * 2
    assert counter._count == (2 if rank == 0 else 0)

    # tensors keep their device (cpu on gloo)
    assert dist.all_gather(torch.ones(1))[0].device == torch.device('cpu')
    dist.barrier()
    assert dist.barrier() is None


def scenario_three() -> None:
    """Three ranks: object gathers and collect_results with the docs' numbers."""
    rank, world = _init()
    assert world == 3
    obj = ['foo', 12, {1: 2}][rank]
    assert dist.all_gather_object(obj) == ['foo', 12, {1: 2}]
    got = dist.gather_object(obj)
    assert got == (['foo', 12, {1: 2}] if rank == 0 else None), got
    t = torch.tensor([rank, rank * 10])
    got = dist.gather(t)
    if rank == 0:
        assert [g.tolist() for g in got] == [[0, 0], [1, 10], [2, 20]]
    else:
        assert got == []
    # round-robin shards of range(8) padded to 9 -> dataset order, padding dropped
    shards = [[0, 3, 6], [1, 4, 7], [2, 5, 0]]
    for device in ('cpu', 'gpu'):
        got = dist.collect_results(shards[rank], 8, device=device)
        assert got == (list(range(8)) if rank == 0 else None), (device, got)
    seed = dist.sync_random_seed()
    assert len(set(dist.all_gather_object(seed))) == 1


def scenario_timeout() -> None:
    """Rank 1 never joins the collective: rank 0 must fail after the group timeout."""
    rank, _ = _init(timeout=2)
    flag = os.path.join(os.environ['SCRATCH'], 'rank0_done')
    if rank == 0:
        start = time.monotonic()
        try:
            dist.all_reduce(torch.ones(2))
        except RuntimeError as e:
            print(f'rank 0 failed after {time.monotonic() - start:.1f}s: {e}'[:300])
        else:
            raise AssertionError('all_reduce should time out')
        assert time.monotonic() - start < 30
        open(flag, 'w').close()
    else:
        deadline = time.monotonic() + 60
        while not os.path.exists(flag) and time.monotonic() < deadline:
            time.sleep(0.05)
    os._exit(0)  # skip the group teardown, which would wait on the other rank


def _reset() -> None:
    torch_dist.destroy_process_group()


def scenario_launchers() -> None:
    """One process: slurm, mpi and pytorch launchers from a fake environment."""
    port = os.environ['MASTER_PORT']
    env = os.environ
    for key in ('MASTER_ADDR', 'MASTER_PORT', 'RANK', 'WORLD_SIZE', 'LOCAL_RANK'):
        env.pop(key, None)

    # slurm: master address from the node list, port from the kwarg
    env.update(SLURM_PROCID='0', SLURM_NTASKS='1', SLURM_NODELIST='localhost')
    dist.init_dist('slurm', backend='gloo', port=int(port))
    assert dist.get_dist_info() == (0, 1)
    assert (env['MASTER_ADDR'], env['MASTER_PORT']) == ('localhost', port)
    assert (env['WORLD_SIZE'], env['RANK'], env['LOCAL_RANK']) == ('1', '0', '0')
    _reset()
    # an already-set MASTER_ADDR wins; MASTER_PORT from the environment
    env.update(MASTER_ADDR='127.0.0.1', SLURM_NODELIST='node[1-3]')
    dist.init_dist('slurm', backend='gloo')
    assert env['MASTER_ADDR'] == '127.0.0.1' and env['MASTER_PORT'] == port
    _reset()
    try:
        dist.init_dist('slurm', backend='gloo', init_method='tcp://x')
    except TypeError as e:
        assert 'init_method' in str(e)
    else:
        raise AssertionError('slurm should reject kwargs other than port')
    for key in ('SLURM_PROCID', 'SLURM_NTASKS', 'SLURM_NODELIST', 'WORLD_SIZE', 'RANK',
                'LOCAL_RANK'):
        env.pop(key)

    # mpi: ranks from OMPI_*, MASTER_ADDR required
    env.update(OMPI_COMM_WORLD_LOCAL_RANK='0', OMPI_COMM_WORLD_SIZE='1',
               OMPI_COMM_WORLD_RANK='0')
    env.pop('MASTER_ADDR')
    try:
        dist.init_dist('mpi', backend='gloo')
    except KeyError as e:
        assert 'MASTER_ADDR' in str(e)
    else:
        raise AssertionError('mpi without MASTER_ADDR should raise KeyError')
    env['MASTER_ADDR'] = '127.0.0.1'
    dist.init_dist('mpi', backend='gloo')
    assert (env['WORLD_SIZE'], env['RANK']) == ('1', '0')
    assert dist.get_dist_info() == (0, 1)
    _reset()

    # pytorch: env:// with a timedelta timeout; nccl without CUDA falls back to gloo
    env.update(RANK='0', WORLD_SIZE='1')
    import warnings
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        dist.init_dist('pytorch', timeout=datetime.timedelta(seconds=30))
    if not torch.cuda.is_available():
        assert dist.get_backend() == 'gloo'
        assert any('gloo' in str(w.message) for w in caught), caught
    _reset()
    dist.init_dist('pytorch', backend=None)
    assert dist.get_backend() == ('nccl' if torch.cuda.is_available() else 'gloo')
    _reset()
    try:
        dist.init_dist('pytorch', backend='gloo', timeout='soon')
    except TypeError as e:
        assert 'soon' in str(e)
    else:
        raise AssertionError('a bad timeout should raise TypeError')
    try:
        dist.init_dist('foo')
    except ValueError as e:
        assert str(e) == 'Invalid launcher type: foo'
    else:
        raise AssertionError
    assert torch.multiprocessing.get_start_method(allow_none=True) == 'spawn'


def scenario_torchrun() -> None:
    """Started by torchrun: its environment is enough for init_dist('pytorch')."""
    rank, world = _init()
    assert world == 2 and int(os.environ['LOCAL_RANK']) == rank
    data = torch.arange(2) + 1 + 2 * rank
    dist.all_reduce(data)
    assert data.tolist() == [4, 6]
    print(f'torchrun rank {rank} ok')


def scenario_nccl() -> None:
    """One process on nccl: CPU tensors go to the GPU for the collective and come back."""
    rank, _ = 0, 1
    dist.init_dist('pytorch', backend='nccl', timeout=60)
    assert dist.get_backend() == 'nccl'
    assert dist.get_comm_device().type == 'cuda'
    data = torch.tensor([1, 2])
    dist.all_reduce(data, op='mean')
    assert data.device.type == 'cpu' and data.tolist() == [1, 2]
    got = dist.all_gather(torch.tensor([rank, 5]))
    assert got[0].device.type == 'cpu' and got[0].tolist() == [0, 5]
    data = torch.tensor([3., 4.], device='cuda')
    dist.broadcast(data)
    assert data.device.type == 'cuda'
    d = {'a': torch.ones(2), 'b': torch.zeros(1)}
    dist.all_reduce_dict(d)
    assert d['a'].device.type == 'cpu'
    assert dist.sync_random_seed() >= 0
    assert dist.collect_results(['x', 'y'], 2, device='gpu') == ['x', 'y']
    obj = ['hello']
    dist.broadcast_object_list(obj)
    assert obj == ['hello']
    print('nccl ok')


def scenario_exit() -> None:
    """A script that ends without destroy_process_group: init_dist's exit handler does it
    (a gloo group left to interpreter shutdown can abort the process)."""
    def record():  # registered first, so it runs after init_dist's handler
        with open(f'exit_rank{rank}.txt', 'w') as f:
            f.write(f'initialized={torch_dist.is_initialized()}')

    rank = int(os.environ['RANK'])
    atexit.register(record)
    _init()
    data = torch.ones(1)
    dist.all_reduce(data)
    assert data.item() == 2
    sys.exit(0)


if __name__ == '__main__':
    try:
        globals()[f'scenario_{sys.argv[1]}']()
    except SystemExit:
        raise  # a scenario that ends the way a user's script does
    except BaseException:
        traceback.print_exc()
        sys.stderr.flush()
        os._exit(1)
    sys.stdout.flush()
    if torch_dist.is_initialized():
        torch_dist.destroy_process_group()
