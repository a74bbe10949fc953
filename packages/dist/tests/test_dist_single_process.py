"""engine.dist without a process group: every call falls back to its one-process answer."""

from collections import OrderedDict
from unittest.mock import patch

import numpy as np
import pytest
import torch

import engine.dist as dist
from engine.dist import dist as dist_impl
from engine.dist import utils as dist_utils


def test_public_names_and_submodules():
    assert dist.__version__ == '0.1.0'
    for name in dist.__all__:
        assert hasattr(dist, name), name
    assert dist.all_reduce is dist_impl.all_reduce
    assert dist.init_dist is dist_utils.init_dist
    assert dist.ReduceOp is torch.distributed.ReduceOp
    assert not torch.distributed.is_initialized()  # importing initialises nothing


def test_queries_without_process_group():  # T-21
    assert dist.is_distributed() is False
    assert dist.get_world_size() == 1
    assert dist.get_rank() == 0
    assert dist.get_backend() is None
    assert dist.get_local_size() == 1
    assert dist.get_local_rank() == 0
    assert dist.get_dist_info() == (0, 1)
    assert dist.is_main_process() is True
    assert dist.get_local_group() is None
    assert dist.get_default_group() is None
    assert dist.barrier() is None
    assert dist.get_comm_device() == torch.device('cpu')

    @dist.master_only
    def double(x):
        """Doubles."""
        return 2 * x

    assert double(21) == 42
    assert double.__name__ == 'double' and double.__doc__ == 'Doubles.'


def test_collectives_fall_back():  # T-22
    t = torch.arange(2)
    gathered = dist.gather(t)
    assert len(gathered) == 1 and gathered[0] is t
    assert dist.all_gather(t)[0] is t
    dist.all_reduce(t)
    dist.all_reduce(t, op='foo')  # op is not looked at when not distributed
    dist.broadcast(t)
    assert t.tolist() == [0, 1]
    d = {'key1': torch.arange(2), 'key2': torch.arange(3)}
    dist.all_reduce_dict(d)
    assert d['key1'].tolist() == [0, 1] and d['key2'].tolist() == [0, 1, 2]
    params = [torch.arange(2), torch.arange(3)]
    dist.all_reduce_params(params)
    assert [p.tolist() for p in params] == [[0, 1], [0, 1, 2]]
    consumed = []
    gen = (consumed.append(i) or torch.ones(1) for i in range(3))
    dist.all_reduce_params(gen)
    assert consumed == []  # the generator is left untouched
    objs = ['foo', 12, {1: 2}]
    dist.broadcast_object_list(objs)
    assert objs == ['foo', 12, {1: 2}]
    assert dist.all_gather_object('foo') == ['foo']
    assert dist.gather_object('foo') == ['foo']
    for device in ('cpu', 'gpu'):
        assert dist.collect_results(['foo', {1: 2}], 2, device=device) == ['foo', {1: 2}]
    assert dist.collect_results([1, 2, 3], 2) == [1, 2]
    assert dist.collect_results_cpu([1, 2, 3], 1) == [1]
    assert dist.collect_results_gpu([1, 2, 3], 5) == [1, 2, 3]
    with patch('numpy.random.randint', return_value=10):
        assert dist.sync_random_seed() == 10
    assert isinstance(dist.sync_random_seed(), int)


def test_bad_inputs_fail_without_process_group(tmp_path):  # T-23
    with pytest.raises(AssertionError):
        dist.broadcast_object_list('foo')
    with pytest.raises(AssertionError):
        dist.all_reduce_dict('foo')
    with pytest.raises(NotImplementedError, match="device must be 'cpu' or 'gpu', but got 'xpu'"):
        dist.collect_results([], 0, device='xpu')
    with pytest.raises(AssertionError):
        dist.collect_results([], 0, device='gpu', tmpdir=str(tmp_path))
    with pytest.raises(ValueError, match='Invalid launcher type: foo'):
        dist.init_dist('foo')


def test_reduce_op_names_resolve_case_insensitively():
    from torch.distributed import ReduceOp
    assert dist_impl._resolve_op('SUM') == (ReduceOp.SUM, False)
    assert dist_impl._resolve_op('Mean') == (ReduceOp.SUM, True)
    assert dist_impl._resolve_op('produce') == (ReduceOp.PRODUCT, False)
    assert dist_impl._resolve_op(ReduceOp.MAX) == (ReduceOp.MAX, False)
    with pytest.raises(ValueError, match="reduce op should be one of .*'foo'"):
        dist_impl._resolve_op('foo')


def test_cast_data_device():  # T-24
    cpu = torch.device('cpu')
    t = torch.tensor([0, 1])
    assert dist.cast_data_device(t, cpu) is t
    for bad in (123, '123', np.array([0, 1])):
        with pytest.raises(TypeError, match='data should be a Tensor, list of tensor or dict'):
            dist.cast_data_device(bad, cpu)
    with pytest.raises(ValueError, match='data should not be empty'):
        dist.cast_data_device([], cpu)
    with pytest.raises(ValueError, match='data should not be empty'):
        dist.cast_data_device({}, cpu)
    with pytest.raises(TypeError, match='out should be the same type with data'):
        dist.cast_data_device(t, cpu, out='123')
    with pytest.raises(TypeError, match='out should not be a set'):
        dist.cast_data_device({0, 1}, cpu, out={2, 3})
    with pytest.raises(ValueError, match='length of data and out should be same'):
        dist.cast_data_device({'a': t, 'b': t}, cpu, out={'a': t.clone()})

    # out receives the values in place; the moved data is what is returned
    out_tensor = torch.zeros(2, dtype=torch.int64)
    assert dist.cast_data_device(t, cpu, out=out_tensor) is t
    assert torch.equal(out_tensor, t)
    # containers keep their type; out receives the values in place
    od = OrderedDict(b=torch.ones(1), a=torch.zeros(1))
    moved = dist.cast_data_device(od, cpu)
    assert type(moved) is OrderedDict and list(moved) == ['b', 'a']
    tup = dist.cast_data_device((t, t), cpu)
    assert type(tup) is tuple and tup[0] is t
    out = [torch.zeros(2, dtype=torch.int64), {'k': torch.zeros(2, dtype=torch.int64)}]
    result = dist.cast_data_device([t, {'k': t + 5}], cpu, out=out)
    assert out[0].tolist() == [0, 1] and out[1]['k'].tolist() == [5, 6]
    assert result[0] is t
    # a real device change (meta is always available) returns a new tensor
    on_meta = dist.cast_data_device(t, torch.device('meta'))
    assert on_meta.device.type == 'meta' and t.device == cpu


def test_init_local_group_needs_consistent_arguments():
    # validation happens before any collective, so it fails cleanly in one process
    with pytest.raises(ValueError, match='num_gpus_per_node'):
        dist.init_local_group(0, 0)


def test_slurm_node_list_first_host():
    first = dist_utils._expand_first_host
    assert first('localhost') == 'localhost'
    assert first('node[03-05,9]') == 'node03'
    assert first('gpu[7,9-10],cpu1') == 'gpu7'
    assert first('a1,b2') == 'a1'
    assert first('rack[2-3]-n1') == 'rack2-n1'
    with pytest.raises(ValueError, match='SLURM_NODELIST'):
        first('')


def test_init_dist_missing_env_names_the_variable(monkeypatch):
    for key in ('RANK', 'SLURM_PROCID', 'OMPI_COMM_WORLD_LOCAL_RANK'):
        monkeypatch.delenv(key, raising=False)
    start_method = torch.multiprocessing.get_start_method(allow_none=True)
    with pytest.raises(KeyError, match=r"RANK is not set.*started by torchrun.*"
                                       r"launcher='none'"):
        dist.init_dist('pytorch', backend='gloo')
    with pytest.raises(KeyError, match='SLURM_PROCID'):
        dist.init_dist('slurm', backend='gloo')
    with pytest.raises(KeyError, match='OMPI_COMM_WORLD_LOCAL_RANK'):
        dist.init_dist('mpi', backend='gloo')
    monkeypatch.setenv('RANK', 'zero')
    with pytest.raises(ValueError, match="RANK='zero'"):
        dist.init_dist('pytorch', backend='gloo')
    assert not torch.distributed.is_initialized()
    assert torch.multiprocessing.get_start_method(allow_none=True) == start_method


def test_backend_choice():
    cuda = torch.cuda.is_available() and torch.cuda.device_count() > 0
    assert dist_utils._choose_backend(None) == ('nccl' if cuda else 'gloo')
    assert dist_utils._choose_backend('GLOO') == 'gloo'
    if not cuda:
        with pytest.warns(UserWarning, match='gloo'):
            assert dist_utils._choose_backend('nccl') == 'gloo'
    with pytest.raises(TypeError, match='backend'):
        dist_utils._choose_backend(3)
