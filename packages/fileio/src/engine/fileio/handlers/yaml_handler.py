"""YAML handler: safe loading, plain-YAML dumping. Needs PyYAML (imported lazily)."""

from __future__ import annotations

from collections import OrderedDict
from typing import IO, Any, Tuple

from .base import BaseFileHandler
from .json_handler import numpy_to_python

_loaders: Tuple[Any, Any] = (None, None)


def _yaml() -> Tuple[Any, Any, Any]:
    """``(yaml, SafeLoader, Dumper)``, preferring the libyaml C classes.

    The loader is a *safe* one: a YAML file cannot construct arbitrary Python
    objects. The dumper is the safe dumper plus tuples (written as lists), so
    whatever ``dump`` writes, ``load`` reads back.
    """
    global _loaders
    try:
        import yaml
    except ImportError:
        raise ImportError('YamlHandler needs PyYAML, which is not installed. Install it with: '
                          'pip install "engine-fileio[yaml]" (or pip install pyyaml)') from None
    if _loaders[0] is None:
        base_loader = getattr(yaml, 'CSafeLoader', yaml.SafeLoader)

        class Loader(base_loader):  # type: ignore[misc, valid-type]
            pass

        # Files written by the original's full Dumper tag tuples; a tuple is safe to build.
        Loader.add_constructor('tag:yaml.org,2002:python/tuple',
                               lambda loader, node: tuple(loader.construct_sequence(node)))
        loader = Loader
        base_dumper = getattr(yaml, 'CSafeDumper', yaml.SafeDumper)

        class Dumper(base_dumper):  # type: ignore[misc, valid-type]
            pass

        Dumper.add_representer(tuple, yaml.representer.SafeRepresenter.represent_list)
        # dict subclasses (OrderedDict, ConfigDict, defaultdict) as plain mappings;
        # an OrderedDict keeps its order
        Dumper.add_multi_representer(dict, _represent_dict_subclass)
        Dumper.add_multi_representer(object, _represent_numpy)
        _loaders = (loader, Dumper)
    return yaml, _loaders[0], _loaders[1]


def _represent_dict_subclass(dumper: Any, data: dict) -> Any:
    items = list(data.items()) if isinstance(data, OrderedDict) else dict(data)
    return dumper.represent_mapping('tag:yaml.org,2002:map', items)


def _represent_numpy(dumper: Any, data: Any) -> Any:
    """numpy arrays and scalars as lists and Python values (as the json fallback does)."""
    plain = numpy_to_python(data)
    if plain is data:
        return dumper.represent_undefined(data)  # RepresenterError: cannot represent an object
    return dumper.represent_data(plain)


class YamlHandler(BaseFileHandler):

    def load_from_fileobj(self, file: IO, **kwargs: Any) -> Any:
        yaml, loader, _ = _yaml()
        kwargs.setdefault('Loader', loader)
        return yaml.load(file, **kwargs)

    def dump_to_fileobj(self, obj: Any, file: IO, **kwargs: Any) -> None:
        yaml, _, dumper = _yaml()
        kwargs.setdefault('Dumper', dumper)
        yaml.dump(obj, file, **kwargs)

    def dump_to_str(self, obj: Any, **kwargs: Any) -> str:
        yaml, _, dumper = _yaml()
        kwargs.setdefault('Dumper', dumper)
        return yaml.dump(obj, **kwargs)
