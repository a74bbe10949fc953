"""BaseDataElement: the common container for metainfo and data passed between modules.

Fields live as ordinary instance attributes (visible in ``__dict__`` and debuggers).
Two insertion-ordered registries (dicts used as ordered sets) record which
attribute names are *metainfo* and which are *data*. Reads are plain attribute
lookups; only writes go through ``__setattr__``, which stays short because it is
on the hot path of every pipeline. Elements built alike share one read-only
metainfo registry until one of them changes its metainfo names (SharedFields).
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Iterator
from typing import Any, Optional, Tuple, Type, TypeVar, Union

import numpy as np
import torch

T = TypeVar('T', bound='BaseDataElement')

_PRIVATE = frozenset(('_metainfo_fields', '_data_fields'))
# Values deepcopy would return unchanged: copying metainfo made of these is free.
_IMMUTABLE = frozenset((int, float, str, bool, type(None), bytes, complex))


def _private_error(name: str) -> AttributeError:
    return AttributeError(f'{name} has been used as a private attribute, which is immutable.')


def _is_immutable(value: Any) -> bool:
    kind = type(value)
    if kind in _IMMUTABLE:
        return True
    if kind is tuple:
        for item in value:
            if type(item) not in _IMMUTABLE:
                return False
        return True
    return False


def copy_metainfo(metainfo: dict) -> Tuple[dict, dict]:
    """Deep copy of a metainfo dict, plus a name -> "value is immutable" map.

    Equivalent to ``copy.deepcopy(metainfo)``, but skips deepcopy when every value
    is immutable (ints, strings, shape tuples: the usual metainfo), where it costs
    microseconds for nothing. The flags are kept as the values of the metainfo
    registry so that copies of an element can skip the check too.
    """
    immutable = _IMMUTABLE
    flags = {}
    deep = False
    for name, value in metainfo.items():
        if not isinstance(name, str):
            raise TypeError(f'metainfo keys must be str, but got {name!r}')
        kind = type(value)
        if kind in immutable:
            flags[name] = True
        elif kind is tuple:
            for item in value:
                if type(item) not in immutable:
                    flags[name] = False
                    deep = True
                    break
            else:
                flags[name] = True
        else:
            flags[name] = False
            deep = True
    return (copy.deepcopy(metainfo) if deep else dict(metainfo)), flags


_DESCRIPTORS: dict = {}
_LAYOUTS: dict = {}  # BaseDataElement.__init__'s call shapes (see FieldLayout)


def data_descriptors(cls: type) -> frozenset:
    """Names of data descriptors (properties, ...) on ``cls``; cached per class.

    Fields with these names must be set through ``setattr`` so the descriptor
    runs; every other field can be written straight into ``__dict__``.
    """
    names = _DESCRIPTORS.get(cls)
    if names is None:
        found = set()
        for klass in cls.__mro__:
            for name, attr in vars(klass).items():
                if hasattr(type(attr), '__set__') or hasattr(type(attr), '__delete__'):
                    found.add(name)
        names = _DESCRIPTORS[cls] = frozenset(found)
    return names


_FAST_INIT: dict = {}


def fast_init_names(
    cls: type, setattr_fn: Any, set_data_fn: Any, cache: dict = _FAST_INIT
) -> Optional[frozenset]:
    """Names a constructor must not write straight into ``__dict__``; cached per class.

    Data descriptors (property-backed fields), the private registries and the
    deprecated ``meta_info`` alias need the general path. ``None`` means the class
    overrides ``__setattr__``, ``set_data`` or ``set_metainfo`` beyond what the calling
    constructor checks itself (``setattr_fn``/``set_data_fn``; one ``cache`` per
    constructor), so every field must take the general path.
    """
    if cls in cache:
        return cache[cls]
    names = None
    if (
        cls.__setattr__ is setattr_fn
        and cls.set_data is set_data_fn
        and cls.set_metainfo is BaseDataElement.set_metainfo
    ):
        names = data_descriptors(cls) | _PRIVATE | {'meta_info'}
    cache[cls] = names
    return names


_UNSEEN = object()  # stands for "no metainfo value checked yet"
_MAX_LAYOUTS = 512  # distinct call shapes remembered per constructor; then start afresh


class SharedFields(dict):
    """A metainfo registry shared by the elements built from one call shape.

    Elements read it as their own; the first change to an element's metainfo
    names replaces it with a private copy (:func:`own_fields`), so building,
    indexing or joining elements copies no metainfo registry. Changing a shared
    registry itself raises: a write that skipped ``own_fields`` cannot leak one
    element's names into the others. (Data registries are copied when an element
    is built instead: adding data fields one by one is the common pattern, and
    its ``__setattr__`` should not pay for a check.)
    """

    __slots__ = ()

    def _read_only(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError('a shared field registry is read-only: take own_fields() first')

    __setitem__ = __delitem__ = __ior__ = _read_only
    update = pop = popitem = clear = setdefault = _read_only

    def __reduce__(self) -> tuple:
        # copies and unpickled elements get a plain registry of their own
        return dict, (dict(self),)


def own_fields(state: dict) -> dict:
    """The element's metainfo registry (``state`` is its ``__dict__``), made
    private to it first if it is shared; for writing to it."""
    fields = state['_metainfo_fields']
    if type(fields) is SharedFields:
        fields = state['_metainfo_fields'] = fields.copy()  # dict.copy: a plain dict
    return fields


class FieldLayout:
    """The names of one constructor call shape, checked once and reused by later calls.

    A call shape is the class plus its metainfo and data names, in order; its cache
    key is ``(*metainfo, cls, *data)`` (``cls`` also marks where data names start).
    Once checked (plain ``str`` metainfo names, no reserved name, no name in both),
    later calls with the same shape reuse these registries instead of building them.
    """

    __slots__ = ('metainfo_fields', 'data_fields', 'last_values')

    def __init__(self, metainfo: dict, data: dict) -> None:
        # flags True: only used once the values are known to be immutable
        self.metainfo_fields = SharedFields(dict.fromkeys(metainfo, True))
        self.data_fields = dict.fromkeys(data)  # copied per element
        # The metainfo values last found immutable. Holding them keeps them alive, so
        # a value that *is* one of them is that same (still immutable) object.
        self.last_values: tuple = (_UNSEEN,) * len(metainfo)


def learn_layout(
    cache: dict, key: tuple, cls: type, metainfo: Optional[dict], data: dict, reserved: Any
) -> Any:
    """Check a new call shape once; cache and return its :class:`FieldLayout`.

    Returns (and caches) False when the shape needs the general path: the class
    is not eligible (``reserved`` is None), or a name is reserved, not a plain
    ``str`` metainfo name, or both metainfo and data (the general path raises).
    """
    layout: Any = False
    if reserved is not None and reserved.isdisjoint(data):
        if metainfo is None:
            layout = FieldLayout({}, data)
        elif (
            all(type(name) is str for name in metainfo)
            and reserved.isdisjoint(metainfo)
            and data.keys().isdisjoint(metainfo)
        ):
            layout = FieldLayout(metainfo, data)
    if len(cache) >= _MAX_LAYOUTS:
        cache.clear()
    cache[key] = layout
    return layout


def remember_immutable(metainfo: dict, layout: FieldLayout) -> bool:
    """True when every metainfo value is immutable, so ``deepcopy`` would return it as is.

    The usual metainfo (ints, strings, shape tuples) then needs no copy. Callers
    first compare the values with ``layout.last_values`` by identity, which is
    cheaper than checking tuple items again; a passing set becomes the new one.
    """
    immutable = _IMMUTABLE
    for value in metainfo.values():
        kind = type(value)
        if kind is tuple:  # shapes, scale factors: check the items (plain loop is fastest)
            for item in value:
                if type(item) not in immutable:
                    return False
        elif kind not in immutable:
            return False
    layout.last_values = tuple(metainfo.values())
    return True


def init_fields(self: BaseDataElement, metainfo: Any, data: dict) -> None:
    """General constructor path: every field through ``set_metainfo``/``set_data``."""
    state = self.__dict__
    state['_metainfo_fields'] = {}
    state['_data_fields'] = {}
    if 'meta_info' in data and metainfo is None:
        warnings.warn(
            '`meta_info` is a deprecated alias of `metainfo`; pass `metainfo=` instead',
            DeprecationWarning,
            stacklevel=3,
        )
        metainfo = data.pop('meta_info')
    if metainfo is not None:
        self.set_metainfo(metainfo)
    if data:
        self.set_data(data)


def _add_indent(text: str, spaces: int = 4) -> str:
    """Indent every line but the first (blank ones too); one-line text is unchanged."""
    if '\n' not in text:
        return text
    first, rest = text.split('\n', 1)
    pad = ' ' * spaces
    return first + '\n' + '\n'.join(pad + line for line in rest.split('\n'))


def _dump(value: Any) -> str:
    if isinstance(value, dict):
        return ''.join(f'\n{k}: {_add_indent(_dump(v))}' for k, v in value.items())
    return repr(value)


def clone_value(value: Any) -> Any:
    """Independent copy of one data value (tensors via ``clone`` so non-leaf ones work)."""
    if isinstance(value, torch.Tensor):
        return value.clone()
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, BaseDataElement):
        return value.clone()
    return copy.deepcopy(value)


class BaseDataElement:
    """Container of *metainfo* (sample meta such as ``img_shape``) and *data* fields.

    ``elem.x = v`` always sets a data field; metainfo changes only through
    :meth:`set_metainfo`. A name is never both. Subclasses may declare typed fields
    with properties whose setters call ``set_field(value, '_name', dtype=...)``.
    """

    def __init__(self, *, metainfo: Optional[dict] = None, **kwargs: Any) -> None:
        # Fast path with the general path's result: a call shape checked before
        # (see FieldLayout), immutable metainfo (no copy needed), nothing stored yet.
        cls = type(self)
        if metainfo is None:
            key = (cls, *kwargs)
        elif type(metainfo) is dict:
            key = (*metainfo, cls, *kwargs)
        else:
            return init_fields(self, metainfo, kwargs)
        layout = _LAYOUTS.get(key)
        if layout is None:
            layout = learn_layout(
                _LAYOUTS, key, cls, metainfo, kwargs,
                _FAST_INIT.get(cls) or fast_init_names(
                    cls, BaseDataElement.__setattr__, BaseDataElement.set_data
                ),
            )
        state = self.__dict__
        if not layout or state:  # a subclass stored something first
            return init_fields(self, metainfo, kwargs)
        if metainfo:
            # the values last found immutable, compared by identity (a plain loop:
            # IS_OP and tuple indexing are cheaper than a C call per value)
            last = layout.last_values
            i = 0
            for value in metainfo.values():
                if value is not last[i]:
                    if not remember_immutable(metainfo, layout):
                        return init_fields(self, metainfo, kwargs)
                    break
                i += 1
        state['_metainfo_fields'] = layout.metainfo_fields  # shared: see SharedFields
        state['_data_fields'] = layout.data_fields.copy()
        if metainfo:
            state |= metainfo
        state |= kwargs

    # ------------------------------------------------------------------ setters
    def set_metainfo(self, metainfo: dict) -> None:
        """Merge ``metainfo`` (deep-copied) into the metainfo fields."""
        assert type(metainfo) is dict or isinstance(metainfo, dict), (
            f'metainfo should be a ``dict`` but got {type(metainfo)}'
        )
        copied, flags = copy_metainfo(metainfo)
        state = self.__dict__
        data_fields = state['_data_fields']
        if (
            data_fields.keys().isdisjoint(copied)
            and _PRIVATE.isdisjoint(copied)
            and (_DESCRIPTORS.get(type(self)) or data_descriptors(type(self))).isdisjoint(copied)
        ):
            # common case, checked in C: plain names with no conflict
            state |= copied
            meta_fields = own_fields(state)
            meta_fields |= flags
            return
        for name, value in copied.items():
            self.set_field(value, name, field_type='metainfo')

    def set_data(self, data: dict) -> None:
        """Set each item as a data field through ``setattr`` (so subclass checks apply)."""
        assert isinstance(data, dict), f'data should be a `dict` but got {type(data)}'
        cls = type(self)
        if cls.__setattr__ is not BaseDataElement.__setattr__:
            for name, value in data.items():
                setattr(self, name, value)
            return
        # Same effect as setattr per item, minus the call overhead: plain names go
        # straight to __dict__; anything unusual takes the full setattr path.
        state = self.__dict__
        meta_fields = state['_metainfo_fields']
        fields = state['_data_fields']
        special = data_descriptors(cls)
        for name, value in data.items():
            if type(name) is str and name not in special and name not in meta_fields \
                    and name not in _PRIVATE:
                state[name] = value
                fields[name] = None
            else:
                setattr(self, name, value)

    def set_field(
        self,
        value: Any,
        name: str,
        dtype: Optional[Union[Type, Tuple[Type, ...]]] = None,
        field_type: str = 'data',
    ) -> None:
        """Low-level setter: type-check ``value``, store it and register ``name``."""
        assert field_type in ('metainfo', 'data'), (
            f"field_type should be 'metainfo' or 'data' but got {field_type!r}"
        )
        if dtype is not None:
            assert isinstance(value, dtype), f'{value} should be a {dtype} but got {type(value)}'
        if name in _PRIVATE:
            raise _private_error(name)
        if field_type == 'metainfo':
            if name in self._data_fields:
                raise AttributeError(
                    f'Cannot set {name} to be a field of metainfo because {name} is '
                    'already a data field'
                )
            object.__setattr__(self, name, value)
            own_fields(self.__dict__)[name] = _is_immutable(value)
        else:
            if name in self._metainfo_fields:
                raise AttributeError(
                    f'Cannot set {name} to be a field of data because {name} is '
                    'already a metainfo field'
                )
            # Store first, register after: a failing property setter leaves no key.
            object.__setattr__(self, name, value)
            self._data_fields[name] = None

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _PRIVATE:
            if name in self.__dict__:
                raise _private_error(name)
            object.__setattr__(self, name, value)
            return
        if name in self._metainfo_fields:
            raise AttributeError(
                f'Cannot set {name} to be a field of data because {name} is '
                'already a metainfo field'
            )
        object.__setattr__(self, name, value)
        self._data_fields[name] = None

    def __delattr__(self, name: str) -> None:
        if name in _PRIVATE:
            raise _private_error(name)
        object.__delattr__(self, name)
        own_fields(self.__dict__).pop(name, None)
        self._data_fields.pop(name, None)

    __delitem__ = __delattr__

    def __setitem__(self, key: str, value: Any) -> None:
        # Defining __delitem__ fills the mapping slot, so say what plain Python would.
        raise TypeError(
            f"'{type(self).__name__}' object does not support item assignment; "
            f'use `elem.{key} = value`'
        )

    def update(self, instance: BaseDataElement) -> None:
        """Merge another element's metainfo and data into this one."""
        assert isinstance(instance, BaseDataElement), (
            f'instance should be a `BaseDataElement` but got {type(instance)}'
        )
        self.set_metainfo(dict(instance.metainfo_items()))
        self.set_data(dict(instance.items()))

    # ------------------------------------------------------------------- views
    def keys(self) -> list:
        """Data field names, in insertion order, without property backing names."""
        fields = self._data_fields
        names = list(fields)
        for name in names:
            if name[0] == '_':
                break
        else:
            return names
        cls = type(self)
        return [
            name
            for name in names
            if not (
                name[0] == '_'
                and name[1:] in fields
                and isinstance(getattr(cls, name[1:], None), property)
            )
        ]

    def values(self) -> list:
        return [getattr(self, k) for k in self.keys()]

    def items(self) -> Iterator[Tuple[str, Any]]:
        for k in self.keys():
            yield k, getattr(self, k)

    def metainfo_keys(self) -> list:
        return list(self._metainfo_fields)

    def metainfo_values(self) -> list:
        return [getattr(self, k) for k in self._metainfo_fields]

    def metainfo_items(self) -> Iterator[Tuple[str, Any]]:
        for k in self.metainfo_keys():
            yield k, getattr(self, k)

    @property
    def metainfo(self) -> dict:
        """A fresh dict of the metainfo fields (mutating it leaves the element alone)."""
        return dict(self.metainfo_items())

    def all_keys(self) -> list:
        return self.metainfo_keys() + self.keys()

    def all_values(self) -> list:
        return self.metainfo_values() + self.values()

    def all_items(self) -> Iterator[Tuple[str, Any]]:
        yield from self.metainfo_items()
        yield from self.items()

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key, default)

    def pop(self, *args: Any) -> Any:
        """``dict.pop`` over metainfo and data: ``pop(key)`` or ``pop(key, default)``."""
        assert 1 <= len(args) <= 2, f'``pop`` takes 1 or 2 arguments but got {len(args)}'
        name = args[0]
        if name in self._metainfo_fields or name in self._data_fields:
            value = getattr(self, name)
            delattr(self, name)
            return value
        if len(args) == 2:
            return args[1]
        raise KeyError(f'{name} is not contained in metainfo or data')

    def __contains__(self, key: object) -> bool:
        return key in self._data_fields or key in self._metainfo_fields

    # ----------------------------------------------------------------- copies
    def new(self: T, *, metainfo: Optional[dict] = None, **kwargs: Any) -> T:
        """Same-type element; ``metainfo``/``kwargs`` replace the current ones if given."""
        new_data = self.__class__()
        if metainfo is not None:
            new_data.set_metainfo(metainfo)
        else:
            new_data.set_metainfo(dict(self.metainfo_items()))
        if kwargs:
            new_data.set_data(kwargs)
        else:
            new_data.set_data(dict(self.items()))
        return new_data

    def clone(self: T) -> T:
        """Copy with its own metainfo, data values and key registries."""
        clone_data = self.__class__()
        clone_data.set_metainfo(dict(self.metainfo_items()))
        clone_data.set_data({k: clone_value(v) for k, v in self.items()})
        return clone_data

    # ------------------------------------------------------- tensor-like ops
    def _convert(self: T, should_convert: Any, convert: Any) -> T:
        new_data = self.new()
        for k, v in self.items():
            if should_convert(v):
                new_data.set_data({k: convert(v)})
        return new_data

    def to(self: T, *args: Any, **kwargs: Any) -> T:
        """Apply ``.to(*args, **kwargs)`` to every data value that has one."""
        return self._convert(lambda v: hasattr(v, 'to'), lambda v: v.to(*args, **kwargs))

    def cpu(self: T) -> T:
        return self._convert(_is_tensor_like, lambda v: v.cpu())

    def cuda(self: T) -> T:
        return self._convert(_is_tensor_like, lambda v: v.cuda())

    def npu(self: T) -> T:
        return self._convert(_is_tensor_like, lambda v: v.npu())

    def detach(self: T) -> T:
        return self._convert(_is_tensor_like, lambda v: v.detach())

    def numpy(self: T) -> T:
        """Tensors become ndarrays (detached, on CPU); nested elements recurse."""
        return self._convert(
            _is_tensor_like,
            lambda v: v.numpy() if isinstance(v, BaseDataElement) else v.detach().cpu().numpy(),
        )

    def to_tensor(self: T) -> T:
        """ndarrays become tensors (sharing memory); nested elements recurse."""
        return self._convert(
            lambda v: isinstance(v, (np.ndarray, BaseDataElement)),
            lambda v: v.to_tensor() if isinstance(v, BaseDataElement) else torch.from_numpy(v),
        )

    def to_dict(self) -> dict:
        """Metainfo and data flattened into one dict; nested elements become dicts."""
        return {
            k: v.to_dict() if isinstance(v, BaseDataElement) else v for k, v in self.all_items()
        }

    # ------------------------------------------------------------------- repr
    def __repr__(self) -> str:
        body = (
            '\n\n    META INFORMATION'
            + _add_indent(_dump(self.metainfo))
            + '\n\n    DATA FIELDS'
            + _add_indent(_dump(dict(self.items())))
        )
        return f'<{self.__class__.__name__}({body}\n) at {hex(id(self))}>'

    __str__ = __repr__


def _is_tensor_like(value: Any) -> bool:
    return isinstance(value, (torch.Tensor, BaseDataElement))
