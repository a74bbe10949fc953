"""The error type subcommands raise for problems the user can fix."""

from __future__ import annotations


class CLIError(Exception):
    """A user-facing error: printed as one line, exit status ``code`` (default 1)."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code
