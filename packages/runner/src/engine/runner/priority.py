"""Hook priorities: lower values run earlier."""

from __future__ import annotations

from enum import Enum
from typing import Union


class Priority(Enum):
    """Named priorities of hooks (0 runs first, 100 last)."""

    HIGHEST = 0
    VERY_HIGH = 10
    HIGH = 30
    ABOVE_NORMAL = 40
    NORMAL = 50
    BELOW_NORMAL = 60
    LOW = 70
    VERY_LOW = 90
    LOWEST = 100


def get_priority(priority: Union[int, str, Priority]) -> int:
    """Turn an int, a :class:`Priority` or its (case-insensitive) name into an int."""
    if isinstance(priority, bool):
        raise TypeError(f'priority must be an int, a str or a Priority, got {priority!r}')
    if isinstance(priority, int):
        if not 0 <= priority <= 100:
            raise ValueError(f'priority must be between 0 and 100, got {priority}')
        return priority
    if isinstance(priority, Priority):
        return priority.value
    if isinstance(priority, str):
        try:
            return Priority[priority.upper()].value
        except KeyError:
            names = ', '.join(p.name for p in Priority)
            raise KeyError(f'unknown priority {priority!r}; expected one of {names}') from None
    raise TypeError(f'priority must be an int, a str or a Priority, got {type(priority).__name__}')


def priority_name(priority: Union[int, str, Priority]) -> str:
    """'VERY_HIGH' for 10 or 'very_high'; a value between the levels stays a number."""
    value = get_priority(priority)
    return Priority(value).name if value in Priority._value2member_map_ else str(value)
