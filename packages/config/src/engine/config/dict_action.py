"""DictAction: ``--cfg-options a.b=1 c=[1,2,(3,4)]`` -> ``{'a.b': 1, 'c': [1, 2, (3, 4)]}``."""

from __future__ import annotations

from argparse import Action, ArgumentParser, Namespace

TYPE_CHECKING = False  # typing is not imported at runtime: it costs import time
if TYPE_CHECKING:
    from typing import Any, Sequence


class CfgOptions(dict):
    """The dict DictAction stores: a plain dict that knows its option's name.

    ``Config.merge_from_dict`` reads ``option_string`` to label the values in
    provenance (``engine.config.explain``) as ``--cfg-options``.
    """

    __slots__ = ('option_string',)

    def __reduce__(self) -> tuple:
        return (dict, (dict(self),))  # pickles as the plain dict it is


class DictAction(Action):
    """argparse action that collects ``KEY=VALUE`` tokens into a flat dict.

    Each token is split at its first ``=``. Values are parsed by
    :meth:`parse_value`: int, float, bool (``true``/``false`` in any case),
    ``None``, str, and lists/tuples of those, nested. The dict replaces any
    earlier value of the destination.
    """

    @staticmethod
    def _parse_int_float_bool(val: str) -> Any:
        """One scalar: int, then float, then bool, then ``None``, else str."""
        try:
            return int(val)
        except ValueError:
            pass
        try:
            return float(val)
        except ValueError:
            pass
        if val.lower() in ('true', 'false'):
            return val.lower() == 'true'
        if val == 'None':
            return None
        return val

    @staticmethod
    def _parse_iterable(val: str) -> Any:
        """Parse a value that may be a (nested) list or tuple.

        Surrounding quotes are stripped and all spaces removed first.
        ``[...]`` gives a list, ``(...)`` a tuple, a bare ``a,b`` a list.
        """
        val = val.strip('\'"').replace(' ', '')
        is_tuple = False
        if val.startswith('(') and val.endswith(')'):
            is_tuple = True
            val = val[1:-1]
        elif val.startswith('[') and val.endswith(']'):
            val = val[1:-1]
        elif ',' not in val:
            return DictAction._parse_int_float_bool(val)

        values = []
        while val:
            comma = _next_top_level_comma(val)
            values.append(DictAction._parse_iterable(val[:comma]))
            val = val[comma + 1:]
        return tuple(values) if is_tuple else values

    # public alias: what a value on the command line becomes
    parse_value = _parse_iterable

    def __call__(self, parser: ArgumentParser, namespace: Namespace,
                 values: str | Sequence[Any] | None, option_string: str | None = None) -> None:
        options = CfgOptions()
        options.option_string = option_string or f'--{self.dest}'
        if isinstance(values, str):
            values = [values]
        for token in values or ():
            if '=' not in token:
                raise ValueError(
                    f'{option_string or self.dest}: expected KEY=VALUE, got {token!r}')
            key, val = token.split('=', maxsplit=1)
            options[key] = self._parse_iterable(val)
        setattr(namespace, self.dest, options)


def _next_top_level_comma(text: str) -> int:
    """Index of the first comma outside brackets, or ``len(text)``."""
    if text.count('(') != text.count(')') or text.count('[') != text.count(']'):
        raise AssertionError(f'Imbalanced brackets exist in {text}')
    depth = 0
    for index, char in enumerate(text):
        if char in '([':
            depth += 1
        elif char in ')]':
            depth -= 1
        elif char == ',' and depth == 0:
            return index
    return len(text)
