"""Model helpers: batch stacking with padding, fx-safe dict merge, graph checks, SyncBN swaps."""

from __future__ import annotations

import functools
import logging
from typing import List

import torch
import torch.nn as nn
import torch.nn.functional as F

__all__ = ['stack_batch', 'merge_dict', 'detect_anomalous_params', 'revert_sync_batchnorm',
           'convert_sync_batchnorm']


def stack_batch(tensor_list: List[torch.Tensor], pad_size_divisor: int = 1,
                pad_value: float = 0) -> torch.Tensor:
    """Stack ``(C, *spatial)`` tensors into ``(N, C, *spatial)``, padding at the end.

    Each spatial size becomes the batch maximum rounded up to a multiple of
    ``pad_size_divisor``; the channel dimension is never padded.
    """
    assert isinstance(tensor_list, list), \
        f'Expected input type to be list, but got {type(tensor_list)}'
    assert tensor_list, '`tensor_list` could not be an empty list'
    ndims = [t.ndim for t in tensor_list]
    assert len(set(ndims)) == 1, \
        f'Expected the dimensions of all tensors must be the same, but got {ndims}'
    shapes = torch.tensor([t.shape for t in tensor_list])
    max_sizes = shapes.max(dim=0).values
    targets = (torch.ceil(max_sizes.float() / pad_size_divisor) * pad_size_divisor).long()
    targets[0] = max_sizes[0]  # channels are never padded
    pads = targets - shapes
    if int(pads[:, 1:].sum()) == 0:
        return torch.stack(tensor_list)
    padded = []
    for tensor, pad in zip(tensor_list, pads.tolist()):
        # F.pad takes (last_left, last_right, second_last_left, ...): pad only the right ends
        pad_arg: List[int] = []
        for amount in reversed(pad[1:]):
            pad_arg += [0, amount]
        padded.append(F.pad(tensor, pad_arg, value=pad_value))
    return torch.stack(padded)


def merge_dict(*args: dict) -> dict:
    """Merge dicts into a new one (later keys win); traceable by ``torch.fx`` as a leaf."""
    output: dict = {}
    for item in args:
        assert isinstance(item, dict), \
            f'all arguments of merge_dict should be a dict, but got {type(item)}'
        output.update(item)
    return output


try:  # fx treats a wrapped function as one call node instead of tracing dict.update
    import torch.fx

    merge_dict = torch.fx.wrap(merge_dict)
except ImportError:  # pragma: no cover - torch without fx
    pass


def detect_anomalous_params(loss: torch.Tensor, model: nn.Module) -> None:
    """Log the trainable parameters of ``model`` that ``loss`` does not depend on."""
    from engine.logging import MMLogger

    in_graph = set()
    visited = set()
    stack = [loss.grad_fn] if loss.grad_fn is not None else []
    while stack:
        node = stack.pop()
        if node is None or node in visited:
            continue
        visited.add(node)
        variable = getattr(node, 'variable', None)
        if variable is not None:
            in_graph.add(variable)
        for parent, _ in node.next_functions:
            if parent is not None:
                stack.append(parent)
    logger = MMLogger.get_current_instance()
    for name, param in model.named_parameters():
        if param.requires_grad and param not in in_graph:
            logger.log(level=logging.ERROR,
                       msg=f'{name} with shape {param.size()} is not in the computational graph \n')


class _BatchNormXd(nn.modules.batchnorm._BatchNorm):
    """A BatchNorm that accepts any input rank; the target of ``revert_sync_batchnorm``."""

    def _check_input_dim(self, input: torch.Tensor) -> None:
        return


@functools.cache  # one import attempt, not one per module of the tree
def _sync_bn_types() -> tuple:
    types = [nn.SyncBatchNorm]
    try:
        from mmcv.ops import SyncBatchNorm as MMCVSyncBatchNorm  # optional
        types.append(MMCVSyncBatchNorm)
    except Exception:  # mmcv or its compiled ops missing
        pass
    return tuple(types)


def _copy_bn_state(source: nn.Module, target: nn.Module) -> None:
    """Share the affine parameters and running statistics; copy mode and qconfig."""
    if source.affine:
        with torch.no_grad():
            target.weight = source.weight
            target.bias = source.bias
    target.running_mean = source.running_mean
    target.running_var = source.running_var
    target.num_batches_tracked = source.num_batches_tracked
    target.training = source.training
    if hasattr(source, 'qconfig'):
        target.qconfig = source.qconfig


def revert_sync_batchnorm(module: nn.Module) -> nn.Module:
    """Replace every SyncBatchNorm by a plain BatchNorm, so the model runs without a group."""
    output = module
    if isinstance(module, _sync_bn_types()):
        output = _BatchNormXd(module.num_features, module.eps, module.momentum, module.affine,
                              module.track_running_stats)
        _copy_bn_state(module, output)
    for name, child in module.named_children():
        output.add_module(name, revert_sync_batchnorm(child))
    del module
    return output


def convert_sync_batchnorm(module: nn.Module, implementation: str = 'torch') -> nn.Module:
    """Replace every BatchNorm by SyncBatchNorm (``'torch'`` or ``'mmcv'``)."""
    output = module
    if isinstance(module, nn.modules.batchnorm._BatchNorm):
        # every BN layer checks the implementation, a SyncBatchNorm too
        if implementation == 'torch':
            sync_bn = nn.SyncBatchNorm
        elif implementation == 'mmcv':
            from mmcv.ops import SyncBatchNorm as sync_bn  # optional
        else:
            raise ValueError(f'sync_bn should be "torch" or "mmcv", but got {implementation}')
        if not isinstance(module, sync_bn):  # already the requested kind: keep it
            output = sync_bn(module.num_features, module.eps, module.momentum, module.affine,
                             module.track_running_stats)
            _copy_bn_state(module, output)
    for name, child in module.named_children():
        output.add_module(name, convert_sync_batchnorm(child, implementation))
    del module
    return output
