"""The abstract file handler: one serialisation format."""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from pathlib import Path
from typing import IO, Any, Union

from .._utils import atomic_open


class BaseFileHandler(metaclass=ABCMeta):
    """Load and dump one format.

    Subclasses implement ``load_from_fileobj``, ``dump_to_fileobj`` and
    ``dump_to_str``. ``str_like`` says whether the format is text (True: read
    and written through ``str``) or binary (False: ``bytes``).
    """

    str_like = True

    @abstractmethod
    def load_from_fileobj(self, file: IO, **kwargs: Any) -> Any:
        """Read an object from an open file."""

    @abstractmethod
    def dump_to_fileobj(self, obj: Any, file: IO, **kwargs: Any) -> None:
        """Write ``obj`` to an open file."""

    @abstractmethod
    def dump_to_str(self, obj: Any, **kwargs: Any) -> Union[str, bytes]:
        """Serialise ``obj`` to a str (or bytes for binary formats)."""

    def load_from_path(self, filepath: Union[str, Path], mode: str = 'r', **kwargs: Any) -> Any:
        # utf-8, as dump_to_path writes and fileio.load reads: not the locale's codec
        with open(filepath, mode, encoding=None if 'b' in mode else 'utf-8') as f:
            return self.load_from_fileobj(f, **kwargs)

    def dump_to_path(self, obj: Any, filepath: Union[str, Path], mode: str = 'w',
                     **kwargs: Any) -> None:
        """Write ``obj`` to ``filepath`` atomically (temp file, then rename)."""
        with atomic_open(filepath, mode, encoding=None if 'b' in mode else 'utf-8') as f:
            self.dump_to_fileobj(obj, f, **kwargs)
