"""Data preprocessors: move a batch to the model's device, optionally normalise and pad images."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Optional, Union
from typing import Sequence as SequenceT

import torch
import torch.nn as nn
import torch.nn.functional as F

from engine.registry import MODELS
from engine.structures import BaseDataElement

from ..utils import stack_batch

__all__ = ['BaseDataPreprocessor', 'ImgDataPreprocessor']

_PASS_THROUGH = (str, bytes, type(None), int, float, bool)


def _device_of(args: tuple, kwargs: dict) -> Optional[torch.device]:
    """The device named by ``nn.Module.to``-style arguments, or None (dtype-only calls)."""
    device = torch._C._nn._parse_to(*args, **kwargs)[0]
    return None if device is None else torch.device(device)


@MODELS.register_module()
class BaseDataPreprocessor(nn.Module):
    """Moves a batch (nested dicts, lists, tuples, namedtuples, data elements) to ``device``.

    ``forward(data, training)`` returns the cast batch; subclasses add
    normalisation or batch augmentation, using ``training`` to tell the
    training step from validation and test.
    """

    def __init__(self) -> None:
        super().__init__()
        self._device = torch.device('cpu')

    @property
    def device(self) -> torch.device:
        return self._device

    @property
    def _device(self) -> torch.device:
        return self.__dict__['_target_device']

    @_device.setter
    def _device(self, device: torch.device) -> None:
        # non_blocking only pays off for host-to-accelerator copies; on CPU it costs ~1us a call
        self.__dict__['_target_device'] = device
        self.__dict__['_target_is_cpu'] = device.type == 'cpu'
        self.__dict__['_non_blocking'] = device.type != 'cpu'

    def cast_data(self, data: Any) -> Any:
        """Return ``data`` with every tensor and data element moved to ``self.device``.

        Mappings become plain dicts, namedtuples keep their type, other
        sequences (lists and tuples) become lists; strings and other leaves
        come back unchanged.
        """
        # The target device is read from the instance dict (the _device property
        # costs a call), and "already there" is tested with is_cpu on CPU (cheaper
        # than building a device object to compare).
        state = self.__dict__
        device, cpu = state['_target_device'], state['_target_is_cpu']
        # exact-type checks first: they are several times cheaper than the ABC checks below
        data_type = type(data)
        if data_type is list or data_type is tuple:
            # Tensors already on the device (the usual CPU batch) need no recursive
            # call. A plain loop: a comprehension builds a function and a frame per batch.
            cast = []
            for item in data:
                if type(item) is torch.Tensor and (item.is_cpu if cpu else item.device == device):
                    cast.append(item)
                else:
                    cast.append(self.cast_data(item))
            return cast
        if data_type is dict:
            cast_dict = {}
            for key, item in data.items():
                if type(item) is torch.Tensor and (item.is_cpu if cpu else item.device == device):
                    cast_dict[key] = item
                else:
                    cast_dict[key] = self.cast_data(item)
            return cast_dict
        if isinstance(data, torch.Tensor):
            if data.is_cpu if cpu else data.device == device:  # skip the dispatch of .to()
                return data
            if state['_non_blocking']:
                return data.to(device, non_blocking=True)
            return data.to(device)
        if isinstance(data, _PASS_THROUGH):
            return data
        if isinstance(data, Mapping):
            return {key: self.cast_data(value) for key, value in data.items()}
        if isinstance(data, tuple) and hasattr(data, '_fields'):  # namedtuple
            return type(data)(*(self.cast_data(item) for item in data))
        if isinstance(data, Sequence):
            return [self.cast_data(item) for item in data]
        if isinstance(data, BaseDataElement):
            if state['_non_blocking']:
                return data.to(device, non_blocking=True)
            return data.to(device)
        return data

    def forward(self, data: Any, training: bool = False) -> Any:
        """Cast ``data`` to the device; ``training`` is for subclasses."""
        return self.cast_data(data)

    def to(self, *args: Any, **kwargs: Any) -> nn.Module:
        device = _device_of(args, kwargs)
        if device is not None:
            self._device = device
        return super().to(*args, **kwargs)

    def cuda(self, *args: Any, **kwargs: Any) -> nn.Module:
        self._device = torch.device(torch.cuda.current_device())
        return super().cuda(*args, **kwargs)

    def cpu(self, *args: Any, **kwargs: Any) -> nn.Module:
        self._device = torch.device('cpu')
        return super().cpu()


@MODELS.register_module()
class ImgDataPreprocessor(BaseDataPreprocessor):
    """Casts, colour-converts, normalises and pads the images of ``data['inputs']``.

    ``inputs`` may be a list of ``(C, H, W)`` tensors (``pseudo_collate``),
    stacked with padding, or an ``(N, C, H, W)`` tensor (``default_collate``).
    Padding goes to the bottom and right so H and W become multiples of
    ``pad_size_divisor``. A single-value mean/std applies to every channel.
    """

    def __init__(self, mean: Optional[SequenceT[Union[float, int]]] = None,
                 std: Optional[SequenceT[Union[float, int]]] = None,
                 pad_size_divisor: int = 1, pad_value: Union[float, int] = 0,
                 bgr_to_rgb: bool = False, rgb_to_bgr: bool = False) -> None:
        super().__init__()
        assert not (bgr_to_rgb and rgb_to_bgr), (
            '`bgr2rgb` and `rgb2bgr` cannot be set to True at the same time')
        assert (mean is None) == (std is None), (
            'mean and std should be both None or tuple')
        if mean is not None:
            assert len(mean) in (1, 3), (
                '`mean` should have 1 or 3 values, to be compatible with RGB or gray image, '
                f'but got {len(mean)} values')
            assert len(std) in (1, 3), (  # type: ignore[arg-type]
                '`std` should have 1 or 3 values, to be compatible with RGB or gray image, '
                f'but got {len(std)} values')  # type: ignore[arg-type]
            self._enable_normalize = True
            self.register_buffer('mean', torch.tensor(mean).view(-1, 1, 1), False)
            self.register_buffer('std', torch.tensor(std).view(-1, 1, 1), False)
        else:
            self._enable_normalize = False
        self._channel_conversion = rgb_to_bgr or bgr_to_rgb
        self.pad_size_divisor = pad_size_divisor
        self.pad_value = pad_value

    def _convert_and_normalize(self, image: torch.Tensor, channel_dim: int) -> torch.Tensor:
        if self._channel_conversion:
            if image.dim() <= channel_dim or image.shape[channel_dim] != 3:
                raise ValueError('bgr_to_rgb / rgb_to_bgr swap 3 colour channels, but got an '
                                 f'image of shape {tuple(image.shape)} (channel dim '
                                 f'{channel_dim})')
            image = image.flip(channel_dim)
        image = image.float()
        if self._enable_normalize:
            image = (image - self.mean) / self.std
        return image

    def forward(self, data: dict, training: bool = False) -> dict:
        """Return ``data`` on the device with ``inputs`` as one float ``(N, C, H, W)`` tensor."""
        data = self.cast_data(data)
        if not isinstance(data, dict):
            raise TypeError('ImgDataPreprocessor expects a dict with the key "inputs", '
                            f'but got {type(data).__name__}')
        if 'inputs' not in data:  # a missing key, as data['inputs'] would report it
            raise KeyError('ImgDataPreprocessor expects a dict with the key "inputs", '
                           f'but got a dict with the keys: {", ".join(map(str, data))}')
        inputs = data['inputs']
        if isinstance(inputs, list) and all(isinstance(x, torch.Tensor) for x in inputs):
            images = []
            for image in inputs:
                if self._enable_normalize and self.mean.shape[0] == 3:
                    assert image.dim() == 3 and image.shape[0] == 3, (
                        'If the mean has 3 values, the input tensor should in shape of '
                        f'(3, H, W), but got the tensor with shape {tuple(image.shape)}')
                images.append(self._convert_and_normalize(image, 0))
            batch = stack_batch(images, self.pad_size_divisor, self.pad_value)
        elif isinstance(inputs, torch.Tensor):
            assert inputs.dim() == 4, (
                'The input of `ImgDataPreprocessor` should be a NCHW tensor or a list of '
                f'tensor, but got a tensor with shape: {tuple(inputs.shape)}')
            batch = self._convert_and_normalize(inputs, 1)
            height, width = batch.shape[2:]
            divisor = self.pad_size_divisor
            pad_h = int(math.ceil(height / divisor)) * divisor - height
            pad_w = int(math.ceil(width / divisor)) * divisor - width
            if pad_h or pad_w:
                batch = F.pad(batch, (0, pad_w, 0, pad_h), 'constant', self.pad_value)
        else:
            raise TypeError('data["inputs"] of ImgDataPreprocessor should be a list of tensors '
                            f'or an NCHW tensor, but got {type(inputs).__name__}: {inputs!r:.80}')
        data['inputs'] = batch
        data.setdefault('data_samples', None)
        return data
