"""``MMSeparateDistributedDataParallel``: one DDP per submodule, for separately optimised parts."""

from __future__ import annotations

from contextlib import ExitStack, contextmanager
from typing import Any, Dict, Iterator, Union

import torch
import torch.nn as nn
from torch.nn.parallel.distributed import DistributedDataParallel

from engine.device import get_device
from engine.registry import MODEL_WRAPPERS

from .distributed import MMDistributedDataParallel

__all__ = ['MMSeparateDistributedDataParallel']


@MODEL_WRAPPERS.register_module()
class MMSeparateDistributedDataParallel(DistributedDataParallel):
    """Wraps each trainable direct child of ``module`` in its own ``MMDistributedDataParallel``.

    The model itself implements ``train_step`` (usually with an
    ``OptimWrapperDict``); this wrapper only delegates to it. DDP's own
    constructor is deliberately not run.

    Args:
        module: the model whose children are wrapped.
        broadcast_buffers, find_unused_parameters, **kwargs: passed to each
            child's ``MMDistributedDataParallel``.
    """

    def __init__(self, module: nn.Module, broadcast_buffers: bool = False,
                 find_unused_parameters: bool = False, **kwargs: Any) -> None:
        nn.Module.__init__(self)
        self.module = module
        device = get_device()
        for name, sub_module in module._modules.items():
            params = list(sub_module.parameters()) if sub_module is not None else []
            if sub_module is None:
                continue
            if not params or all(not p.requires_grad for p in params):
                sub_module = sub_module.to(device)
            else:
                sub_module = MMDistributedDataParallel(
                    module=sub_module.to(device), broadcast_buffers=broadcast_buffers,
                    find_unused_parameters=find_unused_parameters, **kwargs)
            module._modules[name] = sub_module

    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper: Any) -> Dict[str, torch.Tensor]:
        """The wrapped model's ``train_step``."""
        return self.module.train_step(data, optim_wrapper)

    def val_step(self, data: Union[dict, tuple, list]) -> list:
        """The wrapped model's ``val_step``."""
        return self.module.val_step(data)

    def test_step(self, data: Union[dict, tuple, list]) -> list:
        """The wrapped model's ``test_step``."""
        return self.module.test_step(data)

    @contextmanager
    def no_sync(self) -> Iterator[None]:
        """Skip the gradient all-reduce of every wrapped child."""
        with ExitStack() as stack:
            for sub_module in self.module._modules.values():
                if isinstance(sub_module, DistributedDataParallel):
                    stack.enter_context(sub_module.no_sync())
            yield

    def train(self, mode: bool = True) -> MMSeparateDistributedDataParallel:
        """Set training mode on the wrapper and the model."""
        self.training = mode
        self.module.train(mode)
        return self
