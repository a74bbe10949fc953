"""Process-group setup, rank/size queries and data-device helpers.

Every query has a non-distributed answer (rank 0 of a world of 1), so the
same code runs with and without ``torch.distributed`` initialised.
"""

import atexit
import datetime
import functools
import os
import re
import shutil
import subprocess
import sys
import warnings
from collections.abc import Iterable, Mapping
from typing import Any, Callable, Optional, TypeVar, Union

import numpy as np
import torch
import torch.distributed as torch_dist
import torch.multiprocessing as mp
from torch.distributed import ProcessGroup

from engine.device import is_mlu_available

_LOCAL_PROCESS_GROUP: Optional[ProcessGroup] = None

_LAUNCHERS = ('pytorch', 'slurm', 'mpi')
_DEFAULT_PORT = '29500'

F = TypeVar('F', bound=Callable[..., Any])


# ---------------------------------------------------------------- queries

def is_distributed() -> bool:
    """True when torch.distributed is available and a default group exists."""
    return torch_dist.is_available() and torch_dist.is_initialized()


def get_default_group() -> Optional[ProcessGroup]:
    """The default (WORLD) process group, or None when not distributed."""
    if not is_distributed():
        return None
    return torch_dist.group.WORLD


def get_world_size(group: Optional[ProcessGroup] = None) -> int:
    """Number of processes in ``group`` (default group if None); 1 when not distributed."""
    if not is_distributed():
        return 1
    return torch_dist.get_world_size(group if group is not None else get_default_group())


def get_rank(group: Optional[ProcessGroup] = None) -> int:
    """This process's rank in ``group`` (default group if None); 0 when not distributed."""
    if not is_distributed():
        return 0
    return torch_dist.get_rank(group if group is not None else get_default_group())


def get_backend(group: Optional[ProcessGroup] = None) -> Optional[str]:
    """Lower-case backend name of ``group`` (``'gloo'``, ``'nccl'``, ...); None when not distributed."""
    if not is_distributed():
        return None
    backend = torch_dist.get_backend(group if group is not None else get_default_group())
    return str(backend).lower()


def get_dist_info(group: Optional[ProcessGroup] = None) -> tuple[int, int]:
    """``(rank, world_size)`` of ``group``; ``(0, 1)`` when not distributed."""
    return get_rank(group), get_world_size(group)


def _require_local_group() -> ProcessGroup:
    if _LOCAL_PROCESS_GROUP is None:
        raise RuntimeError('Local process group is not created, please use '
                           '`init_local_group` to setup local process group.')
    return _LOCAL_PROCESS_GROUP


def get_local_group() -> Optional[ProcessGroup]:
    """The group of processes on this node; None when not distributed.

    Raises RuntimeError when distributed but :func:`init_local_group` was not called.
    """
    if not is_distributed():
        return None
    return _require_local_group()


def get_local_size() -> int:
    """Number of processes on this node; 1 when not distributed."""
    if not is_distributed():
        return 1
    return torch_dist.get_world_size(_require_local_group())


def get_local_rank() -> int:
    """This process's rank within its node; 0 when not distributed."""
    if not is_distributed():
        return 0
    return torch_dist.get_rank(_require_local_group())


def is_main_process(group: Optional[ProcessGroup] = None) -> bool:
    """True on rank 0 of ``group`` (the global rank 0 when ``group`` is None)."""
    return get_rank(group) == 0


def master_only(func: F) -> F:
    """Run ``func`` only on the global rank 0; other ranks get None without running it."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if is_main_process():
            return func(*args, **kwargs)
        return None

    return wrapper  # type: ignore[return-value]


def barrier(group: Optional[ProcessGroup] = None) -> None:
    """Block until every process of ``group`` arrives; returns at once when not distributed.

    The wait is bounded by the group's timeout (``init_dist(..., timeout=...)``).
    """
    if not is_distributed():
        return
    torch_dist.barrier(group if group is not None else get_default_group())


# ----------------------------------------------------------- initialisation

def _as_timeout(timeout: Any) -> datetime.timedelta:
    if isinstance(timeout, datetime.timedelta):
        return timeout
    if isinstance(timeout, (int, float)) and not isinstance(timeout, bool) and timeout > 0:
        return datetime.timedelta(seconds=timeout)
    raise TypeError(f'timeout should be a positive number of seconds or a '
                    f'datetime.timedelta, but got {timeout!r}')


def _choose_backend(backend: Optional[str]) -> str:
    cuda = torch.cuda.is_available() and torch.cuda.device_count() > 0
    if backend is None:
        return 'nccl' if cuda else 'gloo'
    if not isinstance(backend, str):
        raise TypeError(f'backend should be a str or None, but got {backend!r}')
    backend = backend.lower()
    if backend == 'nccl' and not cuda:
        warnings.warn("backend='nccl' needs CUDA, which is not available here; "
                      "using 'gloo' instead", stacklevel=3)
        return 'gloo'
    return backend


def init_dist(launcher: str, backend: Optional[str] = 'nccl', **kwargs: Any) -> None:
    """Initialise the default process group for a job started by ``launcher``.

    Args:
        launcher: ``'pytorch'`` (torchrun / torch.distributed.launch), ``'slurm'``
            (srun) or ``'mpi'`` (mpirun).
        backend: ``'nccl'``, ``'gloo'`` or ``'mpi'``; None picks nccl when CUDA is
            available, gloo otherwise. ``'nccl'`` on a machine without CUDA falls
            back to gloo with a warning, so a GPU config still runs on a CPU box.
        **kwargs: forwarded to ``torch.distributed.init_process_group``.
            ``timeout`` (seconds or a timedelta) bounds every collective, so a
            crashed rank cannot hang the others forever. The slurm launcher also
            takes ``port``.
    """
    if launcher not in _LAUNCHERS:
        raise ValueError(f'Invalid launcher type: {launcher}')
    if 'timeout' in kwargs and kwargs['timeout'] is not None:
        kwargs['timeout'] = _as_timeout(kwargs['timeout'])
    backend = _choose_backend(backend)
    if launcher == 'pytorch':
        _init_dist_pytorch(backend, **kwargs)
    elif launcher == 'mpi':
        _init_dist_mpi(backend, **kwargs)
    else:
        _init_dist_slurm(backend, **kwargs)


_DESTROY_REGISTERED = False  # init_dist's exit handler is registered once


def _init_process_group(backend: str, **kwargs: Any) -> None:
    global _DESTROY_REGISTERED
    # CUDA state does not survive fork, so default workers to spawn (unless chosen already)
    if mp.get_start_method(allow_none=True) is None:
        mp.set_start_method('spawn')
    torch_dist.init_process_group(backend=backend, **kwargs)
    if not _DESTROY_REGISTERED:
        atexit.register(_destroy_process_group_at_exit)
        _DESTROY_REGISTERED = True


def _destroy_process_group_at_exit() -> None:
    """Destroy the gloo group ``init_dist`` created while the interpreter is still whole.

    Left to interpreter shutdown, gloo's threads can outlive the group and abort a
    run that succeeded ("terminate called without an active exception", SIGABRT).
    Skipped after an uncaught exception, when the other ranks may still be in a
    collective, and for nccl, whose destruction may wait on them (torch only warns).
    """
    if getattr(sys, 'last_value', None) is not None or getattr(sys, 'last_exc', None):
        return
    if (torch_dist.is_available() and torch_dist.is_initialized()
            and torch_dist.get_backend() == 'gloo'):
        torch_dist.destroy_process_group()


def _set_cuda_device(index: int) -> None:
    """Pin this process to one GPU; a no-op on machines without CUDA."""
    if torch.cuda.is_available() and torch.cuda.device_count() > 0:
        torch.cuda.set_device(index % torch.cuda.device_count())


def _env_int(name: str, hint: str = '') -> int:
    value = os.environ.get(name)
    if value is None:
        raise KeyError(f'environment variable {name} is not set; it is required by '
                       f'init_dist for this launcher{hint}')
    try:
        return int(value)
    except ValueError:
        raise ValueError(f'environment variable {name}={value!r} should be an '
                         f'integer') from None


def _init_dist_pytorch(backend: str, **kwargs: Any) -> None:
    # torchrun sets RANK/WORLD_SIZE/LOCAL_RANK/MASTER_*; env:// reads them.
    rank = _env_int('RANK', hint=" ('pytorch'), which expects the processes to be started by "
                    'torchrun (torchrun --nproc_per_node N your_script.py ...); for a single '
                    "process, use launcher='none'")
    local_rank = int(os.environ.get('LOCAL_RANK', rank))
    _set_cuda_device(local_rank)
    _init_process_group(backend, **kwargs)


def _init_dist_mpi(backend: str, **kwargs: Any) -> None:
    if backend == 'smddp':
        try:
            import smdistributed.dataparallel.torch.torch_smddp  # noqa: F401
        except ModuleNotFoundError as e:
            raise ModuleNotFoundError(
                "backend='smddp' needs the SageMaker distributed data parallel "
                'library (smdistributed.dataparallel)') from e
    _set_cuda_device(_env_int('OMPI_COMM_WORLD_LOCAL_RANK'))
    os.environ.setdefault('MASTER_PORT', _DEFAULT_PORT)
    if 'MASTER_ADDR' not in os.environ:
        raise KeyError('The environment variable MASTER_ADDR is not set; the mpi '
                       'launcher needs it to find rank 0')
    os.environ['WORLD_SIZE'] = str(_env_int('OMPI_COMM_WORLD_SIZE'))
    os.environ['RANK'] = str(_env_int('OMPI_COMM_WORLD_RANK'))
    _init_process_group(backend, **kwargs)


def _expand_first_host(nodelist: str) -> str:
    """First host of a slurm node list such as ``'node[03-05,9],gpu1'`` -> ``'node03'``."""
    nodelist = nodelist.strip()
    if not nodelist:
        raise ValueError('SLURM_NODELIST is empty; cannot pick the master address')
    depth = 0
    first = nodelist
    for i, ch in enumerate(nodelist):  # the first top-level comma ends the first entry
        if ch == '[':
            depth += 1
        elif ch == ']':
            depth -= 1
        elif ch == ',' and depth == 0:
            first = nodelist[:i]
            break
    match = re.fullmatch(r'([^\[\]]*)\[([^\]]+)\](.*)', first)
    if match is None:
        return first
    prefix, ranges, suffix = match.groups()
    start = ranges.split(',')[0].split('-')[0]
    return f'{prefix}{start}{suffix}'


def _slurm_master_addr(nodelist: str) -> str:
    scontrol = shutil.which('scontrol')
    if scontrol is not None:
        out = subprocess.run([scontrol, 'show', 'hostname', nodelist], check=True,
                             capture_output=True, text=True).stdout.split()
        if out:
            return out[0]
    return _expand_first_host(nodelist)


def _init_dist_slurm(backend: str, port: Optional[int] = None, **kwargs: Any) -> None:
    if kwargs:
        raise TypeError(f'the slurm launcher accepts only `port` besides backend, but got '
                        f'{sorted(kwargs)}')
    proc_id = _env_int('SLURM_PROCID')
    ntasks = _env_int('SLURM_NTASKS')
    nodelist = os.environ.get('SLURM_NODELIST')
    if nodelist is None:
        raise KeyError('environment variable SLURM_NODELIST is not set; it is required '
                       'by init_dist for the slurm launcher')
    num_gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if num_gpus > 0:
        local_rank = proc_id % num_gpus
        torch.cuda.set_device(local_rank)
    else:  # CPU jobs: slurm tells us the node-local id itself
        local_rank = int(os.environ.get('SLURM_LOCALID', 0))
    if port is not None:
        os.environ['MASTER_PORT'] = str(port)
    else:
        os.environ.setdefault('MASTER_PORT', _DEFAULT_PORT)
    if 'MASTER_ADDR' not in os.environ:
        os.environ['MASTER_ADDR'] = _slurm_master_addr(nodelist)
    os.environ['WORLD_SIZE'] = str(ntasks)
    os.environ['LOCAL_RANK'] = str(local_rank)
    os.environ['RANK'] = str(proc_id)
    _init_process_group(backend)


def init_local_group(node_rank: int, num_gpus_per_node: int) -> None:
    """Create the group of the ``num_gpus_per_node`` processes on node ``node_rank``.

    ``new_group`` is collective, so every rank creates every node's group and
    keeps its own one.
    """
    global _LOCAL_PROCESS_GROUP
    assert _LOCAL_PROCESS_GROUP is None, 'the local process group is already created'
    if num_gpus_per_node <= 0:
        raise ValueError(f'num_gpus_per_node should be positive, but got {num_gpus_per_node}')
    world_size = get_world_size()
    num_nodes = max(1, -(-world_size // num_gpus_per_node))
    if not 0 <= node_rank < num_nodes:
        raise ValueError(f'node_rank should be in [0, {num_nodes}) for world size '
                         f'{world_size} and {num_gpus_per_node} processes per node, '
                         f'but got {node_rank}')
    rank = get_rank()
    mine = None
    for node in range(num_nodes):
        ranks = list(range(node * num_gpus_per_node,
                           min((node + 1) * num_gpus_per_node, world_size)))
        group = torch_dist.new_group(ranks)
        if node == node_rank:
            mine = (group, ranks)
    group, ranks = mine  # type: ignore[misc]
    if rank not in ranks:
        raise ValueError(f'rank {rank} is not in the local group of node {node_rank} '
                         f'(ranks {ranks})')
    _LOCAL_PROCESS_GROUP = group


# ----------------------------------------------------------- device helpers

def get_data_device(data: Union[torch.Tensor, Mapping, Iterable]) -> torch.device:
    """The one device that every tensor in ``data`` (tensor, dict or sequence) lives on."""
    if isinstance(data, torch.Tensor):
        return data.device
    if isinstance(data, Mapping):
        items: Iterable = data.values()
    elif isinstance(data, Iterable) and not isinstance(data, str):
        items = data
    else:
        raise TypeError('data should be a Tensor, sequence of tensor or dict, but got '
                        f'{data!r}')
    device = None
    for item in items:
        item_device = get_data_device(item)
        if device is None:
            device = item_device
        elif item_device != device:
            raise ValueError('device type in data should be consistent, but got '
                             f'{device} and {item_device}')
    if device is None:
        raise ValueError('data should not be empty.')
    return device


def get_comm_device(group: Optional[ProcessGroup] = None) -> torch.device:
    """The device the backend of ``group`` communicates from (cuda for nccl, cpu otherwise)."""
    backend = get_backend(group)
    if backend in ('nccl', 'smddp'):
        return torch.device('cuda', torch.cuda.current_device())
    if backend == 'cncl' and is_mlu_available():
        return torch.device('mlu', torch.mlu.current_device())  # type: ignore[attr-defined]
    return torch.device('cpu')


def cast_data_device(data: Any, device: torch.device, out: Any = None) -> Any:
    """Move every tensor in ``data`` to ``device``, keeping container types.

    With ``out`` (same structure as ``data``) the results are also copied into
    ``out`` in place; the moved data is returned either way.
    """
    if out is not None:
        if type(out) is not type(data):
            raise TypeError('out should be the same type with data, but got data '
                            f'{type(data)} and out {type(out)}')
        if isinstance(out, set):
            raise TypeError('out should not be a set')

    if isinstance(data, torch.Tensor):
        moved = data if get_data_device(data) == device else data.to(device)
        if out is not None:
            out.copy_(moved)
        return moved
    if isinstance(data, Mapping):
        if len(data) == 0:
            raise ValueError('data should not be empty')
        if out is not None and len(data) != len(out):
            raise ValueError('length of data and out should be same, but got '
                             f'{len(data)} and {len(out)}')
        result = {k: cast_data_device(v, device, None if out is None else out[k])
                  for k, v in data.items()}
        return type(data)(result)  # type: ignore[call-arg]
    if (isinstance(data, Iterable) and not isinstance(data, str)
            and not isinstance(data, np.ndarray)):
        items = list(data)
        if len(items) == 0:
            raise ValueError('data should not be empty')
        if out is None:
            results = [cast_data_device(v, device) for v in items]
        else:
            outs = list(out)
            if len(items) != len(outs):
                raise ValueError('length of data and out should be same, but got '
                                 f'{len(items)} and {len(outs)}')
            results = [cast_data_device(v, device, o) for v, o in zip(items, outs)]
        return type(data)(results)  # type: ignore[call-arg]
    raise TypeError('data should be a Tensor, list of tensor or dict, but got '
                    f'{data!r}')
