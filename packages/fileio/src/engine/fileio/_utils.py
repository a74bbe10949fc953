"""Small private helpers shared by the fileio modules (stdlib only)."""

from __future__ import annotations

import contextlib
import io
import os
import secrets
from pathlib import Path
from typing import IO, Any, Iterator, Union

PathLike = Union[str, Path]


def is_filepath(x: Any) -> bool:
    """True for the path types fileio accepts: ``str`` and ``pathlib.Path``."""
    return isinstance(x, (str, Path))


def mkdir_or_exist(dir_name: PathLike) -> None:
    """``mkdir -p``; a no-op for ``''`` (a bare filename lives in the cwd)."""
    if dir_name == '':
        return
    os.makedirs(dir_name, exist_ok=True)


def has_method(obj: object, method: str) -> bool:
    return callable(getattr(obj, method, None))


def _open_temp_beside(target: str, binary: bool, encoding: str | None) -> tuple[str, IO]:
    """Create a fresh temp file in ``target``'s folder.

    ``os.open`` with mode 0o666 lets the umask apply, so the renamed file gets
    the permissions a plain ``open(target, 'w')`` would have given it.
    """
    folder, base = os.path.split(target)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, 'O_CLOEXEC', 0)
    while True:
        tmp = os.path.join(folder, f'.{base}.{secrets.token_hex(4)}.tmp')
        try:
            fd = os.open(tmp, flags, 0o666)
            break
        except FileExistsError:  # pragma: no cover - 32 random bits collided
            continue
    # The binary file takes the descriptor first, so that each failure below has
    # one owner to close: a text-mode fdopen with a bad encoding closes the
    # descriptor itself, and closing it again would hide its LookupError.
    try:
        raw = os.fdopen(fd, 'wb')
    except BaseException:
        os.close(fd)
        os.remove(tmp)
        raise
    if binary:
        return tmp, raw
    try:
        return tmp, io.TextIOWrapper(raw, encoding=encoding)
    except BaseException:
        raw.close()
        os.remove(tmp)
        raise


@contextlib.contextmanager
def atomic_open(filepath: PathLike, mode: str = 'w', encoding: str | None = 'utf-8'
                ) -> Iterator[IO]:
    """Open ``filepath`` for writing so that readers never see a partial file.

    Writes go to a temp file in the same folder, which replaces the target only
    when the block exits without error; on error the temp file is removed and
    the old target (if any) is left untouched. Missing parent folders are made.
    A symlinked target is written through (its real path is replaced), like
    ``open`` would.
    """
    if mode not in ('w', 'wb', 'wt'):
        raise ValueError(f'atomic_open supports modes "w", "wt" and "wb", got {mode!r}')
    target = os.fspath(filepath)
    if os.path.islink(target):
        target = os.path.realpath(target)
    folder = os.path.dirname(target)
    mkdir_or_exist(folder)
    if os.path.isdir(target):
        raise IsADirectoryError(f'cannot write file {target!r}: it is a directory')
    tmp, f = _open_temp_beside(target, mode == 'wb', encoding)
    try:
        with f:
            yield f
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)
        raise


def atomic_write(obj: bytes | str, filepath: PathLike, encoding: str = 'utf-8') -> None:
    """Write ``obj`` (bytes or str) to ``filepath`` atomically."""
    mode = 'wb' if isinstance(obj, (bytes, bytearray, memoryview)) else 'w'
    with atomic_open(filepath, mode, encoding=encoding) as f:
        f.write(obj)


def missing_extra(package: str, extra: str, what: str) -> ImportError:
    """The ImportError raised when an optional client library is absent."""
    return ImportError(
        f'{what} needs the optional package {package!r}, which is not installed. '
        f'Install it with: pip install "engine-fileio[{extra}]" (or pip install {package})')
