"""Storage backends, one module each, and the backend registry."""

from .base import BaseStorageBackend
from .fsspec_backend import FsspecBackend
from .http_backend import HTTPBackend, HTTPNotFoundError, HTTPStatusError
from .lmdb_backend import LmdbBackend
from .local_backend import LocalBackend
from .memcached_backend import MemcachedBackend
from .petrel_backend import PetrelBackend
from .registry_utils import backends, prefix_to_backends, register_backend

__all__ = [
    'BaseStorageBackend', 'LocalBackend', 'HTTPBackend', 'HTTPStatusError',
    'HTTPNotFoundError', 'LmdbBackend', 'MemcachedBackend', 'PetrelBackend', 'FsspecBackend',
    'register_backend', 'backends', 'prefix_to_backends',
]
