"""ConfigDict: a dict with attribute access and no auto-vivification."""

from __future__ import annotations

from addict import Dict

TYPE_CHECKING = False  # typing is not imported at runtime: it costs import time
if TYPE_CHECKING:
    from typing import Any


def to_config_value(value: Any) -> Any:
    """Convert dicts (also inside lists and tuples) to ConfigDict, recursively."""
    if isinstance(value, dict):
        return ConfigDict(value)
    if isinstance(value, (list, tuple)):
        items = [to_config_value(item) for item in value]
        if type(value) is list:
            return items
        if type(value) is tuple:
            return tuple(items)
        if hasattr(value, '_fields'):  # namedtuple
            return type(value)(*items)
        return type(value)(items)
    return value


def to_plain_value(value: Any) -> Any:
    """The inverse of :func:`to_config_value`: ConfigDicts become plain dicts."""
    if isinstance(value, dict):
        return {k: to_plain_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        items = [to_plain_value(item) for item in value]
        if type(value) is list:
            return items
        if type(value) is tuple:
            return tuple(items)
        if hasattr(value, '_fields'):
            return type(value)(*items)
        return type(value)(items)
    return value


def to_config_dict_stripped(data: dict) -> ConfigDict:
    """Like ``ConfigDict(data)`` but drops every ``_delete_`` key on the way.

    Used on merged configs, where ``_delete_`` has done its job; written for
    speed because every ``Config.fromfile`` converts the whole tree once.
    """
    new = _new_config_dict(ConfigDict)
    setitem = dict.__setitem__
    for key, value in data.items():
        if key == '_delete_':
            continue
        kind = type(value)
        if kind in _SCALARS:
            pass
        elif isinstance(value, dict):
            value = to_config_dict_stripped(value)
        elif kind is list:
            value = [to_config_value_stripped(item) for item in value]
        elif kind is tuple:
            value = tuple([to_config_value_stripped(item) for item in value])
        elif isinstance(value, (list, tuple)):
            value = to_config_value(value)
        setitem(new, key, value)
    return new


def to_config_value_stripped(item: Any) -> Any:
    """:func:`to_config_value` that drops ``_delete_`` keys of the dicts it converts."""
    kind = type(item)
    if kind in _SCALARS:
        return item
    if isinstance(item, dict):
        return to_config_dict_stripped(item)
    if kind is list:
        return [to_config_value_stripped(i) for i in item]
    if kind is tuple:
        return tuple([to_config_value_stripped(i) for i in item])
    if isinstance(item, (list, tuple)):
        return to_config_value(item)
    return item


class ConfigDict(Dict):
    """A ``dict`` whose keys are also attributes.

    Unlike :class:`addict.Dict`, reading a missing key never creates it: a
    missing attribute raises ``AttributeError`` (so ``hasattr`` and
    ``getattr(cd, k, default)`` work) and a missing item raises ``KeyError``.
    Nested dicts, also inside lists and tuples, are converted on construction
    and on assignment.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # noqa: D107
        # addict's own __init__ goes through the slow parent-tracking
        # __setitem__; conversion here stores straight into the dict.
        setitem = dict.__setitem__
        for arg in args:
            if not arg:
                continue
            if isinstance(arg, dict):
                pairs = arg.items()
            elif isinstance(arg, tuple) and not isinstance(arg[0], tuple):
                pairs = (arg,)
            else:
                pairs = arg
            for key, value in pairs:
                setitem(self, key, to_config_value(value))
        for key, value in kwargs.items():
            setitem(self, key, to_config_value(value))

    def __missing__(self, name: Any) -> Any:
        raise KeyError(name)

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(
                f"'{type(self).__name__}' object has no attribute '{name}'") from None

    def __setitem__(self, name: Any, value: Any) -> None:
        if isinstance(value, dict) and not isinstance(value, ConfigDict):
            value = ConfigDict(value)
        dict.__setitem__(self, name, value)

    def __reduce__(self) -> tuple:
        return (type(self), (dict(self),))

    def __copy__(self) -> ConfigDict:
        new = type(self)()
        dict.update(new, self)
        return new

    copy = __copy__

    def __deepcopy__(self, memo: dict) -> ConfigDict:
        import copy

        new = type(self)()
        memo[id(self)] = new
        for key, value in self.items():
            dict.__setitem__(new, copy.deepcopy(key, memo), copy.deepcopy(value, memo))
        return new

    def to_dict(self) -> dict:
        """Return the content as plain nested dicts (lists and tuples kept)."""
        return to_plain_value(self)

    def __dir__(self) -> list:
        return list(super().__dir__()) + [k for k in self if isinstance(k, str)]


_SCALARS = frozenset((str, int, float, bool, type(None)))
_new_config_dict = dict.__new__
