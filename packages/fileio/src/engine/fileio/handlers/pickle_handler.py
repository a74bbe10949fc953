"""Pickle handler (binary)."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import IO, Any, Union

from .base import BaseFileHandler


class PickleHandler(BaseFileHandler):

    str_like = False

    def load_from_fileobj(self, file: IO, **kwargs: Any) -> Any:
        return pickle.load(file, **kwargs)

    def load_from_path(self, filepath: Union[str, Path], **kwargs: Any) -> Any:
        return super().load_from_path(filepath, mode='rb', **kwargs)

    def dump_to_str(self, obj: Any, **kwargs: Any) -> bytes:
        kwargs.setdefault('protocol', 2)
        return pickle.dumps(obj, **kwargs)

    def dump_to_fileobj(self, obj: Any, file: IO, **kwargs: Any) -> None:
        kwargs.setdefault('protocol', 2)
        pickle.dump(obj, file, **kwargs)

    def dump_to_path(self, obj: Any, filepath: Union[str, Path], **kwargs: Any) -> None:
        super().dump_to_path(obj, filepath, mode='wb', **kwargs)
