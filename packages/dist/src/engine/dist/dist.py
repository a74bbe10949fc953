"""Collectives that also work without a process group.

Each function takes tensors (or picklable objects) on any device: tensors are
moved to the backend's communication device (cuda for nccl, cpu for gloo)
and the results come back on the caller's device. Without an initialised
default group every call falls back to its single-process answer. All calls
run under the group's timeout (see ``init_dist(..., timeout=...)``), so a
rank that died makes the others fail instead of waiting forever.
"""

import os
import pickle
import shutil
import tempfile
from collections import OrderedDict
from collections.abc import Generator, Iterable
from typing import Any, Optional, Union

import numpy as np
import torch
import torch.distributed as torch_dist
from torch.distributed import ProcessGroup

from .utils import (
    barrier,
    cast_data_device,
    get_comm_device,
    get_data_device,
    get_default_group,
    get_rank,
    get_world_size,
    is_distributed,
)

ReduceOp = torch_dist.ReduceOp

_OPS = {
    'sum': ReduceOp.SUM,
    'product': ReduceOp.PRODUCT,
    'produce': ReduceOp.PRODUCT,  # the seed's spelling
    'min': ReduceOp.MIN,
    'max': ReduceOp.MAX,
    'band': ReduceOp.BAND,
    'bor': ReduceOp.BOR,
    'bxor': ReduceOp.BXOR,
}
_OP_NAMES = ('sum', 'mean', 'product', 'min', 'max', 'band', 'bor', 'bxor')


def _group(group: Optional[ProcessGroup]) -> ProcessGroup:
    return group if group is not None else get_default_group()  # type: ignore[return-value]


def _resolve_op(op: Union[str, Any]) -> tuple[Any, bool]:
    """Map ``op`` to (torch ReduceOp, is_mean); strings are case-insensitive."""
    if isinstance(op, (ReduceOp, ReduceOp.RedOpType)):
        return op, False
    if isinstance(op, str):
        name = op.lower()
        if name == 'mean':
            return ReduceOp.SUM, True
        if name in _OPS:
            return _OPS[name], False
    raise ValueError(f'reduce op should be one of {list(_OP_NAMES)} (any case) or a '
                     f'torch.distributed.ReduceOp, but got {op!r}')


def _to_comm(data: torch.Tensor, device: torch.device) -> torch.Tensor:
    """``data`` on the comm device and contiguous (the same object when already so)."""
    out = cast_data_device(data, device)
    return out if out.is_contiguous() else out.contiguous()


def all_reduce(data: torch.Tensor, op: Union[str, Any] = 'sum',
               group: Optional[ProcessGroup] = None) -> None:
    """Reduce ``data`` over all ranks in place; every rank ends with the result.

    ``op`` is one of sum, mean, product, min, max, band, bor, bxor (any case) or
    a ``ReduceOp``. ``'mean'`` is a sum divided by the world size; for integer
    tensors the quotient is truncated when written back.
    """
    if not is_distributed():
        return
    torch_op, is_mean = _resolve_op(op)
    group = _group(group)
    work = _to_comm(data, get_comm_device(group))
    torch_dist.all_reduce(work, torch_op, group)
    if is_mean:
        work = torch.true_divide(work, get_world_size(group))
    if work is not data:
        data.copy_(work)


def all_gather(data: torch.Tensor, group: Optional[ProcessGroup] = None) -> list[torch.Tensor]:
    """Tensors of every rank, in rank order, on ``data``'s device (``[data]`` when not distributed).

    Shapes and dtypes must match across ranks.
    """
    if not is_distributed():
        return [data]
    group = _group(group)
    input_device = get_data_device(data)
    work = _to_comm(data, get_comm_device(group))
    out = [torch.empty_like(work) for _ in range(get_world_size(group))]
    torch_dist.all_gather(out, work, group)
    return cast_data_device(out, input_device)


def gather(data: torch.Tensor, dst: int = 0,
           group: Optional[ProcessGroup] = None) -> list[torch.Tensor]:
    """Tensors of every rank in rank order on rank ``dst``; ``[]`` on the others.

    ``dst`` is a global rank, as in torch. nccl has no gather.
    """
    if not is_distributed():
        return [data]
    group = _group(group)
    input_device = get_data_device(data)
    work = _to_comm(data, get_comm_device(group))
    if torch_dist.get_rank() == dst:
        out = [torch.empty_like(work) for _ in range(get_world_size(group))]
        torch_dist.gather(work, out, dst=dst, group=group)
        return cast_data_device(out, input_device)
    torch_dist.gather(work, None, dst=dst, group=group)
    return []


def broadcast(data: torch.Tensor, src: int = 0, group: Optional[ProcessGroup] = None) -> None:
    """Copy rank ``src``'s ``data`` into ``data`` on every rank, in place (same numel everywhere)."""
    if not is_distributed():
        return
    group = _group(group)
    work = _to_comm(data, get_comm_device(group))
    torch_dist.broadcast(work, src, group)
    if work is not data:
        data.copy_(work)


def sync_random_seed(group: Optional[ProcessGroup] = None) -> int:
    """A random seed drawn on rank 0 and shared with every rank.

    Samplers need the same seed on all ranks to shuffle identically and then
    take disjoint slices.
    """
    seed = np.random.randint(2**31)
    if not is_distributed():
        return seed
    group = _group(group)
    device = get_comm_device(group)
    value = seed if get_rank(group) == 0 else 0
    tensor = torch.tensor(value, dtype=torch.int32, device=device)
    torch_dist.broadcast(tensor, 0, group)
    return int(tensor.item())


def broadcast_object_list(data: list[Any], src: int = 0,
                          group: Optional[ProcessGroup] = None) -> None:
    """Replace the items of ``data`` with rank ``src``'s items, in place, on every rank.

    Every rank passes a list of the same length; items must be picklable.
    """
    assert isinstance(data, list), f'data should be a list, but got {type(data)}'
    if not is_distributed():
        return
    torch_dist.broadcast_object_list(data, src, _group(group))


def all_reduce_dict(data: dict[str, torch.Tensor], op: Union[str, Any] = 'sum',
                    group: Optional[ProcessGroup] = None) -> None:
    """Reduce every tensor of ``data`` over all ranks with a single collective.

    The values are flattened into one tensor (keys sorted, so all ranks agree
    on the layout), reduced once and split back; ``data[k]`` is replaced.
    """
    assert isinstance(data, dict), f'data should be a dict, but got {type(data)}'
    if not is_distributed() or not data:
        return
    keys = sorted(data)
    shapes = [data[k].shape for k in keys]
    sizes = [data[k].numel() for k in keys]
    flat = torch.cat([data[k].reshape(-1) for k in keys])
    all_reduce(flat, op, group)
    for key, shape, part in zip(keys, shapes, torch.split(flat, sizes)):
        data[key] = part.reshape(shape)


def _buckets(tensors: list[torch.Tensor], bucket_size_mb: int) -> list[list[torch.Tensor]]:
    """Group tensors by (dtype, device); cap each group at ``bucket_size_mb`` when > 0."""
    by_type: OrderedDict = OrderedDict()
    for t in tensors:
        by_type.setdefault((t.dtype, t.device), []).append(t)
    if bucket_size_mb <= 0:
        return list(by_type.values())
    limit = bucket_size_mb * 1024 * 1024
    buckets = []
    for group in by_type.values():
        current: list[torch.Tensor] = []
        size = 0
        for t in group:
            nbytes = t.numel() * t.element_size()
            if current and size + nbytes > limit:
                buckets.append(current)
                current, size = [], 0
            current.append(t)
            size += nbytes
        if current:
            buckets.append(current)
    return buckets


def all_reduce_params(params: Union[list, Generator[torch.Tensor, None, None]],
                      coalesce: bool = True, bucket_size_mb: int = -1,
                      op: Union[str, Any] = 'sum',
                      group: Optional[ProcessGroup] = None) -> None:
    """Reduce parameters (tensors or ``nn.Parameter``) over all ranks, in place.

    With ``coalesce`` tensors of one dtype and device are flattened into one
    buffer per bucket (``bucket_size_mb`` caps a bucket when > 0), so a model
    costs a handful of collectives instead of one per parameter.
    """
    if not is_distributed():
        return
    tensors = [p.data for p in params]
    if not coalesce:
        for t in tensors:
            all_reduce(t, op, group)
        return
    for bucket in _buckets(tensors, bucket_size_mb):
        flat = torch.cat([t.reshape(-1) for t in bucket])
        all_reduce(flat, op, group)
        offset = 0
        for t in bucket:
            n = t.numel()
            t.copy_(flat[offset:offset + n].view_as(t))
            offset += n


def all_gather_object(data: Any, group: Optional[ProcessGroup] = None) -> list[Any]:
    """Picklable objects of every rank, in rank order, on every rank (``[data]`` when not distributed)."""
    if not is_distributed():
        return [data]
    group = _group(group)
    out: list[Any] = [None] * get_world_size(group)
    torch_dist.all_gather_object(out, data, group)
    return out


def gather_object(data: Any, dst: int = 0,
                  group: Optional[ProcessGroup] = None) -> Optional[list[Any]]:
    """Picklable objects of every rank on rank ``dst`` (a global rank); None on the others.

    nccl does not support it.
    """
    if not is_distributed():
        return [data]
    group = _group(group)
    if torch_dist.get_rank() == dst:
        out: list[Any] = [None] * get_world_size(group)
        torch_dist.gather_object(data, out, dst=dst, group=group)
        return out
    torch_dist.gather_object(data, None, dst=dst, group=group)
    return None


def _interleave(parts: Iterable[list], size: int) -> list:
    """Undo a round-robin split: part0[0], part1[0], part0[1], ... truncated to ``size``."""
    ordered = [item for items in zip(*parts) for item in items]
    return ordered[:size]


def collect_results(results: list, size: int, device: str = 'cpu',
                    tmpdir: Optional[str] = None) -> Optional[list]:
    """Merge every rank's results on rank 0 in dataset order; other ranks get None.

    ``device='cpu'`` exchanges pickles through ``tmpdir`` (a filesystem all
    ranks share); ``'gpu'`` goes through ``all_gather_object``. The result is
    cut to ``size`` to drop the samples the sampler padded.
    """
    if device not in ('cpu', 'gpu'):
        raise NotImplementedError(f"device must be 'cpu' or 'gpu', but got {device!r}")
    if device == 'gpu':
        assert tmpdir is None, 'tmpdir should be None when device is "gpu"'
        return collect_results_gpu(results, size)
    return collect_results_cpu(results, size, tmpdir)


def _make_shared_tmpdir(group: Optional[ProcessGroup]) -> str:
    """Rank 0 creates a fresh folder under ./.dist_test and tells the other ranks its path."""
    holder: list[Optional[str]] = [None]
    if get_rank() == 0:
        base = os.path.join(os.getcwd(), '.dist_test')
        os.makedirs(base, exist_ok=True)
        holder[0] = tempfile.mkdtemp(dir=base)
    broadcast_object_list(holder, src=0, group=group)
    return holder[0]  # type: ignore[return-value]


def _dump_part(obj: Any, path: str) -> None:
    # temp file + rename: rank 0 never reads a half-written part
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix='.tmp')
    try:
        with os.fdopen(fd, 'wb') as f:
            pickle.dump(obj, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def collect_results_cpu(result_part: list, size: int,
                        tmpdir: Optional[str] = None) -> Optional[list]:
    """Merge results through pickles in a shared folder; rank 0 returns them, others None.

    ``tmpdir`` (created if missing) is deleted afterwards, a user-supplied
    one too; when None a fresh folder is made under ``./.dist_test``.
    """
    if not is_distributed():
        return result_part[:size]
    rank, world_size = get_rank(), get_world_size()
    group = get_default_group()
    auto_dir = tmpdir is None
    if auto_dir:
        tmpdir = _make_shared_tmpdir(group)
    else:
        tmpdir = str(tmpdir)
        os.makedirs(tmpdir, exist_ok=True)
    _dump_part(result_part, os.path.join(tmpdir, f'part_{rank}.pkl'))
    barrier()
    merged = None
    if rank == 0:
        parts = []
        for i in range(world_size):
            with open(os.path.join(tmpdir, f'part_{i}.pkl'), 'rb') as f:
                parts.append(pickle.load(f))
        merged = _interleave(parts, size)
        shutil.rmtree(tmpdir)
        if auto_dir:  # drop ./.dist_test too once nothing else uses it
            try:
                os.rmdir(os.path.dirname(tmpdir))
            except OSError:
                pass
    if not auto_dir:
        # a reused tmpdir must be gone before any rank writes its next part there
        barrier()
    return merged


def collect_results_gpu(result_part: list, size: int) -> Optional[list]:
    """Merge results with ``all_gather_object`` (works on nccl); rank 0 returns them, others None."""
    if not is_distributed():
        return result_part[:size]
    parts = all_gather_object(result_part)
    if get_rank() == 0:
        return _interleave(parts, size)
    return None
