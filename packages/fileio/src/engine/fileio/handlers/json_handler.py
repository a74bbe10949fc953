"""JSON handler, with a fallback for sets, ranges and numpy values."""

from __future__ import annotations

import json
import sys
from typing import IO, Any

from .base import BaseFileHandler


def numpy_to_python(obj: Any) -> Any:
    """A numpy array as a list, a numpy scalar as a Python number; anything else as is.

    numpy is never imported here: if it is not loaded yet, ``obj`` cannot be
    one of its types.
    """
    np = sys.modules.get('numpy')
    if np is not None:
        if isinstance(obj, np.ndarray):
            return obj.tolist()
        if isinstance(obj, np.generic):
            return obj.item()
    return obj


def set_default(obj: Any) -> Any:
    """``json`` fallback: sets/ranges -> list, numpy arrays/scalars -> Python values."""
    if isinstance(obj, (set, frozenset, range)):
        return list(obj)
    plain = numpy_to_python(obj)
    if plain is not obj:
        return plain
    raise TypeError(f'{type(obj)} is unsupported for json dump')


class JsonHandler(BaseFileHandler):

    def load_from_fileobj(self, file: IO, **kwargs: Any) -> Any:
        return json.load(file, **kwargs)

    def dump_to_fileobj(self, obj: Any, file: IO, **kwargs: Any) -> None:
        kwargs.setdefault('default', set_default)
        # dumps + one write: json.dump encodes in pure Python, chunk by chunk
        file.write(json.dumps(obj, **kwargs))

    def dump_to_str(self, obj: Any, **kwargs: Any) -> str:
        kwargs.setdefault('default', set_default)
        return json.dumps(obj, **kwargs)
