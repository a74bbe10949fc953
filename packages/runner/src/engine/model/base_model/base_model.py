"""``BaseModel``: the model interface the Runner drives (train/val/test steps, loss parsing)."""

from __future__ import annotations

import math
from abc import abstractmethod
from collections import OrderedDict
from contextlib import nullcontext
from typing import Any, Dict, List, Optional, Tuple, Union

import torch
import torch.nn as nn

from engine.registry import MODELS

from ..base_module import BaseModule
from .data_preprocessor import BaseDataPreprocessor, _device_of
from .forwards_directly import forwards_directly

__all__ = ['BaseModel']


def run_forward(model: nn.Module, data: Union[dict, tuple, list], mode: str) -> Any:
    """Call ``model`` on the preprocessor output: a dict as keywords, a list/tuple positionally."""
    if isinstance(data, dict):
        return model(**data, mode=mode)
    if isinstance(data, (list, tuple)):
        return model(*data, mode=mode)
    raise TypeError('Output of `data_preprocessor` should be list, tuple or dict, '
                    f'but got {type(data)}')


def _sum_of_means(tensors: List[torch.Tensor]) -> Any:
    """``sum(t.mean() for t in tensors)`` without the ``0 + tensor`` start (0 for [])."""
    total: Any = 0
    for i, tensor in enumerate(tensors):
        mean = tensor.mean()
        total = mean if i == 0 else total + mean
    return total


def _is_finite(loss: Any) -> bool:
    # .item() (~0.5 us) instead of isfinite().all() (three ops, ~9 us): the
    # total loss is a scalar, and its value is synced for logging anyway.
    value = loss.item() if isinstance(loss, torch.Tensor) else loss
    return math.isfinite(value)


def _current_iter() -> Any:
    from engine.logging import MessageHub
    hub = MessageHub.get_current_instance()
    return hub.runtime_info.get('iter', '?')


def _count_skip() -> None:
    from engine.logging import MessageHub
    hub = MessageHub.get_current_instance()
    hub.update_info('nonfinite_skips', hub.runtime_info.get('nonfinite_skips', 0) + 1)
    hub.update_scalar('train/nonfinite_skips', hub.runtime_info['nonfinite_skips'])


def _as_float(value: Any) -> float:
    return value.item() if isinstance(value, torch.Tensor) else float(value)


def _raise_nonfinite(log_vars: Dict[str, Any]) -> None:
    # .item(), not float(): float() of a tensor that requires grad warns
    terms = ', '.join(f'{name}={_as_float(value):.6g}' for name, value in log_vars.items())
    raise FloatingPointError(
        f'Non-finite loss at iteration {_current_iter()}: {terms}. The weights of this step '
        'are not saved; resume from the last checkpoint, or set '
        "train_cfg=dict(..., nonfinite_loss='skip') to skip such batches.")


class BaseModel(BaseModule):
    """Base class of the models the Runner trains.

    Subclasses implement ``forward(inputs, data_samples=None, mode='tensor')``:
    ``'loss'`` returns a dict of losses, ``'predict'`` a list of per-sample
    predictions, ``'tensor'`` the raw network output.

    Args:
        data_preprocessor: an ``nn.Module`` or a config dict for ``MODELS``;
            None builds a ``BaseDataPreprocessor``.
        init_cfg: weight initialisation config (see ``BaseModule``).
    """

    def __init__(self, data_preprocessor: Optional[Union[dict, nn.Module]] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg)
        if data_preprocessor is None:
            data_preprocessor = dict(type='BaseDataPreprocessor')
        if isinstance(data_preprocessor, nn.Module):
            self.data_preprocessor = data_preprocessor
        elif isinstance(data_preprocessor, dict):
            self.data_preprocessor = MODELS.build(data_preprocessor)
        else:
            raise TypeError('data_preprocessor should be a `dict` or `nn.Module` instance, '
                            f'but got {type(data_preprocessor)}')

    #: What a NaN/inf loss does: ``'raise'`` (stop with an error naming the
    #: iteration and the loss terms), ``'skip'`` (no update for that batch,
    #: counted in ``train/nonfinite_skips``) or ``None`` (no check). Set per
    #: run with ``train_cfg=dict(..., nonfinite_loss='skip')``.
    nonfinite_loss: Optional[str] = 'raise'

    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper: Any) -> Dict[str, torch.Tensor]:
        """Preprocess, compute the losses, update the parameters; return the log variables."""
        context = optim_wrapper.optim_context(self)
        if type(context) is nullcontext:  # the usual case: spare its __enter__/__exit__
            losses = self._preprocess_and_forward(data)
        else:
            with context:
                losses = self._preprocess_and_forward(data)
        parsed_losses, log_vars = self.parse_losses(losses)
        policy = self.nonfinite_loss
        if policy == 'skip' and not _is_finite(parsed_losses):
            _count_skip()
            return log_vars
        optim_wrapper.update_params(parsed_losses)
        # Checked after the update: by now the value is needed for logging
        # anyway, so this adds no extra device synchronisation.
        if policy == 'raise' and not math.isfinite(  # _is_finite, without its call
                parsed_losses.item() if isinstance(parsed_losses, torch.Tensor) else parsed_losses):
            _raise_nonfinite(log_vars)
        return log_vars

    def _preprocess_and_forward(self, data: Union[dict, tuple, list]) -> Any:
        preprocessor = self._modules.get('data_preprocessor')
        if (preprocessor is not None and forwards_directly(self, preprocessor)
                and type(self)._run_forward is BaseModel._run_forward):
            # the modules' forward methods: nn.Module.__call__ would add nothing
            if type(preprocessor).forward is BaseDataPreprocessor.forward:
                data = preprocessor.cast_data(data)  # all that forward does: a call less
            else:
                data = preprocessor.forward(data, True)
            if type(data) is dict:
                return self.forward(**data, mode='loss')
            if type(data) is list or type(data) is tuple:
                return self.forward(*data, mode='loss')
        else:
            data = self.data_preprocessor(data, True)
        return self._run_forward(data, mode='loss')

    def val_step(self, data: Union[dict, tuple, list]) -> list:
        """Preprocess and predict (``mode='predict'``)."""
        data = self.data_preprocessor(data, False)
        return self._run_forward(data, mode='predict')

    def test_step(self, data: Union[dict, tuple, list]) -> list:
        """Preprocess and predict (``mode='predict'``)."""
        data = self.data_preprocessor(data, False)
        return self._run_forward(data, mode='predict')

    def parse_losses(self, losses: Dict[str, Any]
                     ) -> Tuple[torch.Tensor, OrderedDict[str, torch.Tensor]]:
        """Reduce the loss dict to the total loss and the values to log.

        Each entry is logged as its mean (a list of tensors as the sum of
        their means); the total is the sum of the entries whose key contains
        ``'loss'``. ``log_vars`` keeps the model's order and puts ``'loss'``
        last; its values are the reduced tensors themselves (no ``.item()``, so
        no device sync happens here).
        """
        log_vars: OrderedDict[str, torch.Tensor] = OrderedDict()
        total: Any = None
        Tensor = torch.Tensor
        try:
            items = losses.items()
        except AttributeError:  # a forward that returned the loss tensor itself, say
            raise TypeError(
                "parse_losses expects the dict of losses that forward(..., mode='loss') "
                f'returns (name -> tensor or list of tensors), but got {type(losses).__name__}'
            ) from None
        name = None
        for name, value in items:
            if isinstance(value, Tensor):
                reduced = value if value.ndim == 0 else value.mean()
            elif isinstance(value, list) and all(isinstance(v, Tensor) for v in value):
                reduced = _sum_of_means(value)
            else:
                raise TypeError(f'{name} is not a tensor or list of tensors')
            if 'loss' in name:
                # `0 + tensor` costs a scalar-tensor creation per step: start from the first
                total = reduced if total is None else total + reduced
            # stored as is, as in 0.2.0 (MOD-06): a detach is an op per loss per step,
            # and the graph's buffers are freed by the backward pass anyway
            log_vars[name] = reduced
        if total is None:
            total = 0
        if 'loss' in log_vars:
            # a model entry named exactly 'loss' keeps its own value, moved to the end
            if name != 'loss':  # not there already (the usual single loss): no C call
                log_vars.move_to_end('loss')
        else:
            log_vars['loss'] = total
        return total, log_vars

    def _run_forward(self, data: Union[dict, tuple, list], mode: str) -> Any:
        return run_forward(self, data, mode)

    def _set_preprocessor_device(self, device: torch.device) -> None:
        # nn.Module.to/cuda never call the children's overrides: set the device by walking
        def set_device(module: nn.Module) -> None:
            if isinstance(module, BaseDataPreprocessor):
                module._device = device
        self.apply(set_device)

    def to(self, *args: Any, **kwargs: Any) -> nn.Module:
        """``nn.Module.to``, also pointing every data preprocessor at the new device."""
        device = _device_of(args, kwargs)
        if device is not None:
            self._set_preprocessor_device(device)
        return super().to(*args, **kwargs)

    def cuda(self, device: Optional[Union[int, str, torch.device]] = None) -> nn.Module:
        """``nn.Module.cuda``, also pointing every data preprocessor at that GPU."""
        if device is None or isinstance(device, int):
            device = torch.device('cuda', index=device)
        self._set_preprocessor_device(torch.device(device))
        return super().cuda(device)

    def cpu(self, *args: Any, **kwargs: Any) -> nn.Module:
        """``nn.Module.cpu``, also pointing every data preprocessor at the CPU."""
        self._set_preprocessor_device(torch.device('cpu'))
        return super().cpu()

    @abstractmethod
    def forward(self, inputs: Any, data_samples: Optional[list] = None,
                mode: str = 'tensor') -> Any:
        """Return losses (``'loss'``), predictions (``'predict'``) or raw outputs (``'tensor'``)."""
