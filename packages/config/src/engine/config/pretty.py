"""Config -> Python source, without yapf (design decision 6).

Layout rules, PEP 8 style at 79 columns:

* one ``key = value`` line per top-level key;
* dicts print as ``dict(k=v, ...)``; if any key is not a usable keyword
  argument (not an identifier, or a Python keyword) the dict prints as
  ``dict({'k': v, ...})``;
* lists, tuples, strings and numbers print as their ``repr`` (dicts inside
  them as ``dict(...)``);
* a value that does not fit first moves to its own continuation line
  (``dict(\\n    a=1, b=2)``); if it still does not fit, every item gets its
  own line, nested values wrapping by the same rules. ``dict(...)`` keeps the
  closing parenthesis on the last item; list/tuple brackets close on their
  own line.

The output is deterministic and ``exec`` of it rebuilds the config.
"""

from __future__ import annotations

import math
from keyword import iskeyword

TYPE_CHECKING = False  # typing is not imported at runtime: it costs import time
if TYPE_CHECKING:
    from typing import Any

WIDTH = 79
INDENT = 4


def pretty_text(cfg: dict) -> str:
    """Format a config dict as Python source ending in a newline."""
    printer = _Printer()
    lines = []
    for key, value in cfg.items():
        head = f'{key} = '
        lines.append(head + printer.format(value, 0, len(head), 0))
    return '\n'.join(lines) + '\n' if lines else ''


def _is_kwarg(key: Any) -> bool:
    if not (isinstance(key, str) and key.isidentifier()) or iskeyword(key):
        return False
    if key.isascii():
        return True
    # Python NFKC-normalises identifiers ('º' reads back as 'o'): such keys
    # must be written as strings.
    from unicodedata import normalize

    return normalize('NFKC', key) == key


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, float) and not math.isfinite(value):
        return f"float('{value}')"
    if value is None or isinstance(value, (bool, int, float)):
        return repr(value)
    return str(value)


class _Printer:
    """One formatting pass; remembers the one-line form of each container."""

    def __init__(self) -> None:
        self._flat_memo: dict[int, str] = {}

    def flat(self, value: Any) -> str:
        """Single-line form of ``value``."""
        if not isinstance(value, (dict, list, tuple)):
            return _scalar(value)
        memo = self._flat_memo
        text = memo.get(id(value))
        if text is not None:
            return text
        flat = self.flat
        if isinstance(value, dict):
            if all(map(_is_kwarg, value)):
                text = 'dict(' + ', '.join(f'{k}={flat(v)}' for k, v in value.items()) + ')'
            else:
                text = 'dict({' + ', '.join(f'{k!r}: {flat(v)}' for k, v in value.items()) + '})'
        elif not value:
            text = '[]' if isinstance(value, list) else '()'
        elif type(value) in (list, tuple) and not any(
                isinstance(item, (dict, list, tuple, float)) for item in value):
            text = repr(value)
        else:
            body = ', '.join(map(flat, value))
            if isinstance(value, list):
                text = f'[{body}]'
            else:
                text = f'({body},)' if len(value) == 1 else f'({body})'
        memo[id(value)] = text
        return text

    def format(self, value: Any, indent: int, column: int, tail: int) -> str:
        """Format ``value`` starting at ``column``; ``tail`` chars follow on its last line."""
        flat = self.flat(value)
        if column + len(flat) + tail <= WIDTH or not value or not isinstance(
                value, (dict, list, tuple)):
            return flat
        inner = indent + INDENT
        pad = ' ' * inner
        if isinstance(value, dict):
            return self._format_dict(value, indent, tail, pad)
        opener, closer = ('[', ']') if isinstance(value, list) else ('(', ')')
        trailing = ',' if isinstance(value, tuple) and len(value) == 1 else ''
        flats = [self.flat(item) for item in value]
        joined = ', '.join(flats) + trailing
        if inner + len(joined) <= WIDTH:
            body = pad + joined
        elif not any(isinstance(item, (dict, list, tuple)) for item in value):
            body = _fill(flats, pad) + trailing
        else:
            body = ',\n'.join(pad + self.format(item, inner, inner, 1) for item in value)
            body += trailing
        return f'{opener}\n{body}\n{" " * indent}{closer}'

    def _format_dict(self, value: dict, indent: int, tail: int, pad: str) -> str:
        inner = len(pad)
        call = all(map(_is_kwarg, value))
        if call:
            opener, closer = 'dict(', ')'
            items = [(f'{k}=', v) for k, v in value.items()]
        else:
            opener, closer = 'dict({', '})'
            items = [(f'{k!r}: ', v) for k, v in value.items()]
        end = closer + ' ' * tail if call else ''
        joined = ', '.join(prefix + self.flat(v) for prefix, v in items)
        if inner + len(joined) + len(end) <= WIDTH:
            body = pad + joined
        else:
            last = len(items) - 1
            body = ',\n'.join(
                pad + prefix + self.format(v, inner, inner + len(prefix),
                                           len(end) if i == last else 1)
                for i, (prefix, v) in enumerate(items))
        if call:
            return f'{opener}\n{body}{closer}'
        return f'{opener}\n{body}\n{" " * indent}{closer}'


def _fill(flats: list[str], pad: str) -> str:
    """Pack scalar items onto lines of at most WIDTH columns."""
    lines: list[str] = []
    line = ''
    for text in flats:
        candidate = f'{line}, {text}' if line else text
        if line and len(pad) + len(candidate) + 1 > WIDTH:
            lines.append(pad + line)
            line = text
        else:
            line = candidate
    lines.append(pad + line)
    return ',\n'.join(lines)
