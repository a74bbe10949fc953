"""LocalBackend: files on the local file system."""

from __future__ import annotations

import contextlib
import os
import os.path as osp
import shutil
from pathlib import Path
from typing import Iterator, Optional, Tuple, Union

from .._utils import atomic_open, atomic_write
from .base import BaseStorageBackend, check_list_args

PathLike = Union[str, Path]


class LocalBackend(BaseStorageBackend):
    """Read and write local files; writes are atomic (temp file + rename)."""

    _allow_symlink = True

    def get(self, filepath: PathLike) -> bytes:
        with open(filepath, 'rb') as f:
            return f.read()

    def get_text(self, filepath: PathLike, encoding: str = 'utf-8') -> str:
        with open(filepath, encoding=encoding) as f:
            return f.read()

    def put(self, obj: bytes, filepath: PathLike) -> None:
        """Write bytes, creating parent folders; the old file survives a failure."""
        if isinstance(obj, str):
            raise TypeError(f'put writes bytes, but got str for {str(filepath)!r}; '
                            'use put_text for text')
        atomic_write(bytes(obj) if isinstance(obj, memoryview) else obj, filepath)

    def put_text(self, obj: str, filepath: PathLike, encoding: str = 'utf-8') -> None:
        """Write text, creating parent folders; the old file survives a failure."""
        with atomic_open(filepath, 'w', encoding=encoding) as f:
            f.write(obj)

    def exists(self, filepath: PathLike) -> bool:
        return osp.exists(filepath)

    def isdir(self, filepath: PathLike) -> bool:
        return osp.isdir(filepath)

    def isfile(self, filepath: PathLike) -> bool:
        return osp.isfile(filepath)

    def join_path(self, filepath: PathLike, *filepaths: PathLike) -> str:
        return osp.join(filepath, *filepaths)

    @contextlib.contextmanager
    def get_local_path(self, filepath: PathLike) -> Iterator[PathLike]:
        """Yield ``filepath`` itself: a local file needs no copy."""
        yield filepath

    def copyfile(self, src: PathLike, dst: PathLike) -> PathLike:
        """Copy a file like ``shutil.copy``; into ``dst`` when it is a folder.

        The copy is written atomically. Returns ``dst`` as passed, or
        ``join(dst, basename(src))`` when ``dst`` is a folder.
        """
        result: PathLike = dst
        if osp.isdir(dst):
            result = osp.join(dst, osp.basename(src))
        if osp.exists(result) and osp.samefile(src, result):
            raise shutil.SameFileError(f'{src!r} and {result!r} are the same file')
        with open(src, 'rb') as fsrc, atomic_open(result, 'wb') as fdst:
            shutil.copyfileobj(fsrc, fdst, 1 << 20)
        shutil.copymode(src, result)
        return result

    def copytree(self, src: PathLike, dst: PathLike) -> PathLike:
        """Copy a folder recursively; ``dst`` must not exist (FileExistsError)."""
        shutil.copytree(src, dst)
        return dst

    def copyfile_from_local(self, src: PathLike, dst: PathLike) -> PathLike:
        return self.copyfile(src, dst)

    def copytree_from_local(self, src: PathLike, dst: PathLike) -> PathLike:
        return self.copytree(src, dst)

    def copyfile_to_local(self, src: PathLike, dst: PathLike) -> PathLike:
        return self.copyfile(src, dst)

    def copytree_to_local(self, src: PathLike, dst: PathLike) -> PathLike:
        return self.copytree(src, dst)

    def remove(self, filepath: PathLike) -> None:
        if not osp.lexists(filepath):
            raise FileNotFoundError(f'cannot remove {str(filepath)!r}: no such file')
        if osp.isdir(filepath):
            raise IsADirectoryError(
                f'cannot remove {str(filepath)!r}: it is a directory (use rmtree)')
        os.remove(filepath)

    def rmtree(self, dir_path: PathLike) -> None:
        shutil.rmtree(dir_path)

    def copy_if_symlink_fails(self, src: PathLike, dst: PathLike) -> bool:
        """Symlink ``dst`` to ``src``; copy instead if that fails. True if linked."""
        try:
            os.symlink(src, dst)
            return True
        except Exception:
            if self.isfile(src):
                self.copyfile(src, dst)
            else:
                self.copytree(src, dst)
            return False

    def list_dir_or_file(self, dir_path: PathLike, list_dir: bool = True,
                         list_file: bool = True,
                         suffix: Optional[Union[str, Tuple[str, ...]]] = None,
                         recursive: bool = False) -> Iterator[str]:
        """Yield entries of ``dir_path`` relative to it; dot-files are skipped."""
        check_list_args(list_dir, suffix)
        return _scan(os.fspath(dir_path), '', list_dir, list_file, suffix, recursive)


def _scan(root: str, rel: str, list_dir: bool, list_file: bool,
          suffix: Optional[Union[str, Tuple[str, ...]]], recursive: bool) -> Iterator[str]:
    with os.scandir(osp.join(root, rel) if rel else root) as it:
        entries = list(it)
    for entry in entries:
        rel_path = osp.join(rel, entry.name) if rel else entry.name
        if entry.is_dir():
            if list_dir:
                yield rel_path
            if recursive:
                yield from _scan(root, rel_path, list_dir, list_file, suffix, recursive)
        elif list_file and not entry.name.startswith('.') and entry.is_file():
            # only regular files (as in the reference): a broken link or a fifo
            # is not something `get` can read
            if suffix is None or entry.name.endswith(suffix):
                yield rel_path
