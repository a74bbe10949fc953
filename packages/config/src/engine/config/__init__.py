"""engine.config: Python/JSON/YAML configs with inheritance, without torch."""

from .config import Config
from .config_dict import ConfigDict

__version__ = "0.1.0"

__all__ = ['Config', 'ConfigDict', 'DictAction', 'explain', '__version__']


def __getattr__(name: str):
    # DictAction needs argparse, explain needs ast: load them on first use to
    # keep `import engine.config` light.
    if name == 'DictAction':
        from .dict_action import DictAction

        return DictAction
    if name == 'explain':
        from .provenance import explain

        return explain
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list:
    return sorted(set(globals()) | {'DictAction', 'explain'})
