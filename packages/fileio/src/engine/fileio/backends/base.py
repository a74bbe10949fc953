"""The abstract storage backend every backend derives from."""

from __future__ import annotations

import warnings
from abc import ABCMeta, abstractmethod
from typing import Any


class BaseStorageBackend(metaclass=ABCMeta):
    """Interface of a storage backend.

    Subclasses must implement :meth:`get` (bytes) and :meth:`get_text` (str).
    Every other operation defaults to raising ``NotImplementedError`` naming
    the backend and the operation, so a read-only backend (HTTP, LMDB, ...)
    fails clearly instead of with an ``AttributeError``.
    """

    # Whether this backend can make symlinks (only the local one can).
    _allow_symlink = False

    @property
    def name(self) -> str:
        return self.__class__.__name__

    @property
    def allow_symlink(self) -> bool:
        warnings.warn(
            '`allow_symlink` is deprecated; use `copy_if_symlink_fails` instead',
            DeprecationWarning, stacklevel=2)
        return self._allow_symlink

    @abstractmethod
    def get(self, filepath: Any) -> Any:
        """Read ``filepath`` and return its bytes."""

    @abstractmethod
    def get_text(self, filepath: Any, encoding: str = 'utf-8') -> str:
        """Read ``filepath`` and return its text."""

    def _unsupported(self, op: str) -> NotImplementedError:
        return NotImplementedError(f'{self.name} does not support `{op}`')

    def put(self, obj: bytes, filepath: Any) -> None:
        raise self._unsupported('put')

    def put_text(self, obj: str, filepath: Any, encoding: str = 'utf-8') -> None:
        raise self._unsupported('put_text')

    def exists(self, filepath: Any) -> bool:
        raise self._unsupported('exists')

    def isdir(self, filepath: Any) -> bool:
        raise self._unsupported('isdir')

    def isfile(self, filepath: Any) -> bool:
        raise self._unsupported('isfile')

    def join_path(self, filepath: Any, *filepaths: Any) -> str:
        raise self._unsupported('join_path')

    def get_local_path(self, filepath: Any) -> Any:
        raise self._unsupported('get_local_path')

    def copyfile(self, src: Any, dst: Any) -> Any:
        raise self._unsupported('copyfile')

    def copytree(self, src: Any, dst: Any) -> Any:
        raise self._unsupported('copytree')

    def copyfile_from_local(self, src: Any, dst: Any) -> Any:
        raise self._unsupported('copyfile_from_local')

    def copytree_from_local(self, src: Any, dst: Any) -> Any:
        raise self._unsupported('copytree_from_local')

    def copyfile_to_local(self, src: Any, dst: Any) -> Any:
        raise self._unsupported('copyfile_to_local')

    def copytree_to_local(self, src: Any, dst: Any) -> Any:
        raise self._unsupported('copytree_to_local')

    def remove(self, filepath: Any) -> None:
        raise self._unsupported('remove')

    def rmtree(self, dir_path: Any) -> None:
        raise self._unsupported('rmtree')

    def copy_if_symlink_fails(self, src: Any, dst: Any) -> bool:
        raise self._unsupported('copy_if_symlink_fails')

    def list_dir_or_file(self, dir_path: Any, list_dir: bool = True, list_file: bool = True,
                         suffix: Any = None, recursive: bool = False) -> Any:
        raise self._unsupported('list_dir_or_file')

    def generate_presigned_url(self, url: str, client_method: str = 'get_object',
                               expires_in: int = 3600) -> str:
        raise self._unsupported('generate_presigned_url')


def check_list_args(list_dir: bool, suffix: Any) -> None:
    """The argument checks shared by every ``list_dir_or_file``."""
    if list_dir and suffix is not None:
        raise TypeError('`suffix` should be None when `list_dir` is True')
    if suffix is not None and not isinstance(suffix, (str, tuple)):
        raise TypeError('`suffix` must be a string or tuple of strings, '
                        f'got {type(suffix).__name__}: {suffix!r}')
