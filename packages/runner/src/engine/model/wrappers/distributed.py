"""``MMDistributedDataParallel``: torch DDP that also runs the model's train/val/test steps."""

from __future__ import annotations

from typing import Any, Dict, Union

import torch
import torch.nn as nn
from torch.nn.parallel.distributed import DistributedDataParallel

from engine.registry import MODEL_WRAPPERS

from ..base_model.base_model import run_forward
from ..utils import detect_anomalous_params

__all__ = ['MMDistributedDataParallel']

MODEL_WRAPPERS.register_module(module=DistributedDataParallel)
MODEL_WRAPPERS.register_module(module=nn.DataParallel)


@MODEL_WRAPPERS.register_module()
class MMDistributedDataParallel(DistributedDataParallel):
    """DDP whose ``train_step`` runs the forward through DDP, so gradients are all-reduced.

    Args:
        module: the model (a ``BaseModel`` or anything with ``data_preprocessor``
            and ``parse_losses``).
        detect_anomalous_params: after each update, log the trainable
            parameters the loss does not depend on (slow; for debugging).
        **kwargs: DDP's own arguments (``device_ids``, ``broadcast_buffers``,
            ``find_unused_parameters``, ...).
    """

    def __init__(self, module: nn.Module, detect_anomalous_params: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(module=module, **kwargs)
        self.detect_anomalous_params = detect_anomalous_params

    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper: Any) -> Dict[str, torch.Tensor]:
        """Preprocess, forward through DDP, update the parameters; return the log variables."""
        with optim_wrapper.optim_context(self):
            data = self.module.data_preprocessor(data, training=True)
            losses = self._run_forward(data, mode='loss')
        parsed_loss, log_vars = self.module.parse_losses(losses)
        optim_wrapper.update_params(parsed_loss)
        if self.detect_anomalous_params:
            detect_anomalous_params(parsed_loss, model=self)
        return log_vars

    def val_step(self, data: Union[dict, tuple, list]) -> list:
        """The wrapped model's ``val_step`` (no gradient sync needed)."""
        return self.module.val_step(data)

    def test_step(self, data: Union[dict, tuple, list]) -> list:
        """The wrapped model's ``test_step`` (no gradient sync needed)."""
        return self.module.test_step(data)

    def _run_forward(self, data: Union[dict, tuple, list], mode: str) -> Any:
        return run_forward(self, data, mode)
