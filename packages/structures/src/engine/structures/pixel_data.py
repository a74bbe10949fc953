"""PixelData: dense per-pixel maps (C, H, W) that all share one height and width."""

from __future__ import annotations

import warnings
from typing import Any, Optional, Tuple, Union

import numpy as np
import torch

from .base_data_element import _PRIVATE, BaseDataElement, _private_error

_ARRAY_TYPES = (torch.Tensor, np.ndarray)


class PixelData(BaseDataElement):
    """Data fields are tensors or ndarrays of shape (C, H, W) with a common (H, W).

    A 2-D (H, W) value gets a leading channel dimension (with a warning).
    ``pd[h, w]`` slices every field spatially; ints keep their dimension.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _PRIVATE:
            if name in self.__dict__:
                raise _private_error(name)
            object.__setattr__(self, name, value)
            return
        assert isinstance(value, _ARRAY_TYPES), (
            f'Can set {type(value)}, only support {_ARRAY_TYPES}'
        )
        shape = self.shape
        if shape is not None:
            assert tuple(value.shape[-2:]) == shape, (
                f'the height and width of values {tuple(value.shape[-2:])} is not consistent '
                f'with the length of this :obj:`PixelData` {shape} '
            )
        assert value.ndim in (2, 3), f'The dim of value must be 2 or 3, but got {value.ndim}'
        if value.ndim == 2:
            value = value[None]
            warnings.warn(
                f'The shape of value will convert from {tuple(value.shape[-2:])} to '
                f'{tuple(value.shape)}',
                UserWarning,
                stacklevel=2,
            )
        super().__setattr__(name, value)

    @property
    def shape(self) -> Optional[Tuple[int, int]]:
        """(H, W) shared by all fields, or None when there is no data."""
        for name in self._data_fields:
            return tuple(getattr(self, name).shape[-2:])
        return None

    def __getitem__(self, item: Tuple[Union[int, slice], Union[int, slice]]) -> PixelData:
        if not isinstance(item, tuple):
            raise TypeError(f'Unsupported type {type(item)} for slicing PixelData')
        assert len(item) == 2, 'Only support slice height and width'
        shape = self.shape
        index = [slice(None)]
        for dim, part in enumerate(item):
            if isinstance(part, int):
                # keep the dimension: take one row/column as a length-1 slice
                index.append(slice(part, None, shape[dim] if shape else None))
            elif isinstance(part, slice):
                index.append(part)
            else:
                raise TypeError(
                    f'The type of element in input must be int or slice, but got {type(part)}'
                )
        spatial = tuple(index)
        new_data = self.__class__(metainfo=self.metainfo)
        for k, v in self.items():
            setattr(new_data, k, v[spatial])
        return new_data
