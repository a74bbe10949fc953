"""MMLogger: the run's logger (terminal + per-rank files) and print_log."""
from __future__ import annotations

import copy
import logging
import os
import os.path as osp
import sys
from logging import Formatter, LogRecord
from typing import Optional, Union

from engine.utils import ManagerMixin

__all__ = ["MMLogger", "MMFormatter", "print_log"]

# ANSI styles for level names on a terminal.
_RESET = "\033[0m"
_STYLES = {
    "ERROR": "\033[5;4;31m",    # blink, underline, red
    "WARNING": "\033[5;4;33m",  # blink, underline, yellow
    "INFO": "\033[4;37m",       # underline, white
    "DEBUG": "\033[4;32m",      # underline, green
}

_TERMINAL_DATEFMT = "%m/%d %H:%M:%S"
_FILE_DATEFMT = "%Y/%m/%d %H:%M:%S"


class MMFormatter(Formatter):
    """``<time> - <name> - <LEVEL> - <message>``; ERROR records also name file, function and line.

    ``color`` paints the level name with ANSI codes (terminal only).
    """

    def __init__(self, color: bool = False, blink: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.color = color
        self.blink = blink  # kept for API compatibility; the level styles decide blinking

    def _level(self, levelname: str) -> str:
        if not self.color or levelname not in _STYLES:
            return levelname
        return f"{_STYLES[levelname]}{levelname}{_RESET}"

    def format(self, record: LogRecord) -> str:
        level = self._level(record.levelname)
        if record.levelno >= logging.ERROR:
            self._style._fmt = (f"%(asctime)s - %(name)s - {level} - %(pathname)s - "
                                "%(funcName)s - %(lineno)d - %(message)s")
        else:
            self._style._fmt = f"%(asctime)s - %(name)s - {level} - %(message)s"
        return super().format(record)


def _use_color(stream) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # closed stream
        return False


class _StdoutHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stdout`` is at emit time, not at creation
    (pytest's capture, notebooks and redirections replace it)."""

    def __init__(self) -> None:
        super().__init__(sys.stdout)

    @property
    def stream(self):
        return sys.stdout

    @stream.setter
    def stream(self, value) -> None:
        pass


def _rank_file(log_file: str, rank: int) -> str:
    """``tmp.log`` -> ``tmp_rank1.log``; no extension -> suffix appended."""
    root, ext = osp.splitext(log_file)
    return f"{root}_rank{rank}{ext}"


class _EngineForwarder(logging.Handler):
    """Handler on the stdlib ``engine`` logger: lower layers' records -> current MMLogger.

    They print under the MMLogger's name (``... - mmengine - DEBUG - Get class ...``, as
    the seed's logs show for the registry's records), not their module's.
    """

    def emit(self, record: LogRecord) -> None:
        if not MMLogger._instance_dict:
            return
        current = MMLogger.get_current_instance()
        if record.name != current.name:
            record = copy.copy(record)  # other handlers of the record keep its own name
            record.name = current.name
        current.callHandlers(record)


_forwarder = _EngineForwarder(level=logging.NOTSET)


def _attach_engine_logger(level: int) -> None:
    """Route ``logging.getLogger('engine.*')`` records into the current MMLogger at ``level``."""
    engine_logger = logging.getLogger("engine")
    if _forwarder not in engine_logger.handlers:
        engine_logger.addHandler(_forwarder)
    engine_logger.setLevel(level)


class MMLogger(logging.Logger, ManagerMixin):
    """A logger reachable by instance name, writing to stdout and to per-rank files.

    ``name`` is the instance name (ManagerMixin); ``logger_name`` is what records
    print. The instance is not registered in ``logging.Logger.manager``, so third
    party logging configuration does not touch it. Creating one also routes the
    stdlib ``engine`` logger's records (lower layers use
    ``logging.getLogger(__name__)``) into the newest MMLogger's handlers.
    """

    def __init__(self, name: str, logger_name: str = "mmengine", log_file: Optional[str] = None,
                 log_level: Union[int, str] = "INFO", file_mode: str = "w",
                 distributed: bool = False) -> None:
        logging.Logger.__init__(self, logger_name)
        ManagerMixin.__init__(self, name)
        if isinstance(log_level, str):
            level_name = log_level.upper()
            levels = logging.getLevelNamesMapping() if hasattr(logging, "getLevelNamesMapping") \
                else logging._nameToLevel  # type: ignore[attr-defined]
            if level_name not in levels:
                raise ValueError(f"log_level must be one of {list(levels)}, but got {log_level!r}")
            log_level = levels[level_name]
        rank = _get_rank()

        stream_handler = _StdoutHandler()
        stream_handler.setFormatter(
            MMFormatter(color=_use_color(sys.stdout), datefmt=_TERMINAL_DATEFMT))
        stream_handler.setLevel(log_level if rank == 0 else logging.ERROR)
        self.handlers.append(stream_handler)

        if log_file is not None:
            if rank != 0 and distributed:
                log_file = _rank_file(log_file, rank)
            if rank == 0 or distributed:
                folder = osp.dirname(osp.abspath(log_file))
                os.makedirs(folder, exist_ok=True)
                # utf-8 whatever the locale: configs and class names are often not ASCII
                file_handler = logging.FileHandler(log_file, file_mode, encoding='utf-8')
                file_handler.setFormatter(MMFormatter(color=False, datefmt=_FILE_DATEFMT))
                file_handler.setLevel(log_level)
                self.handlers.append(file_handler)
        self.log_file = log_file
        # The logger's own level stays NOTSET, as in the reference: the handlers
        # filter, so adding a handler with a lower level shows those records.
        _attach_engine_logger(log_level)  # this instance is about to become the current one

    @classmethod
    def get_current_instance(cls) -> MMLogger:
        """The latest created MMLogger; creates one named ``'mmengine'`` when there is none."""
        if not cls._instance_dict:
            cls.get_instance("mmengine")
        return super().get_current_instance()

    def callHandlers(self, record: LogRecord) -> None:
        """Pass ``record`` to this logger's own handlers only (no propagation, no last resort)."""
        for handler in self.handlers:
            if record.levelno >= handler.level:
                handler.handle(record)

    def isEnabledFor(self, level: int) -> bool:
        """Whether a record of ``level`` would be written anywhere.

        The logger's own level stays NOTSET and its handlers filter, so this also
        asks them: a record that none would take is not built (building one walks
        the stack for the caller, ~6 us, e.g. for each INFO line of a run logging
        at WARNING).
        """
        if not logging.Logger.isEnabledFor(self, level):  # disabled, or setLevel
            return False
        for handler in self.handlers:
            if level >= handler.level:
                return True
        return False

    def setLevel(self, level: Union[int, str]) -> None:
        """Set the level; clear every MMLogger's level cache (``logging`` does not manage them)."""
        self.level = logging._checkLevel(level)  # type: ignore[attr-defined]
        for instance in type(self)._instance_dict.values():
            instance._cache.clear()
        self._cache.clear()
        # Lower layers' records are filtered by the stdlib `engine` logger's level first.
        instances = type(self)._instance_dict
        if instances and next(reversed(instances.values())) is self:
            _attach_engine_logger(self.level)


def _get_rank() -> int:
    # A process group needs torch.distributed; if torch is not even loaded there is none,
    # and a logger-only program does not pay for importing torch.
    if "torch.distributed" not in sys.modules:
        return 0
    from engine.dist import get_rank

    return get_rank()


def print_log(msg, logger: Optional[Union[logging.Logger, str]] = None,
              level: int = logging.INFO) -> None:
    """Print ``msg`` through a logger.

    ``logger``: None -> ``print``; a ``logging.Logger``; ``'silent'`` -> nothing;
    ``'current'`` -> the current MMLogger; another str -> the MMLogger instance of that name.
    """
    if logger is None:
        print(msg)
    elif isinstance(logger, logging.Logger):
        logger.log(level, msg)
    elif logger == "silent":
        pass
    elif logger == "current":
        MMLogger.get_current_instance().log(level, msg)
    elif isinstance(logger, str):
        if not MMLogger.check_instance_created(logger):
            raise ValueError(f"MMLogger: {logger} has not been created!")
        MMLogger.get_instance(logger).log(level, msg)
    else:
        raise TypeError("`logger` should be either a logging.Logger object, str, 'silent', "
                        f"'current' or None, but got {type(logger)}")
