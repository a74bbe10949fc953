"""PetrelBackend: the Petrel object store (``petrel://`` and ``s3://``).

Needs the proprietary ``petrel_client`` SDK, which is not on PyPI. The path
normalisation (mapping, backslashes, ``petrel://`` -> ``s3://``) and
``join_path`` are plain functions so that they work without it.
"""

from __future__ import annotations

import contextlib
import os
import os.path as osp
import re
import tempfile
from pathlib import Path
from shutil import SameFileError
from typing import Any, Dict, Iterator, Optional, Tuple, Union

from .._utils import atomic_write, has_method
from .base import BaseStorageBackend, check_list_args

PathLike = Union[str, Path]


def map_path(filepath: PathLike, path_mapping: Optional[Dict[str, str]]) -> str:
    """Replace the first occurrence of each mapping key by its value."""
    filepath = str(filepath)
    if path_mapping is not None:
        for src, dst in path_mapping.items():
            filepath = filepath.replace(src, dst, 1)
    return filepath


def format_path(filepath: str) -> str:
    """Turn every run of backslashes into ``/``."""
    return re.sub(r'\\+', '/', filepath)


def replace_prefix(filepath: str) -> str:
    return filepath.replace('petrel://', 's3://')


def normalize_path(filepath: PathLike, path_mapping: Optional[Dict[str, str]]) -> str:
    """The path the SDK receives: mapped, then formatted, then s3-prefixed."""
    return replace_prefix(format_path(map_path(filepath, path_mapping)))


def join_petrel_path(path_mapping: Optional[Dict[str, str]], filepath: PathLike,
                     *filepaths: PathLike) -> str:
    """Join with ``/``: one trailing ``/`` dropped from the head, leading ones from the rest."""
    head = format_path(map_path(filepath, path_mapping))
    if head.endswith('/'):
        head = head[:-1]
    parts = [head]
    for p in filepaths:
        parts.append(format_path(map_path(p, path_mapping)).lstrip('/'))
    return '/'.join(parts)


class PetrelBackend(BaseStorageBackend):
    """Petrel object storage through ``petrel_client``.

    Args:
        path_mapping: ``{src: dst}`` substitutions applied to every path.
        enable_mc: let the SDK use its memcached cache.
    """

    def __init__(self, path_mapping: Optional[dict] = None, enable_mc: bool = True) -> None:
        try:
            from petrel_client import client
        except ImportError:
            raise ImportError(
                'PetrelBackend needs the Petrel SDK `petrel_client`, which is not installed '
                '(it is not on PyPI: install it from your cluster\'s SDK distribution). '
                'For S3, GCS or other cloud storage without it, use FsspecBackend: '
                'pip install "engine-fileio[fsspec]" and backend_args={"backend": "fsspec"}.'
            ) from None
        assert isinstance(path_mapping, dict) or path_mapping is None, (
            f'path_mapping should be a dict or None, got {type(path_mapping).__name__}')
        self._client = client.Client(enable_mc=enable_mc)
        self.path_mapping = path_mapping

    def _path(self, filepath: PathLike) -> str:
        return normalize_path(filepath, self.path_mapping)

    # The three normalisation steps under the reference's method names.
    def _map_path(self, filepath: PathLike) -> str:
        return map_path(filepath, self.path_mapping)

    def _format_path(self, filepath: str) -> str:
        return format_path(filepath)

    def _replace_prefix(self, filepath: str) -> str:
        return replace_prefix(filepath)

    def _require(self, method: str) -> None:
        if not has_method(self._client, method):
            raise NotImplementedError(
                f'the installed petrel_client has no `{method}` method; '
                'please upgrade petrel_client')

    def get(self, filepath: PathLike) -> bytes:
        value = self._client.Get(self._path(filepath))
        return bytes(value) if isinstance(value, memoryview) else value

    def get_text(self, filepath: PathLike, encoding: str = 'utf-8') -> str:
        return str(self.get(filepath), encoding=encoding)

    def put(self, obj: bytes, filepath: PathLike) -> None:
        self._client.put(self._path(filepath), obj)

    def put_text(self, obj: str, filepath: PathLike, encoding: str = 'utf-8') -> None:
        self.put(obj.encode(encoding), filepath)

    def exists(self, filepath: PathLike) -> bool:
        self._require('contains')
        self._require('isdir')
        p = self._path(filepath)
        return bool(self._client.contains(p) or self._client.isdir(p))

    def isdir(self, filepath: PathLike) -> bool:
        self._require('isdir')
        return bool(self._client.isdir(self._path(filepath)))

    def isfile(self, filepath: PathLike) -> bool:
        self._require('contains')
        return bool(self._client.contains(self._path(filepath)))

    def join_path(self, filepath: PathLike, *filepaths: PathLike) -> str:
        return join_petrel_path(self.path_mapping, filepath, *filepaths)

    @contextlib.contextmanager
    def get_local_path(self, filepath: PathLike) -> Iterator[str]:
        """Download to a temp file, removed on exit."""
        assert self.isfile(filepath), f'{str(filepath)!r} is not a file'
        f = tempfile.NamedTemporaryFile(delete=False)
        try:
            with f:
                f.write(self.get(filepath))
            yield f.name
        finally:
            os.remove(f.name)

    def copyfile(self, src: PathLike, dst: PathLike) -> str:
        if self.isdir(dst):
            dst = self.join_path(dst, self._path(src).rstrip('/').split('/')[-1])
        if self._path(src) == self._path(dst):
            raise SameFileError(f'src and dst should not be same: {str(src)!r} and '
                                f'{str(dst)!r} are the same file')
        self.put(self.get(src), dst)
        return str(dst)

    def copytree(self, src: PathLike, dst: PathLike) -> str:
        if self.exists(dst):
            raise FileExistsError(f'dst should not exist, but {str(dst)!r} already exists')
        for rel in self.list_dir_or_file(src, list_dir=False, recursive=True):
            self.put(self.get(self.join_path(src, rel)), self.join_path(dst, rel))
        return str(dst)

    def copyfile_from_local(self, src: PathLike, dst: PathLike) -> str:
        if self.isdir(dst):
            dst = self.join_path(dst, osp.basename(src))
        with open(src, 'rb') as f:
            self.put(f.read(), dst)
        return str(dst)

    def copytree_from_local(self, src: PathLike, dst: PathLike) -> str:
        if self.exists(dst):
            raise FileExistsError(f'dst should not exist, but {str(dst)!r} already exists')
        for root, _, files in os.walk(src):
            for name in files:
                local = osp.join(root, name)
                rel = osp.relpath(local, src).replace(os.sep, '/')
                self.copyfile_from_local(local, self.join_path(dst, rel))
        return str(dst)

    def copyfile_to_local(self, src: PathLike, dst: PathLike) -> PathLike:
        if osp.isdir(dst):
            name = self._path(src).rstrip('/').split('/')[-1]
            dst = Path(dst) / name if isinstance(dst, Path) else osp.join(dst, name)
        atomic_write(self.get(src), dst)  # a failed download leaves no partial file
        return dst

    def copytree_to_local(self, src: PathLike, dst: PathLike) -> PathLike:
        for rel in self.list_dir_or_file(src, list_dir=False, recursive=True):
            atomic_write(self.get(self.join_path(src, rel)), osp.join(dst, rel))
        return dst

    def remove(self, filepath: PathLike) -> None:
        self._require('delete')
        if not self.exists(filepath):
            raise FileNotFoundError(f'cannot remove {str(filepath)!r}: no such file')
        if self.isdir(filepath):
            raise IsADirectoryError(f'cannot remove {str(filepath)!r}: it is a directory')
        self._client.delete(self._path(filepath))

    def rmtree(self, dir_path: PathLike) -> None:
        for rel in list(self.list_dir_or_file(dir_path, list_dir=False, recursive=True)):
            self.remove(self.join_path(dir_path, rel))

    def copy_if_symlink_fails(self, src: PathLike, dst: PathLike) -> bool:
        """Object stores have no symlinks: always copy, return False."""
        if self.isfile(src):
            self.copyfile(src, dst)
        else:
            self.copytree(src, dst)
        return False

    def list_dir_or_file(self, dir_path: PathLike, list_dir: bool = True,
                         list_file: bool = True,
                         suffix: Optional[Union[str, Tuple[str, ...]]] = None,
                         recursive: bool = False) -> Iterator[str]:
        """Entries under ``dir_path``; SDK names ending in ``/`` are folders."""
        self._require('list')
        if list_dir and suffix is not None:  # the reference's wording for this backend
            raise TypeError('`list_dir` should be False when `suffix` is not None')
        check_list_args(list_dir, suffix)
        root = self._path(dir_path)
        if not root.endswith('/'):
            root += '/'
        return self._scan(root, '', list_dir, list_file, suffix, recursive)

    def _scan(self, root: str, rel: str, list_dir: bool, list_file: bool,
              suffix: Any, recursive: bool) -> Iterator[str]:
        for name in self._client.list(root + rel):
            if name.endswith('/'):
                sub = rel + name
                if list_dir:
                    yield sub[:-1]
                if recursive:
                    yield from self._scan(root, sub, list_dir, list_file, suffix, recursive)
            elif list_file and (suffix is None or name.endswith(suffix)):
                yield rel + name

    def generate_presigned_url(self, url: str, client_method: str = 'get_object',
                               expires_in: int = 3600) -> str:
        return self._client.generate_presigned_url(self._path(url), client_method, expires_in)
