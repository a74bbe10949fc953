"""``MMFullyShardedDataParallel``: torch FSDP that runs the model's train/val/test steps.

Importing torch's FSDP takes seconds, so ``engine.model`` imports this
module only when the class is first used (by name or from the registry).
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Optional, Union

import torch
import torch.nn as nn
from torch.distributed import ProcessGroup
from torch.distributed.fsdp import BackwardPrefetch, CPUOffload, FullyShardedDataParallel
from torch.distributed.fsdp import wrap as fsdp_wrap

from engine.registry import MODEL_WRAPPERS

from ..utils import detect_anomalous_params
from .utils import FSDP_WRAP_POLICIES

__all__ = ['MMFullyShardedDataParallel', 'FSDP_WRAP_POLICIES']

for _name in ('size_based_auto_wrap_policy', 'transformer_auto_wrap_policy',
              'lambda_auto_wrap_policy'):
    if hasattr(fsdp_wrap, _name) and _name not in FSDP_WRAP_POLICIES:
        FSDP_WRAP_POLICIES.register_module(name=_name, module=getattr(fsdp_wrap, _name))


def _run_forward(model: nn.Module, data: Union[dict, tuple, list], mode: str) -> Any:
    if isinstance(data, dict):
        return model(**data, mode=mode)
    if isinstance(data, (list, tuple)):
        return model(*data, mode=mode)
    raise TypeError('Output of `data_preprocessor` should be list tuple or dict, '
                    f'but got {type(data)}')


def _cpu_offload(cpu_offload: Union[bool, CPUOffload, None]) -> Optional[CPUOffload]:
    if cpu_offload is None or isinstance(cpu_offload, CPUOffload):
        return cpu_offload
    if isinstance(cpu_offload, bool):
        return CPUOffload(offload_params=cpu_offload)
    raise TypeError('`cpu_offload` should be `None`, `bool` or `CPUOffload`, '
                    f'but has type {type(cpu_offload)}')


def _wrap_policy(policy: Union[str, Callable, None]) -> Optional[Callable]:
    if policy is None or callable(policy):
        return policy
    if isinstance(policy, str):
        assert policy in FSDP_WRAP_POLICIES, (
            f'`FSDP_WRAP_POLICIES` has no function {policy}; registered: '
            f'{sorted(FSDP_WRAP_POLICIES.module_dict)}')
        found = FSDP_WRAP_POLICIES.get(policy)
        if not callable(found):
            raise TypeError(f'`fsdp_auto_wrap_policy` {policy!r} is registered as a '
                            f'{type(found)}, which is not callable')
        return found
    raise TypeError('`fsdp_auto_wrap_policy` should be a str, a callable or None, '
                    f'but has type {type(policy)}')


def _backward_prefetch(prefetch: Union[str, BackwardPrefetch, None]
                       ) -> Optional[BackwardPrefetch]:
    if prefetch is None or isinstance(prefetch, BackwardPrefetch):
        return prefetch
    if isinstance(prefetch, str):
        assert prefetch in ('pre', 'post'), \
            f'`backward_prefetch` should be either "pre" or "post", but got {prefetch!r}'
        return BackwardPrefetch.BACKWARD_PRE if prefetch == 'pre' \
            else BackwardPrefetch.BACKWARD_POST
    raise TypeError('`backward_prefetch` should be `None`, "pre", "post" or '
                    f'`BackwardPrefetch`, but has type {type(prefetch)}')


@MODEL_WRAPPERS.register_module(force=True)  # replaces engine.model's lazy placeholder
class MMFullyShardedDataParallel(FullyShardedDataParallel):
    """FSDP with engine's step methods and config-friendly arguments.

    Args:
        module: the model to shard.
        process_group: the group to shard over (default: the world).
        cpu_offload: a bool (offload parameters to CPU) or a ``CPUOffload``.
        fsdp_auto_wrap_policy: a callable or the name of one in ``FSDP_WRAP_POLICIES``.
        backward_prefetch: ``'pre'``, ``'post'`` or a ``BackwardPrefetch``.
        **kwargs: FSDP's other arguments.
    """

    def __init__(self, module: nn.Module, process_group: Optional[ProcessGroup] = None,
                 cpu_offload: Union[bool, CPUOffload, None] = None,
                 fsdp_auto_wrap_policy: Union[str, Callable, None] = None,
                 backward_prefetch: Union[str, BackwardPrefetch, None] = None,
                 detect_anomalous_params: bool = False, **kwargs: Any) -> None:
        super().__init__(module=module, process_group=process_group,
                         cpu_offload=_cpu_offload(cpu_offload),
                         auto_wrap_policy=_wrap_policy(fsdp_auto_wrap_policy),
                         backward_prefetch=_backward_prefetch(backward_prefetch), **kwargs)
        self.detect_anomalous_params = detect_anomalous_params

    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper: Any) -> Dict[str, torch.Tensor]:
        """Preprocess, forward through FSDP, update the parameters; return the log variables."""
        with optim_wrapper.optim_context(self):
            data = self.module.data_preprocessor(data, training=True)
            losses = _run_forward(self, data, 'loss')
        parsed_loss, log_vars = self.module.parse_losses(losses)
        optim_wrapper.update_params(parsed_loss)
        if self.detect_anomalous_params:
            detect_anomalous_params(parsed_loss, model=self)
        return log_vars

    def val_step(self, data: Union[dict, tuple, list]) -> list:
        """Preprocess and predict through the FSDP forward."""
        data = self.module.data_preprocessor(data, False)
        return _run_forward(self, data, 'predict')

    def test_step(self, data: Union[dict, tuple, list]) -> list:
        """Preprocess and predict through the FSDP forward."""
        data = self.module.data_preprocessor(data, False)
        return _run_forward(self, data, 'predict')
