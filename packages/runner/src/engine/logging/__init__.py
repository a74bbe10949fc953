"""engine.logging: the run's logger, the message hub and log formatting."""
from .history_buffer import HistoryBuffer
from .log_processor import LogProcessor
from .logger import MMFormatter, MMLogger, print_log
from .message_hub import MessageHub

__all__ = ["HistoryBuffer", "LogProcessor", "MMFormatter", "MMLogger", "MessageHub", "print_log"]
