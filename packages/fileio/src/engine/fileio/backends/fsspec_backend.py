"""FsspecBackend: any file system fsspec knows (``gs://``, ``az://``, ``memory://`` ...).

Needs ``fsspec`` (the ``fsspec`` extra) plus the protocol's own package
(``gcsfs``, ``s3fs``, ``adlfs`` ...). ``s3://`` stays with PetrelBackend by
default; pass ``backend_args={'backend': 'fsspec'}`` or re-register the
prefix with ``force=True`` to send it here.
"""

from __future__ import annotations

import contextlib
import os
import os.path as osp
import posixpath
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterator, Optional, Tuple, Union

from .._utils import atomic_open, atomic_write, missing_extra, mkdir_or_exist
from .base import BaseStorageBackend, check_list_args

PathLike = Union[str, Path]

# Protocols of fsspec's built-in registry, registered as prefixes at import
# time without importing fsspec. Others fsspec knows are found on first use
# (see io.get_file_backend). s3/http/https/petrel belong to other backends.
FSSPEC_PREFIXES = (
    'memory', 'file', 'local', 'gs', 'gcs', 'az', 'abfs', 'adl', 'hdfs', 'webhdfs',
    'sftp', 'ssh', 'ftp', 'smb', 'oss', 'oci', 'dbfs', 'hf', 'github', 's3a', 'zip',
    'tar', 'webdav', 'dropbox', 'gdrive', 'box', 'lakefs', 'tos',
)
RESERVED_PREFIXES = ('s3', 'http', 'https', 'petrel')


def fsspec_knows(protocol: str) -> bool:
    """Whether an installed fsspec can serve ``protocol`` (imports fsspec)."""
    try:
        from fsspec.registry import known_implementations, registry
    except ImportError:
        return False
    return protocol in known_implementations or protocol in registry


class FsspecBackend(BaseStorageBackend):
    """Storage through ``fsspec``; ``**storage_options`` go to the file system."""

    def __init__(self, **storage_options: Any) -> None:
        try:
            import fsspec  # noqa: F401
        except ImportError:
            raise missing_extra('fsspec', 'fsspec', 'FsspecBackend') from None
        self.storage_options = storage_options

    def _fs(self, url: PathLike) -> Tuple[Any, str]:
        from fsspec.core import url_to_fs
        return url_to_fs(str(url), **self.storage_options)

    @staticmethod
    def _is_local(fs: Any) -> bool:
        return 'file' in (fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,))

    def get(self, filepath: PathLike) -> bytes:
        fs, path = self._fs(filepath)
        return fs.cat_file(path)

    def get_text(self, filepath: PathLike, encoding: str = 'utf-8') -> str:
        return self.get(filepath).decode(encoding)

    def put(self, obj: bytes, filepath: PathLike) -> None:
        fs, path = self._fs(filepath)
        if self._is_local(fs):
            atomic_write(bytes(obj), path)  # local files: same guarantees as LocalBackend
        else:
            fs.pipe_file(path, bytes(obj))

    def put_text(self, obj: str, filepath: PathLike, encoding: str = 'utf-8') -> None:
        self.put(obj.encode(encoding), filepath)

    def exists(self, filepath: PathLike) -> bool:
        fs, path = self._fs(filepath)
        return bool(fs.exists(path))

    def isdir(self, filepath: PathLike) -> bool:
        fs, path = self._fs(filepath)
        return bool(fs.isdir(path))

    def isfile(self, filepath: PathLike) -> bool:
        fs, path = self._fs(filepath)
        return bool(fs.isfile(path))

    def join_path(self, filepath: PathLike, *filepaths: PathLike) -> str:
        head = str(filepath)
        if '://' not in head and not filepaths:
            return head
        parts = [head[:-1] if head.endswith('/') and not head.endswith('://') else head]
        parts += [str(p).strip('/') for p in filepaths]
        joined = parts[0]
        for p in parts[1:]:
            joined = joined + p if joined.endswith('/') else joined + '/' + p
        return joined

    @contextlib.contextmanager
    def get_local_path(self, filepath: PathLike) -> Iterator[str]:
        """A local file yields itself; a remote one a temp copy removed on exit."""
        fs, path = self._fs(filepath)
        if self._is_local(fs):
            yield path
            return
        if not fs.isfile(path):
            raise FileNotFoundError(f'{str(filepath)!r} is not a file')
        f = tempfile.NamedTemporaryFile(delete=False, suffix=posixpath.splitext(path)[1])
        try:
            with f, fs.open(path, 'rb') as src:
                shutil.copyfileobj(src, f, 1 << 20)
            yield f.name
        finally:
            os.remove(f.name)

    def _dst_in_dir(self, src: PathLike, dst: PathLike) -> PathLike:
        if self.isdir(dst):
            return self.join_path(dst, posixpath.basename(str(src).rstrip('/')))
        return dst

    def copyfile(self, src: PathLike, dst: PathLike) -> PathLike:
        dst = self._dst_in_dir(src, dst)
        fs, src_p = self._fs(src)
        _, dst_p = self._fs(dst)
        if src_p == dst_p:
            raise shutil.SameFileError(f'{str(src)!r} and {str(dst)!r} are the same file')
        fs.copy(src_p, dst_p)
        return dst

    def _relative_files(self, dir_url: PathLike) -> Iterator[str]:
        return self.list_dir_or_file(dir_url, list_dir=False, recursive=True)

    def copytree(self, src: PathLike, dst: PathLike) -> PathLike:
        if self.exists(dst):
            raise FileExistsError(f'{str(dst)!r} already exists')
        for rel in list(self._relative_files(src)):
            self.put(self.get(self.join_path(src, rel)), self.join_path(dst, rel))
        return dst

    def copyfile_from_local(self, src: PathLike, dst: PathLike) -> PathLike:
        if self.isdir(dst):
            dst = self.join_path(dst, osp.basename(src))
        with open(src, 'rb') as f:
            self.put(f.read(), dst)
        return dst

    def copytree_from_local(self, src: PathLike, dst: PathLike) -> PathLike:
        if self.exists(dst):
            raise FileExistsError(f'{str(dst)!r} already exists')
        for root, _, files in os.walk(src):
            for name in files:
                local = osp.join(root, name)
                rel = osp.relpath(local, src).replace(os.sep, '/')
                self.copyfile_from_local(local, self.join_path(dst, rel))
        return dst

    def copyfile_to_local(self, src: PathLike, dst: PathLike) -> PathLike:
        if osp.isdir(dst):
            name = posixpath.basename(str(src).rstrip('/'))
            dst = Path(dst) / name if isinstance(dst, Path) else osp.join(dst, name)
        fs, src_p = self._fs(src)
        with fs.open(src_p, 'rb') as fsrc, atomic_open(dst, 'wb') as fdst:
            shutil.copyfileobj(fsrc, fdst, 1 << 20)
        return dst

    def copytree_to_local(self, src: PathLike, dst: PathLike) -> PathLike:
        if osp.exists(dst):
            raise FileExistsError(f'{str(dst)!r} already exists')
        mkdir_or_exist(dst)
        for rel in list(self._relative_files(src)):
            self.copyfile_to_local(self.join_path(src, rel), osp.join(dst, *rel.split('/')))
        return dst

    def remove(self, filepath: PathLike) -> None:
        fs, path = self._fs(filepath)
        if not fs.exists(path):
            raise FileNotFoundError(f'cannot remove {str(filepath)!r}: no such file')
        if fs.isdir(path):
            raise IsADirectoryError(
                f'cannot remove {str(filepath)!r}: it is a directory (use rmtree)')
        fs.rm_file(path)

    def rmtree(self, dir_path: PathLike) -> None:
        fs, path = self._fs(dir_path)
        if not fs.isdir(path):
            raise FileNotFoundError(f'cannot rmtree {str(dir_path)!r}: no such directory')
        fs.rm(path, recursive=True)

    def copy_if_symlink_fails(self, src: PathLike, dst: PathLike) -> bool:
        """fsspec has no portable symlinks: copy, return False."""
        if self.isfile(src):
            self.copyfile(src, dst)
        else:
            self.copytree(src, dst)
        return False

    def list_dir_or_file(self, dir_path: PathLike, list_dir: bool = True,
                         list_file: bool = True,
                         suffix: Optional[Union[str, Tuple[str, ...]]] = None,
                         recursive: bool = False) -> Iterator[str]:
        """Entries under ``dir_path``, relative to it, joined with ``/``."""
        check_list_args(list_dir, suffix)
        fs, root = self._fs(dir_path)
        return _scan(fs, root.rstrip('/'), '', list_dir, list_file, suffix, recursive)

    def generate_presigned_url(self, url: str, client_method: str = 'get_object',
                               expires_in: int = 3600) -> str:
        if client_method != 'get_object':
            raise NotImplementedError(
                f'FsspecBackend can only sign downloads (get_object), not {client_method!r}')
        fs, path = self._fs(url)
        return fs.sign(path, expiration=expires_in)


def _scan(fs: Any, root: str, rel: str, list_dir: bool, list_file: bool, suffix: Any,
          recursive: bool) -> Iterator[str]:
    here = f'{root}/{rel}' if rel else root
    for info in fs.ls(here, detail=True):
        name = info['name'].rstrip('/').rsplit('/', 1)[-1]
        rel_path = f'{rel}/{name}' if rel else name
        if info['type'] == 'directory':
            if list_dir:
                yield rel_path
            if recursive:
                yield from _scan(fs, root, rel_path, list_dir, list_file, suffix, recursive)
        elif not name.startswith('.') and list_file:
            if suffix is None or name.endswith(suffix):
                yield rel_path
