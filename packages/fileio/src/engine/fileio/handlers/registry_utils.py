"""The handler registry: file extension -> handler instance."""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Union

from .base import BaseFileHandler
from .json_handler import JsonHandler
from .pickle_handler import PickleHandler
from .yaml_handler import YamlHandler

file_handlers: Dict[str, BaseFileHandler] = {
    'json': JsonHandler(),
    'yaml': YamlHandler(),
    'yml': YamlHandler(),
    'pickle': PickleHandler(),
    'pkl': PickleHandler(),
}


def _register_handler(handler: Any, file_formats: Union[str, List[str]]) -> None:
    if not isinstance(handler, BaseFileHandler):
        raise TypeError(f'handler must be a child of BaseFileHandler, not {type(handler)}')
    if isinstance(file_formats, str):
        file_formats = [file_formats]
    if not (isinstance(file_formats, list) and all(isinstance(f, str) for f in file_formats)):
        raise TypeError('file_formats must be a str or a list of str, '
                        f'got {file_formats!r}')
    for ext in file_formats:
        file_handlers[ext] = handler


def register_handler(file_formats: Union[str, List[str]], **kwargs: Any
                     ) -> Callable[[type], type]:
    """Class decorator: register ``cls(**kwargs)`` for each format (overrides silently).

    Example:
        >>> @register_handler(['txt', 'log'])
        ... class TxtHandler(BaseFileHandler): ...
    """
    if not (isinstance(file_formats, str) or (
            isinstance(file_formats, list) and all(isinstance(f, str) for f in file_formats))):
        raise TypeError('file_formats must be a str or a list of str, '
                        f'got {file_formats!r}')

    def wrap(cls: type) -> type:
        _register_handler(cls(**kwargs), file_formats)
        return cls

    return wrap
