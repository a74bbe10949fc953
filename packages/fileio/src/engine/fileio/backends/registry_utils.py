"""The functional API's backend registry: name -> class and prefix -> class."""

from __future__ import annotations

import inspect
from typing import Callable, Dict, Optional, Sequence, Type, Union

from .base import BaseStorageBackend
from .fsspec_backend import FSSPEC_PREFIXES, FsspecBackend
from .http_backend import HTTPBackend
from .lmdb_backend import LmdbBackend
from .local_backend import LocalBackend
from .memcached_backend import MemcachedBackend
from .petrel_backend import PetrelBackend

backends: Dict[str, Type[BaseStorageBackend]] = {}
prefix_to_backends: Dict[str, Type[BaseStorageBackend]] = {}


def _register_backend(name: str, backend: type, force: bool = False,
                      prefixes: Union[str, Sequence[str], None] = None) -> None:
    if not isinstance(name, str):
        raise TypeError(f'name should be a string, but got {type(name).__name__}: {name!r}')
    if not inspect.isclass(backend):
        raise TypeError(f'backend should be a class, but got {type(backend).__name__}')
    if not issubclass(backend, BaseStorageBackend):
        raise TypeError(f'backend {backend.__name__} is not a subclass of BaseStorageBackend')
    if prefixes is not None:
        if isinstance(prefixes, str):
            prefixes = [prefixes]
        else:
            assert isinstance(prefixes, (list, tuple)), (
                f'prefixes should be a str, list or tuple, got {type(prefixes).__name__}')
    # Validate everything before changing anything.
    if not force and name in backends:
        # the message starts as the reference's: "<name> is already registered ..."
        raise ValueError(f'{name} is already registered as a storage backend '
                         f'({backends[name].__name__}); add "force=True" if you want to '
                         'override it')
    for prefix in prefixes or ():
        if not force and prefix in prefix_to_backends:
            raise ValueError(f'{prefix} is already registered as a storage backend prefix '
                             f'(by {prefix_to_backends[prefix].__name__}); add "force=True" '
                             'if you want to override it')
    backends[name] = backend
    for prefix in prefixes or ():
        prefix_to_backends[prefix] = backend


def register_backend(name: str, backend: Optional[type] = None, force: bool = False,
                     prefixes: Union[str, Sequence[str], None] = None) -> Optional[Callable]:
    """Register a storage backend under ``name`` (and URI ``prefixes``).

    Call it with ``backend`` to register directly (returns None), or without
    to get a class decorator. A duplicate name or prefix raises ValueError
    unless ``force=True``.

    Example:
        >>> @register_backend('mystore', prefixes='mystore')
        ... class MyBackend(BaseStorageBackend): ...
    """
    if backend is not None:
        _register_backend(name, backend, force=force, prefixes=prefixes)
        return None

    def _register(backend_cls: type) -> type:
        _register_backend(name, backend_cls, force=force, prefixes=prefixes)
        return backend_cls

    return _register


register_backend('local', LocalBackend, prefixes='')
register_backend('memcached', MemcachedBackend)
register_backend('lmdb', LmdbBackend)
register_backend('petrel', PetrelBackend, prefixes=['petrel', 's3'])
register_backend('http', HTTPBackend, prefixes=['http', 'https'])
register_backend('fsspec', FsspecBackend, prefixes=list(FSSPEC_PREFIXES))
