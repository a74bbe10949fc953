"""InstanceData: per-instance annotations or predictions that all share one length.

Indexing and ``cat`` are hot in detection pipelines, so results are assembled
directly (one metainfo copy, one registry copy, values written straight into the
instance ``__dict__``) instead of re-running the per-field checks, which hold by
construction. Fields backed by properties still go through ``setattr``.
"""

from __future__ import annotations

import copy
from typing import Any, List, Optional, Union

import numpy as np
import torch

from .base_data_element import (
    _DESCRIPTORS,
    _PRIVATE,
    BaseDataElement,
    SharedFields,
    _private_error,
    data_descriptors,
    fast_init_names,
    learn_layout,
    remember_immutable,
)

IndexType = Union[str, slice, int, list, np.ndarray, torch.Tensor]

_SEQUENCES = (str, list, tuple)
_FAST_INIT: dict = {}  # class -> names InstanceData.__init__ must not write directly
_LAYOUTS: dict = {}  # InstanceData.__init__'s call shapes (see FieldLayout)
_Tensor = torch.Tensor
# len() of a tensor in C (Tensor.__len__ is Python, ~4x slower); gives 0 for a 0-d tensor
_tensor_len = getattr(torch._C, 'TensorBase', None) or torch._C._TensorBase
_tensor_len = _tensor_len.__len__


def _length(value: Any) -> int:
    """``len(value)``; reads a plain tensor's shape directly (``Tensor.__len__`` is slow)."""
    if type(value) is _Tensor:
        shape = value.shape
        if shape:
            return shape[0]
    return len(value)


def _length_error(value_len: int, self_len: int) -> AssertionError:
    return AssertionError(
        f'the length of values {value_len} is not consistent with the length of this '
        f':obj:`InstanceData` {self_len} '
    )


def _empty_like(source: InstanceData) -> InstanceData:
    """Same-class instance carrying a copy of ``source``'s metainfo and no data."""
    cls = source.__class__
    src_state = source.__dict__
    meta_fields = src_state['_metainfo_fields']
    if cls.__init__ is not InstanceData.__init__ or not (
        _DESCRIPTORS.get(cls) or data_descriptors(cls)
    ).isdisjoint(meta_fields):
        return cls(metainfo=source.metainfo)
    result = cls.__new__(cls)
    state = result.__dict__
    # a shared registry is shared on; a private one is copied
    state['_metainfo_fields'] = (meta_fields if type(meta_fields) is SharedFields
                                 else meta_fields.copy())
    state['_data_fields'] = {}
    if meta_fields:
        if all(meta_fields.values()):  # registry values flag immutable metainfo: no copy
            for k in meta_fields:
                state[k] = src_state[k]
        else:
            state.update(copy.deepcopy({k: src_state[k] for k in meta_fields}))
    return result


def _fill(result: InstanceData, source: InstanceData, values: dict) -> InstanceData:
    """Store ``values`` (key -> value) as data of ``result``.

    Plain fields (stored in ``source.__dict__``) are written directly; a key that is
    not in ``__dict__`` is backed by a property, so its setter runs via ``setattr``.
    """
    src_state = source.__dict__
    state = result.__dict__
    fields = state['_data_fields']
    for k, v in values.items():
        if k in src_state:
            state[k] = v
            fields[k] = None
        else:
            setattr(result, k, v)
    return result


def _cat_tensors(first: InstanceData, states: list) -> Optional[InstanceData]:
    """``cat`` when every field is a plain tensor stored in ``__dict__``: one pass, no
    per-type dispatch. Returns None otherwise; ``cat``'s general path then runs."""
    first_state = states[0]
    data_fields = first_state['_data_fields']
    joined = {}
    for k in data_fields:
        if k not in first_state:  # property-backed field: its setter must run
            return None
        values = [state[k] for state in states]
        if type(values[0]) is not _Tensor:
            return None
        joined[k] = torch.cat(values)
    # the general path's result (_empty_like + _fill), minus its per-field loop
    result = _empty_like(first)
    state = result.__dict__
    state['_data_fields'] |= data_fields  # registry values are all None
    state |= joined
    return result


def _pick_sequence(value: Any, indexes: list) -> Any:
    """Select ``indexes`` from a str/list/tuple/custom value, keeping its type."""
    if isinstance(value, list):
        return [value[i] for i in indexes]
    if isinstance(value, tuple):
        return tuple(value[i] for i in indexes)
    if isinstance(value, str):
        return ''.join([value[i] for i in indexes])
    # custom structure: 1-length pieces (keep-dim slices) joined by its own ``cat``
    if not indexes:
        return value.cat([value[slice(None, 0)]])
    n = len(value)
    return value.cat([value[slice(i, None, n)] for i in indexes])


class InstanceData(BaseDataElement):
    """Data fields are Sized values of equal length: one entry per instance.

    Values may be tensors, ndarrays, lists, tuples, strings or any object with
    ``__len__``, ``__getitem__`` (keep-dim int access) and a static ``cat``.
    Supports ``inst['key']``, indexing by int/slice/bool or long tensor/list/ndarray,
    ``len`` and :meth:`cat`.
    """

    def __init__(self, *, metainfo: Optional[dict] = None, **kwargs: Any) -> None:
        # Fast path with the general path's result: BaseDataElement.__init__'s steps
        # plus a length check, inlined (this runs per image, and a Python call is ~5%
        # of it). It needs a call shape checked before (see FieldLayout), immutable
        # metainfo (no copy needed) and plain tensors of one length; anything else
        # takes the general path (super().__init__) and its errors.
        cls = type(self)
        if metainfo is None:
            key = (cls, *kwargs)
        elif type(metainfo) is dict:
            key = (*metainfo, cls, *kwargs)
        else:
            return super().__init__(metainfo=metainfo, **kwargs)
        layout = _LAYOUTS.get(key)
        if layout is None:
            layout = learn_layout(
                _LAYOUTS, key, cls, metainfo, kwargs,
                _FAST_INIT.get(cls) or fast_init_names(
                    cls, InstanceData.__setattr__, InstanceData.set_data, _FAST_INIT
                ),
            )
        if not layout:
            return super().__init__(metainfo=metainfo, **kwargs)
        if metainfo:  # see BaseDataElement.__init__
            last = layout.last_values
            i = 0
            for value in metainfo.values():
                if value is not last[i]:
                    if not remember_immutable(metainfo, layout):
                        return super().__init__(metainfo=metainfo, **kwargs)
                    break
                i += 1
        n = -1
        for value in kwargs.values():
            if type(value) is not _Tensor:
                return super().__init__(metainfo=metainfo, **kwargs)
            length = _tensor_len(value)
            if length != n:
                if n < 0:
                    if not length and not value.dim():
                        # 0-d: C-level len is 0, len() raises
                        return super().__init__(metainfo=metainfo, **kwargs)
                    n = length  # the first field decides len(self)
                elif n:
                    return super().__init__(metainfo=metainfo, **kwargs)
        state = self.__dict__
        if state:  # a subclass stored something first
            return super().__init__(metainfo=metainfo, **kwargs)
        state['_metainfo_fields'] = layout.metainfo_fields  # shared: see SharedFields
        state['_data_fields'] = layout.data_fields.copy()
        if metainfo:
            state |= metainfo
        state |= kwargs

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _PRIVATE:
            if name in self.__dict__:
                raise _private_error(name)
            object.__setattr__(self, name, value)
            return
        if not hasattr(value, '__len__'):
            raise AssertionError('value must contain `_len__` attribute')
        for first in self._data_fields:
            # _length() inlined (this runs per field set): a tensor's C-level length,
            # or len() where that is 0 (an empty field, or a 0-d tensor: len() raises)
            current = getattr(self, first)
            n = (type(current) is _Tensor and _tensor_len(current)) or len(current)
            if n:
                value_len = (type(value) is _Tensor and _tensor_len(value)) or len(value)
                if value_len != n:
                    raise _length_error(value_len, n)
            break
        if name in self._metainfo_fields:
            raise AttributeError(
                f'Cannot set {name} to be a field of data because {name} is '
                'already a metainfo field'
            )
        object.__setattr__(self, name, value)
        self._data_fields[name] = None

    def set_data(self, data: dict) -> None:
        """Set each item as a data field, checking lengths (fast path for plain names)."""
        cls = type(self)
        if cls.__setattr__ is not InstanceData.__setattr__ or not isinstance(data, dict):
            super().set_data(data)
            return
        state = self.__dict__
        fields = state['_data_fields']
        if not (
            state['_metainfo_fields'].keys().isdisjoint(data)
            and _PRIVATE.isdisjoint(data)
            and (_DESCRIPTORS.get(cls) or data_descriptors(cls)).isdisjoint(data)
        ):
            for name, value in data.items():
                setattr(self, name, value)  # full checks, descriptors and their errors
            return
        # common case: plain names; check every length, then store all at once
        n = len(self) if fields else 0
        first = next(iter(fields), None)
        try:
            for name, value in data.items():
                if type(value) is _Tensor:
                    shape = value.shape
                    value_len = shape[0] if shape else len(value)
                else:
                    value_len = len(value)
                if type(name) is not str:
                    raise TypeError(name)
                if n:
                    if value_len != n:
                        raise _length_error(value_len, n)
                elif first is None or first == name:
                    first = name  # this field decides len(self) from now on
                    n = value_len
        except TypeError:
            # no __len__, 0-d tensor or a bad name: setattr raises the precise error
            for name, value in data.items():
                setattr(self, name, value)
            return
        state |= data
        fields |= dict.fromkeys(data)

    __setitem__ = __setattr__

    def __len__(self) -> int:
        for name in self._data_fields:
            return _length(getattr(self, name))
        return 0

    def __getitem__(self, item: IndexType) -> Any:
        if isinstance(item, str):
            return getattr(self, item)
        if isinstance(item, list):
            # an empty list selects nothing (np.array([]) would be float64)
            item = np.array(item) if item else np.empty(0, dtype=np.int64)
        if isinstance(item, np.ndarray):
            if item.dtype == np.int32:
                item = item.astype(np.int64)
            item = torch.from_numpy(item)
        elif isinstance(item, np.integer):
            item = int(item)

        if isinstance(item, int):
            n = len(self)
            if item >= n or item < -n:
                raise IndexError(f'Index {item} out of range!')
            return self._select_slice(slice(item, None, n))
        if isinstance(item, slice):
            return self._select_slice(item)
        assert isinstance(item, torch.Tensor) and item.dtype in (torch.int64, torch.bool), (
            'InstanceData index must be a str, int, slice, list, np.ndarray, LongTensor or '
            f'BoolTensor, but got {type(item)}'
            + (f' of dtype {item.dtype}' if isinstance(item, torch.Tensor) else '')
        )
        assert item.dim() == 1, 'Only support to get the values along the first dimension.'
        if item.dtype == torch.bool:
            n = len(self)
            assert len(item) == n, (
                f'The shape of the input(BoolTensor) {len(item)} does not match the shape '
                f'of the indexed tensor in results_field {n} at first dimension.'
            )
            # one nonzero for all fields instead of one per field
            return self._select_indexes(item.nonzero().view(-1), non_negative=True)
        return self._select_indexes(item, non_negative=False)

    def _select_slice(self, item: slice) -> InstanceData:
        result = _empty_like(self)
        return _fill(result, self, {k: v[item] for k, v in self.items()})

    def _select_indexes(self, index: torch.Tensor, non_negative: bool) -> InstanceData:
        """Select instances by a 1-D LongTensor of positions.

        ``index_select`` is faster than advanced indexing but rejects negative
        positions, so it is used only for positions that came from a mask.
        """
        result = _empty_like(self)
        selected = {}
        index_np = index_list = None
        for k, v in self.items():
            if isinstance(v, torch.Tensor):
                if non_negative and v.device == index.device:
                    selected[k] = v.index_select(0, index)
                else:
                    selected[k] = v[index]
            elif isinstance(v, np.ndarray):
                if index_np is None:
                    index_np = index.cpu().numpy()
                selected[k] = v[index_np]
            elif isinstance(v, _SEQUENCES) or (hasattr(v, '__getitem__') and hasattr(v, 'cat')):
                if index_list is None:
                    index_list = index.tolist()
                selected[k] = _pick_sequence(v, index_list)
            else:
                raise ValueError(
                    f'The type of `{k}` is `{type(v)}`, which has no attribute of `cat`, so '
                    'it does not support slice with `bool` '
                )
        return _fill(result, self, selected)

    @staticmethod
    def cat(instances_list: List[InstanceData]) -> InstanceData:
        """Concatenate instances along the instance dimension (metainfo of the first)."""
        assert len(instances_list) > 0, '`instances_list` must not be empty'
        first = instances_list[0]
        assert isinstance(first, InstanceData), (
            f'every element of `instances_list` must be an InstanceData, got {type(first)}'
        )
        if len(instances_list) == 1:
            return first
        first_state = first.__dict__
        meta_fields = first_state['_metainfo_fields']
        meta_keys = meta_fields.keys()
        data_keys = first_state['_data_fields']
        states = [first_state]
        for other in instances_list[1:]:
            assert isinstance(other, InstanceData), (
                f'every element of `instances_list` must be an InstanceData, got {type(other)}'
            )
            state = other.__dict__
            # data registries map names to None: dict equality is key-set equality
            other_meta = state['_metainfo_fields']
            assert (
                (other_meta == meta_fields or other_meta.keys() == meta_keys)
                and state['_data_fields'] == data_keys
            ), (
                'There are different keys in `instances_list`, which may cause the cat '
                'operation to fail. Please make sure all elements in `instances_list` have '
                'the exact same key.'
            )
            states.append(state)
        fast = _cat_tensors(first, states)
        if fast is not None:
            return fast
        result = _empty_like(first)
        joined = {}
        for k in first.keys():
            if k in first_state:
                values = [state[k] for state in states]
            else:  # property-backed field
                values = [getattr(r, k) for r in instances_list]
            v0 = values[0]
            if isinstance(v0, _Tensor):
                joined[k] = torch.cat(values)
            elif isinstance(v0, np.ndarray):
                joined[k] = np.concatenate(values, axis=0)
            elif isinstance(v0, _SEQUENCES):
                out = v0
                for v in values[1:]:
                    out = out + v
                joined[k] = out
            elif hasattr(v0, 'cat'):
                joined[k] = v0.cat(values)
            else:
                raise ValueError(
                    f'The type of `{k}` is `{type(v0)}` which has no attribute of `cat`'
                )
        return _fill(result, first, joined)
