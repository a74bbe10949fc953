"""engine.config: Python/JSON/YAML configs with inheritance, without torch."""

from .config import Config
from .config_dict import ConfigDict
from .dict_action import DictAction

__version__ = "0.1.0"

__all__ = ['Config', 'ConfigDict', 'DictAction', '__version__']
