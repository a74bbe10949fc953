"""Filesystem path helpers."""

from __future__ import annotations

import os
import os.path as osp
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

__all__ = ['check_file_exist', 'fopen', 'is_abs', 'is_filepath', 'mkdir_or_exist',
           'makedirs_or_exist', 'scandir', 'symlink']


def check_file_exist(filename, msg_tmpl: str = 'file "{}" does not exist') -> None:
    """Raise ``FileNotFoundError`` unless ``filename`` is an existing file."""
    if not osp.isfile(filename):
        raise FileNotFoundError(msg_tmpl.format(filename))


def is_filepath(x: Any) -> bool:
    """Whether ``x`` is a str or a ``pathlib.Path``."""
    return isinstance(x, (str, Path))


def fopen(filepath: str | Path, *args: Any, **kwargs: Any) -> IO:
    """``open`` for a str or Path; anything else raises ValueError."""
    if isinstance(filepath, (str, Path)):
        return open(filepath, *args, **kwargs)
    raise ValueError('`filepath` should be a string or a Path')


def is_abs(path: str) -> bool:
    """Whether ``path`` is absolute: an OS-absolute path or an http(s)/s3 URL."""
    if osp.isabs(path):
        return True
    return path.startswith(('http://', 'https://', 's3://'))


def mkdir_or_exist(dir_name: str | Path, mode: int = 0o777) -> None:
    """Create ``dir_name`` and its parents unless it exists; ``''`` is a no-op."""
    if dir_name == '':
        return
    os.makedirs(osp.expanduser(dir_name), mode=mode, exist_ok=True)


#: The name the §51.2 summary table uses.
makedirs_or_exist = mkdir_or_exist


def symlink(src: str, dst: str, overwrite: bool = True, **kwargs: Any) -> None:
    """``os.symlink(src, dst)``, first removing ``dst`` (even a broken link) if ``overwrite``."""
    if overwrite and (osp.lexists(dst)):
        os.remove(dst)
    os.symlink(src, dst, **kwargs)


def scandir(dir_path: str | Path, suffix: str | tuple[str, ...] | None = None,
            recursive: bool = False, case_sensitive: bool = True) -> Iterator[str]:
    """Yield the paths of files under ``dir_path``, relative to it.

    Entries whose names start with ``.`` are skipped; ``suffix`` (a str or a
    tuple of str) filters by ending; ``recursive`` descends into folders.
    """
    if isinstance(dir_path, Path):
        dir_path = str(dir_path)
    elif not isinstance(dir_path, str):
        raise TypeError('"dir_path" must be a string or Path object')
    if suffix is not None and not isinstance(suffix, (str, tuple)):
        raise TypeError('"suffix" must be a string or tuple of strings')
    if suffix is not None and not case_sensitive:
        suffix = suffix.lower() if isinstance(suffix, str) else tuple(s.lower() for s in suffix)
    root = dir_path

    def _scan(path: str) -> Iterator[str]:
        for entry in os.scandir(path):
            if entry.name.startswith('.'):
                continue
            if entry.is_file():
                rel_path = osp.relpath(entry.path, root)
                name = rel_path if case_sensitive else rel_path.lower()
                if suffix is None or name.endswith(suffix):
                    yield rel_path
            elif recursive and entry.is_dir():
                yield from _scan(entry.path)

    return _scan(dir_path)
