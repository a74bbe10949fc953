"""Read simple text files into lists and dicts."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Union

from .file_client import FileClient
from .io import check_args_conflict, get_text


def _read_text(filename: Union[str, Path], encoding: str, file_client_args: Optional[dict],
               backend_args: Optional[dict]) -> str:
    check_args_conflict(file_client_args, backend_args, stacklevel=4)
    if file_client_args is not None:
        return FileClient.infer_client(file_client_args, filename).get_text(filename, encoding)
    return get_text(filename, encoding, backend_args=backend_args)


def list_from_file(filename: Union[str, Path], prefix: str = '', offset: int = 0,
                   max_num: int = 0, encoding: str = 'utf-8',
                   file_client_args: Optional[dict] = None,
                   backend_args: Optional[dict] = None) -> List[str]:
    """The lines of a text file, without line endings.

    Skips the first ``offset`` lines, keeps at most ``max_num`` (<= 0: all)
    and prepends ``prefix`` to each.

    Example:
        >>> list_from_file('a.txt', offset=2)  # doctest: +SKIP
        ['c', 'd', 'e']
    """
    text = _read_text(filename, encoding, file_client_args, backend_args)
    items: List[str] = []
    with StringIO(text) as f:
        for _ in range(max(offset, 0)):
            if not f.readline():
                break
        for line in f:
            if 0 < max_num <= len(items):
                break
            items.append(prefix + line.rstrip('\n\r'))
    return items


def dict_from_file(filename: Union[str, Path], key_type: Callable[[str], Any] = str,
                   encoding: str = 'utf-8', file_client_args: Optional[dict] = None,
                   backend_args: Optional[dict] = None) -> Dict[Any, Any]:
    """A dict from whitespace-separated lines ``key value [value ...]``.

    One value gives a str, several give a list. Every line needs at least two
    columns (AssertionError naming the file and line otherwise).

    Example:
        >>> dict_from_file('b.txt', key_type=int)  # doctest: +SKIP
        {1: 'cat', 2: ['dog', 'cow'], 3: 'panda'}
    """
    text = _read_text(filename, encoding, file_client_args, backend_args)
    mapping: Dict[Any, Any] = {}
    with StringIO(text) as f:
        for lineno, line in enumerate(f, 1):
            items = line.rstrip('\n').split()
            assert len(items) >= 2, (
                f'{str(filename)!r} line {lineno}: expected "key value [value ...]", '
                f'got {line.rstrip(chr(10))!r}')
            key = key_type(items[0])
            mapping[key] = items[1] if len(items) == 2 else items[1:]
    return mapping
