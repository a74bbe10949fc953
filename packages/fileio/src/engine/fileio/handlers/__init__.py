"""File handlers (json, yaml, pickle) and their registry."""

from .base import BaseFileHandler
from .json_handler import JsonHandler
from .pickle_handler import PickleHandler
from .registry_utils import file_handlers, register_handler
from .yaml_handler import YamlHandler

__all__ = ['BaseFileHandler', 'JsonHandler', 'PickleHandler', 'YamlHandler',
           'register_handler', 'file_handlers']
