"""FileClient: the legacy, object-style entry point (prefer the functions in io)."""

from __future__ import annotations

import inspect
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, Optional, Tuple, Type, Union

from ._utils import is_filepath
from .backends import (
    BaseStorageBackend,
    HTTPBackend,
    LmdbBackend,
    LocalBackend,
    MemcachedBackend,
    PetrelBackend,
)


class HardDiskBackend(LocalBackend):
    """Deprecated alias of :class:`LocalBackend`; ``FileClient('disk')`` uses it."""

    def __init__(self) -> None:
        warnings.warn('HardDiskBackend is an alias of LocalBackend and will be removed; '
                      'use LocalBackend instead', DeprecationWarning, stacklevel=2)
        super().__init__()


class FileClient:
    """A storage client chosen by backend name or URI prefix (deprecated).

    Same arguments give the same object: instances are cached in
    ``FileClient._instances`` keyed by backend, prefix and kwargs. The backend
    name wins over the prefix when both are given.
    """

    _backends: Dict[str, Type[BaseStorageBackend]] = {
        'disk': HardDiskBackend,
        'memcached': MemcachedBackend,
        'lmdb': LmdbBackend,
        'petrel': PetrelBackend,
        'http': HTTPBackend,
    }
    _prefix_to_backends: Dict[str, Type[BaseStorageBackend]] = {
        's3': PetrelBackend,
        'petrel': PetrelBackend,
        'http': HTTPBackend,
        'https': HTTPBackend,
    }
    _instances: Dict[str, FileClient] = {}

    client: Any

    def __new__(cls, backend: Optional[str] = None, prefix: Optional[str] = None,
                **kwargs: Any) -> FileClient:
        warnings.warn('FileClient will be deprecated; use the functional API of '
                      'engine.fileio (get, put, get_file_backend, ...) instead',
                      DeprecationWarning, stacklevel=2)
        if backend is None and prefix is None:
            backend = 'disk'
        if backend is not None and backend not in cls._backends:
            raise ValueError(f'Backend {backend!r} is not supported; supported backends are '
                             f'{sorted(cls._backends)}')
        if prefix is not None and prefix not in cls._prefix_to_backends:
            raise ValueError(f'prefix {prefix!r} is not supported; supported prefixes are '
                             f'{sorted(cls._prefix_to_backends)}')

        key = f'{backend}:{prefix}' + ''.join(f':{k}:{v}' for k, v in kwargs.items())
        cached = cls._instances.get(key)
        if cached is not None:
            return cached
        backend_cls = (cls._backends[backend] if backend is not None
                       else cls._prefix_to_backends[prefix])  # type: ignore[index]
        obj = super().__new__(cls)
        with warnings.catch_warnings():
            # FileClient itself already warned; skip HardDiskBackend's alias warning.
            warnings.filterwarnings('ignore', 'HardDiskBackend is an alias', DeprecationWarning)
            obj.client = backend_cls(**kwargs)
        cls._instances[key] = obj
        return obj

    @property
    def name(self) -> str:
        return self.client.name

    @property
    def allow_symlink(self) -> bool:
        return self.client._allow_symlink

    @staticmethod
    def parse_uri_prefix(uri: Union[str, Path]) -> Optional[str]:
        """``'s3'`` for ``'s3://x'`` or ``'cluster:s3://x'``; None without ``://``."""
        assert is_filepath(uri), f'uri should be a str or Path, got {type(uri).__name__}'
        uri = str(uri)
        if '://' not in uri:
            return None
        prefix = uri.split('://', 1)[0]
        return prefix.rsplit(':', 1)[-1]

    @classmethod
    def infer_client(cls, file_client_args: Optional[dict] = None,
                     uri: Optional[Union[str, Path]] = None) -> FileClient:
        """A client from explicit args, else from ``uri``'s prefix."""
        assert file_client_args is not None or uri is not None, (
            'file_client_args and uri should not both be None')
        if file_client_args is None:
            return cls(prefix=cls.parse_uri_prefix(uri))  # type: ignore[arg-type]
        return cls(**file_client_args)

    @classmethod
    def _register_backend(cls, name: str, backend: type, force: bool = False,
                          prefixes: Union[str, list, tuple, None] = None) -> None:
        if not isinstance(name, str):
            raise TypeError(f'name should be a string, but got {type(name).__name__}: {name!r}')
        if not inspect.isclass(backend):
            raise TypeError(f'backend should be a class, but got {type(backend).__name__}')
        if not issubclass(backend, BaseStorageBackend):
            raise TypeError(f'backend {backend.__name__} is not a subclass of '
                            'BaseStorageBackend')
        if isinstance(prefixes, str):
            prefixes = [prefixes]
        elif prefixes is not None:
            assert isinstance(prefixes, (list, tuple)), (
                f'prefixes should be a str, list or tuple, got {type(prefixes).__name__}')
        if not force and name in cls._backends:
            raise KeyError(f'{name} is already registered as a FileClient backend; '
                           'add "force=True" if you want to override it')
        for prefix in prefixes or ():
            if not force and prefix in cls._prefix_to_backends:
                raise KeyError(f'{prefix} is already registered as a FileClient prefix; '
                               'add "force=True" if you want to override it')
        # Drop cached clients of the classes being replaced (by name or by prefix).
        replaced = [cls._backends[name]] if name in cls._backends else []
        replaced += [cls._prefix_to_backends[p] for p in prefixes or ()
                     if p in cls._prefix_to_backends]
        if replaced:
            for key, inst in list(cls._instances.items()):
                if isinstance(inst.client, tuple(replaced)):
                    del cls._instances[key]
        cls._backends[name] = backend
        for prefix in prefixes or ():
            cls._prefix_to_backends[prefix] = backend

    @classmethod
    def register_backend(cls, name: str, backend: Optional[type] = None, force: bool = False,
                         prefixes: Union[str, list, tuple, None] = None
                         ) -> Optional[Callable[[type], type]]:
        """Register a backend in FileClient's own tables (call or decorator).

        Duplicates raise KeyError unless ``force=True``.
        """
        if backend is not None:
            cls._register_backend(name, backend, force=force, prefixes=prefixes)
            return None

        def _register(backend_cls: type) -> type:
            cls._register_backend(name, backend_cls, force=force, prefixes=prefixes)
            return backend_cls

        return _register

    def get(self, filepath: Union[str, Path]) -> Union[bytes, memoryview]:
        return self.client.get(filepath)

    def get_text(self, filepath: Union[str, Path], encoding: str = 'utf-8') -> str:
        return self.client.get_text(filepath, encoding)

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        self.client.put(obj, filepath)

    def put_text(self, obj: str, filepath: Union[str, Path]) -> None:
        self.client.put_text(obj, filepath)

    def remove(self, filepath: Union[str, Path]) -> None:
        self.client.remove(filepath)

    def exists(self, filepath: Union[str, Path]) -> bool:
        return self.client.exists(filepath)

    def isdir(self, filepath: Union[str, Path]) -> bool:
        return self.client.isdir(filepath)

    def isfile(self, filepath: Union[str, Path]) -> bool:
        return self.client.isfile(filepath)

    def join_path(self, filepath: Union[str, Path], *filepaths: Union[str, Path]) -> str:
        return self.client.join_path(filepath, *filepaths)

    @contextmanager
    def get_local_path(self, filepath: Union[str, Path]) -> Iterator[Union[str, Path]]:
        """A local path for ``filepath`` (experimental); temp copies go on exit."""
        with self.client.get_local_path(str(filepath)) as local_path:
            yield local_path

    def list_dir_or_file(self, dir_path: Union[str, Path], list_dir: bool = True,
                         list_file: bool = True,
                         suffix: Optional[Union[str, Tuple[str, ...]]] = None,
                         recursive: bool = False) -> Iterator[str]:
        yield from self.client.list_dir_or_file(dir_path, list_dir, list_file, suffix,
                                                recursive)
