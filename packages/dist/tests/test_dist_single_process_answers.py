"""Spec items (T-21..T-24, DIST-18/20, DEV-01): the one-process answers as the seed shows them."""

from unittest.mock import patch

import pytest
import torch

import engine.dist as dist
from engine.device import get_device, is_cuda_available, is_mlu_available, is_mps_available


def test_public_names_match_the_seed():
    expected = {
        'all_gather_object', 'all_reduce', 'all_gather', 'all_reduce_dict', 'collect_results',
        'collect_results_cpu', 'collect_results_gpu', 'gather', 'broadcast', 'gather_object',
        'sync_random_seed', 'broadcast_object_list', 'all_reduce_params', 'get_dist_info',
        'init_dist', 'init_local_group', 'get_backend', 'get_world_size', 'get_rank',
        'get_local_size', 'get_local_group', 'get_local_rank', 'is_main_process',
        'master_only', 'barrier', 'is_distributed', 'get_default_group', 'get_data_device',
        'get_comm_device', 'cast_data_device'}
    assert set(dist.__all__) == expected
    # E4: the seed's `dist.all_reduce(data, op=dist.ReduceOp.SUM)` still resolves.
    assert dist.ReduceOp is torch.distributed.ReduceOp
    from engine.dist import dist as dist_mod
    from engine.dist import utils as utils_mod
    assert dist_mod.all_reduce is dist.all_reduce and utils_mod.get_rank is dist.get_rank


def test_t21_non_distributed_queries():
    assert dist.get_world_size() == 1 and dist.get_rank() == 0
    assert dist.get_backend() is None
    assert dist.get_local_size() == 1 and dist.get_local_rank() == 0
    assert dist.get_dist_info() == (0, 1)
    assert dist.is_main_process() is True and dist.is_distributed() is False
    assert dist.get_local_group() is None and dist.get_default_group() is None
    assert dist.barrier() is None
    assert dist.get_comm_device() == torch.device('cpu')

    @dist.master_only
    def answer(x):
        """doc kept by functools.wraps"""
        return x * 2

    assert answer(21) == 42
    assert answer.__name__ == 'answer' and answer.__doc__ == 'doc kept by functools.wraps'


def test_t22_seed_examples_non_distributed():
    data = torch.arange(2)
    out = dist.gather(data)
    assert len(out) == 1 and out[0] is data
    assert torch.equal(dist.all_gather(torch.arange(2))[0], torch.tensor([0, 1]))
    dist.all_reduce(data)
    assert torch.equal(data, torch.tensor([0, 1]))
    dist.all_reduce(data, op=dist.ReduceOp.SUM)  # the seed's spelling
    dist.broadcast(data)
    assert torch.equal(data, torch.tensor([0, 1]))
    d = {'key1': torch.arange(2), 'key2': torch.arange(3)}
    dist.all_reduce_dict(d)
    assert torch.equal(d['key1'], torch.tensor([0, 1]))
    assert torch.equal(d['key2'], torch.tensor([0, 1, 2]))
    params = [torch.arange(2), torch.arange(3)]
    dist.all_reduce_params(params)
    assert torch.equal(params[1], torch.tensor([0, 1, 2]))
    consumed = []

    def gen():
        consumed.append(1)
        yield torch.ones(1)

    dist.all_reduce_params(gen())
    assert consumed == []  # a generator is not consumed when not distributed
    objs = ['foo', 12, {1: 2}]
    dist.broadcast_object_list(objs)
    assert objs == ['foo', 12, {1: 2}]
    assert dist.all_gather_object('foo') == ['foo'] and dist.gather_object('foo') == ['foo']
    assert dist.collect_results(['foo', {1: 2}], 2, device='cpu') == ['foo', {1: 2}]
    assert dist.collect_results(['foo', {1: 2}], 2, device='gpu') == ['foo', {1: 2}]
    assert dist.collect_results([1, 2, 3], 2) == [1, 2]
    assert dist.collect_results_cpu([1, 2, 3], 1) == [1]
    assert dist.collect_results_gpu([1, 2, 3], 2) == [1, 2]
    # Not distributed, invalid ops are never looked up.
    dist.all_reduce(data, op='foo')
    with patch('numpy.random.randint', return_value=10):
        assert dist.sync_random_seed() == 10


def test_t23_non_distributed_errors():
    with pytest.raises(AssertionError):
        dist.broadcast_object_list('foo')
    with pytest.raises(AssertionError):
        dist.all_reduce_dict('foo')
    with pytest.raises(NotImplementedError):
        dist.collect_results([], 0, device='xpu')
    with pytest.raises(AssertionError):
        dist.collect_results([], 0, device='gpu', tmpdir='x')
    with pytest.raises(ValueError, match='Invalid launcher type: foo'):
        dist.init_dist('foo')


def test_t24_get_data_device():  # the one get_data_device test (T-24)
    t = torch.tensor([0, 1])
    cpu = torch.device('cpu')
    assert dist.get_data_device(t) == cpu
    assert dist.get_data_device([t, t]) == cpu
    assert dist.get_data_device((t, t)) == cpu
    assert dist.get_data_device({'key1': t, 'key2': t}) == cpu
    assert dist.get_data_device([t, {'key': t}]) == cpu
    assert dist.get_data_device({'k': [t, (t, )]}) == cpu
    for empty in ([], {}):
        with pytest.raises(ValueError, match='data should not be empty'):
            dist.get_data_device(empty)
    for bad in ('123', [t, 123], {'k': ['123']}, 1.5, None):
        with pytest.raises(TypeError,
                           match='data should be a Tensor, sequence of tensor or dict'):
            dist.get_data_device(bad)
    meta = torch.empty(2, device='meta')
    with pytest.raises(ValueError, match='device type in data should be consistent'):
        dist.get_data_device([t, meta])


def test_dev01_device_queries():
    assert is_cuda_available() is torch.cuda.is_available()
    assert isinstance(is_mlu_available(), bool) and isinstance(is_mps_available(), bool)
    want = 'cuda' if torch.cuda.is_available() else ('mps' if is_mps_available() else 'cpu')
    assert get_device() == want
    # An MLU build (torch.is_mlu_available) is picked before MPS and CPU.
    if not torch.cuda.is_available():
        with patch.object(torch, 'is_mlu_available', create=True, return_value=True):
            assert is_mlu_available() is True
            assert get_device() == 'mlu'
        with patch.object(torch.backends.mps, 'is_available', return_value=True):
            assert is_mps_available() is True
            assert get_device() in ('mps', 'npu')


def test_seed_section50_examples_non_distributed():
    """§50's non-distributed examples, with the outputs the seed prints."""
    data = torch.arange(2, dtype=torch.int64)
    assert repr(data) == 'tensor([0, 1])'
    assert repr(dist.gather(data)) == '[tensor([0, 1])]'
    assert repr(dist.all_gather(data)) == '[tensor([0, 1])]'
    objs = ['foo', 12, {1: 2}]
    assert dist.gather_object(objs[dist.get_rank()]) == ['foo']
    assert dist.all_gather_object(objs[dist.get_rank()]) == ['foo']
    dist.all_reduce(data)
    assert repr(data) == 'tensor([0, 1])'
    d = {'key1': torch.arange(2, dtype=torch.int64), 'key2': torch.arange(3, dtype=torch.int64)}
    dist.all_reduce_dict(d)
    assert repr(d) == "{'key1': tensor([0, 1]), 'key2': tensor([0, 1, 2])}"
    params = [torch.arange(2), torch.arange(3)]
    dist.all_reduce_params(params)
    assert repr(params) == '[tensor([0, 1]), tensor([0, 1, 2])]'
    dist.broadcast(data)
    assert repr(data) == 'tensor([0, 1])'
    seed = dist.sync_random_seed()
    assert isinstance(seed, int) and 0 <= seed < 2**31
    dist.broadcast_object_list(objs)
    assert objs == ['foo', 12, {1: 2}]
    # §50.2.15
    assert repr(dist.get_data_device(torch.tensor([0, 1]))) == "device(type='cpu')"
    assert repr(dist.get_data_device([torch.tensor([0, 1]), torch.tensor([2, 3])])) == \
        "device(type='cpu')"
    assert repr(dist.get_data_device({'key1': torch.tensor([0, 1]),
                                      'key2': torch.tensor([0, 1])})) == "device(type='cpu')"
