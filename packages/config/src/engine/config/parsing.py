"""Reading config files: predefined variables, ``_base_`` inheritance, merging.

One file goes through: read -> substitute ``{{fileDirname}}``-style variables
-> replace ``{{_base_.x}}`` with unique string tokens -> parse (Python is
compiled and run; JSON/YAML parsed) -> load the bases -> put copies of the
base values where the tokens are -> merge the file over its bases.

Python configs are compiled once and run with a locals mapping that catches
the first ``_base_ = ...`` assignment: the bases are loaded right there and
``_base_`` is rebound to the merged base, so ``_base_.model`` works in the
lines that follow. This avoids a separate ``ast`` pass over every file.
"""

from __future__ import annotations

import copy
import os
import os.path as osp
import re
from types import FunctionType, ModuleType

from .config_dict import to_config_dict_stripped

TYPE_CHECKING = False  # typing is not imported at runtime: it costs import time
if TYPE_CHECKING:
    from typing import Any

SUPPORTED_EXTS = ('.py', '.json', '.yaml', '.yml')
BASE_KEY = '_base_'
DELETE_KEY = '_delete_'
DEPRECATION_KEY = '_deprecation_'

_PREDEFINED = re.compile(
    r'\{\{\s*(fileDirname|fileBasenameNoExtension|fileBasename|fileExtname)\s*\}\}')
_BASE_VAR = re.compile(r'\{\{\s*' + BASE_KEY + r'\.([\w.]+)\s*\}\}')
_QUOTED_BASE_VAR = re.compile(r'(["\'])\s*(' + _BASE_VAR.pattern + r')\s*\1')
# Tokens standing in for {{_base_.x}} until the bases are known; the random
# part keeps them from colliding with real config strings.
_TOKEN_PREFIX = f'_engine_cfg_basevar_{os.urandom(4).hex()}_'
# Compiled code per (path, source after substitution): configs are often
# loaded many times in one process, and compiling is most of the cost.
_CODE_CACHE: dict[tuple[str, str], object] = {}
_CODE_CACHE_SIZE = 256
_MISSING = object()


def unsupported_format_error(path: str) -> OSError:
    return OSError(f'Only py/yml/yaml/json type are supported now! Got "{path}"')


def load_config(filename: str, use_predefined_variables: bool = True,
                raw_text: str | None = None) -> tuple[dict, str]:
    """Load a config file with its bases; return ``(merged dict, text)``.

    ``raw_text`` stands in for the file's content (``Config.fromstring``);
    relative bases then resolve against the directory of ``filename``.
    """
    cfg, text, _ = load_config_traced(filename, use_predefined_variables, raw_text)
    return cfg, text


def load_config_traced(filename: str, use_predefined_variables: bool = True,
                       raw_text: str | None = None) -> tuple[dict, str, list]:
    """:func:`load_config` plus the trace that provenance is computed from.

    The trace lists ``(path, raw text, values the file set)`` per file, in
    merge order (bases before the files that inherit them). Keeping it costs
    a list append per file; lines are worked out only when asked for
    (``engine.config.explain``).
    """
    path = osp.abspath(osp.expanduser(filename))
    trace: list = []
    cfg, parts = _load(path, use_predefined_variables, (), raw_text, trace)
    return cfg, '\n'.join(parts), trace


def _load(path: str, use_predefined: bool, stack: tuple, raw: str | None = None,
          trace: list | None = None) -> tuple[dict, list[str]]:
    if raw is None:
        if not osp.isfile(path):
            raise FileNotFoundError(f'file "{path}" does not exist')
        with open(path, encoding='utf-8') as f:
            raw = f.read()
    ext = osp.splitext(path)[1]
    if ext not in SUPPORTED_EXTS:
        raise unsupported_format_error(path)
    if path in stack:
        chain = ' -> '.join(stack + (path,))
        raise ValueError(f'Circular _base_ inheritance: {chain}')

    text = raw
    tokens: dict[str, tuple[str, int]] = {}
    if '{{' in text:
        if use_predefined:
            text = _substitute_predefined(text, path)
        if ext != '.py':
            _reject_quoted_placeholders(text, path)
        text, tokens = _tokenize_base_vars(text)

    if trace is None:
        trace = []
    bases = _Bases(path, raw, stack + (path,), trace)
    if ext == '.py':
        result = _run_python(text, path, bases)
    else:
        from . import formats

        result = formats.load_json(text, path) if ext == '.json' else formats.load_yaml(text, path)
        if result is None:
            result = {}
        if not isinstance(result, dict):
            raise TypeError(f'config file {path} must hold a mapping at top level, '
                            f'but holds {type(result).__name__}')
        if BASE_KEY in result:
            bases.load(result.pop(BASE_KEY))

    if tokens:
        for key, value in result.items():
            result[key] = _replace_tokens(value, tokens, bases.merged, path)
    if DEPRECATION_KEY in result:
        _warn_deprecated(path, result.pop(DEPRECATION_KEY))
    if DELETE_KEY in result:
        raise TypeError(f'{DELETE_KEY} at the top level of {_where(path, raw, DELETE_KEY)} '
                        f'has no effect: it belongs inside a dict that overrides a base dict, '
                        f'e.g. optimizer = dict({DELETE_KEY}=True, ...)')

    trace.append((path, raw, result))
    merged = dict(bases.merged)
    for key, value in result.items():
        try:
            merged[key] = merge_value(key, value, merged.get(key, _MISSING), False)
        except TypeError as err:
            raise TypeError(f'{err} (in {_where(path, raw, key)})') from None
    return merged, bases.parts + [f'{path}\n{raw}']


class _Bases:
    """The bases of one file: loads them and keeps the merged result."""

    __slots__ = ('path', 'raw', 'stack', 'merged', 'parts', 'loaded', 'trace')

    def __init__(self, path: str, raw: str, stack: tuple, trace: list) -> None:
        self.path, self.raw, self.stack, self.trace = path, raw, stack, trace
        self.merged: dict = {}
        self.parts: list[str] = []
        self.loaded = False

    def load(self, value: Any) -> dict:
        """Load and merge the bases named by a ``_base_`` value."""
        if isinstance(value, str):
            entries = [value]
        elif isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
            entries = list(value)
        else:
            raise TypeError(f'{BASE_KEY} in {_where(self.path, self.raw, BASE_KEY)} must be a '
                            f'str or a list of str, but got {value!r}')
        self.loaded = True
        origin: dict[str, str] = {}
        for entry in entries:
            if '::' in entry:
                from .utils import external_config_path, inject_scope

                package, base_path = external_config_path(entry)
                cfg, parts = _load(base_path, True, self.stack, None, self.trace)
                for item in cfg.values():
                    inject_scope(item, package)
            else:
                base_path = osp.abspath(osp.expanduser(osp.join(osp.dirname(self.path), entry)))
                if not osp.isfile(base_path):
                    raise FileNotFoundError(
                        f'file "{base_path}" does not exist (listed in {BASE_KEY} of '
                        f'{_where(self.path, self.raw, BASE_KEY)})')
                cfg, parts = _load(base_path, True, self.stack, None, self.trace)
            duplicates = self.merged.keys() & cfg.keys()
            if duplicates:
                first = sorted(duplicates, key=str)[0]
                # No double quotes: str(KeyError) would then escape the keys' quotes,
                # and matching on "Duplicate keys: {'gpu_ids'}" would fail.
                raise KeyError(
                    f'Duplicate key is not allowed among bases. Duplicate keys: {duplicates} '
                    f'({first!r} is defined in both {origin[first]} and {base_path}, '
                    f'bases of {_where(self.path, self.raw, BASE_KEY)})')
            for key in cfg:
                origin[key] = base_path
            self.merged.update(cfg)
            self.parts.extend(parts)
        return self.merged


class _Namespace(dict):
    """Module-level locals of a Python config.

    Stores go to the globals too (functions defined in the config see
    module-level names); the first ``_base_ = ...`` loads the bases and
    binds ``_base_`` to their merged content. Later ``_base_`` assignments
    are ignored, as only the first one declares the bases.
    """

    __slots__ = ('globals', 'bases', 'binding')

    def __setitem__(self, key: str, value: Any) -> None:
        if key == BASE_KEY:
            if self.bases.loaded:
                return
            merged = self.bases.load(value)
            value = to_config_dict_stripped(merged) if self.binding else merged
        dict.__setitem__(self, key, value)
        self.globals[key] = value

    def __delitem__(self, key: str) -> None:
        dict.__delitem__(self, key)
        self.globals.pop(key, None)


def _run_python(text: str, path: str, bases: _Bases) -> dict:
    code = _CODE_CACHE.get((path, text))
    if code is None:
        try:
            code = compile(text, path, 'exec', dont_inherit=True)
        except SyntaxError as err:
            raise SyntaxError(f'There are syntax errors in config file {path}: {err.msg}',
                              (path, err.lineno, err.offset, err.text)) from None
        if len(_CODE_CACHE) >= _CODE_CACHE_SIZE:
            _CODE_CACHE.clear()
        _CODE_CACHE[(path, text)] = code
    namespace = _Namespace()
    namespace.globals = {'__name__': '__engine_config__', '__file__': path}
    namespace.bases = bases
    # Converting the merged base to a ConfigDict costs a copy: only needed when
    # the file reads `_base_` beyond declaring it.
    namespace.binding = text.count(BASE_KEY) > 1
    try:
        exec(code, namespace.globals, namespace)
    except Exception as err:
        if hasattr(err, 'add_note'):  # Python 3.11+: say which config was running
            err.add_note(f'(while running config file {path})')
        raise
    return {
        key: value for key, value in namespace.items()
        if not key.startswith('__') and key != BASE_KEY
        and not isinstance(value, (ModuleType, FunctionType))
    }


def _substitute_predefined(text: str, path: str) -> str:
    dirname, basename = osp.split(path)
    values = {
        'fileDirname': dirname,
        'fileBasename': basename,
        'fileBasenameNoExtension': osp.splitext(basename)[0],
        'fileExtname': osp.splitext(basename)[1],
    }
    values = {k: v.replace('\\', '/') for k, v in values.items()}
    return _PREDEFINED.sub(lambda m: values[m.group(1)], text)


def _tokenize_base_vars(text: str) -> tuple[str, dict[str, tuple[str, int]]]:
    tokens: dict[str, tuple[str, int]] = {}

    def replace(match: re.Match) -> str:
        # Per-file numbering keeps the text (and the code cache key) stable;
        # tokens never outlive their file, so numbers may repeat across files.
        token = f'{_TOKEN_PREFIX}{len(tokens)}'
        tokens[token] = (match.group(1), text.count('\n', 0, match.start()) + 1)
        return f'"{token}"'

    return _BASE_VAR.sub(replace, text), tokens


def _reject_quoted_placeholders(text: str, path: str) -> None:
    """JSON/YAML: a quoted ``{{_base_.x}}`` would become a broken string; say how to write it."""
    match = _QUOTED_BASE_VAR.search(text)
    if match:
        line = text.count('\n', 0, match.start()) + 1
        raise ValueError(
            f'{match.group(0)} in {path}, line {line}: base variables in JSON and YAML configs '
            f'are written without quotes: {match.group(2)}')


def _replace_tokens(value: Any, tokens: dict, base: dict, path: str) -> Any:
    if isinstance(value, str):
        if value in tokens:
            dotted, line = tokens[value]
            return copy.deepcopy(_lookup(base, dotted, f'{path}, line {line}'))
        if _TOKEN_PREFIX in value:
            raise _embedded_placeholder_error(value, tokens, path)
        return value
    if isinstance(value, dict):
        for key, item in value.items():
            value[key] = _replace_tokens(item, tokens, base, path)
        return value
    if type(value) in (list, tuple):
        return type(value)(_replace_tokens(item, tokens, base, path) for item in value)
    return value


def _embedded_placeholder_error(value: str, tokens: dict, path: str) -> ValueError:
    """A placeholder that ended up inside a string: quoted, or joined to other text."""
    token = re.search(re.escape(_TOKEN_PREFIX) + r'\d+', value).group(0)
    dotted, line = tokens[token]
    placeholder = f'{{{{{BASE_KEY}.{dotted}}}}}'
    shown = value.replace(f'"{token}"', placeholder).replace(token, placeholder)
    return ValueError(
        f'{placeholder} in {path}, line {line} is part of the string {shown!r}: a base '
        f'variable is substituted only as a whole value, so write it unquoted and on its '
        f'own, e.g. `x = {placeholder}`')


def _lookup(base: dict, dotted: str, where: str) -> Any:
    current: Any = base
    for part in dotted.split('.'):
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, (list, tuple)) and part.isdecimal() and int(part) < len(current):
            current = current[int(part)]
        else:
            raise KeyError(f'{{{{{BASE_KEY}.{dotted}}}}} in {where}: {part!r} is not defined '
                           f'in the base configs (defined at that level: {_keys_of(current)})')
    return current


def _keys_of(value: Any) -> str:
    if isinstance(value, dict):
        return ', '.join(map(str, value)) or 'nothing'
    return f'a {type(value).__name__}, not a dict'


def _warn_deprecated(path: str, info: Any) -> None:
    message = f'The config file {path} will be deprecated in the future.'
    if isinstance(info, dict):
        if 'expected' in info:
            message += f' Please use {info["expected"]} instead.'
        if 'reference' in info:
            message += f' More information can be found at {info["reference"]}'
    import warnings

    warnings.warn(message, DeprecationWarning, stacklevel=4)


def _where(path: str, raw: str, key: str) -> str:
    """``'<path>, line N'`` for the top-level definition of ``key`` (error paths only)."""
    line = key_line(path, raw, key)
    return f'{path}, line {line}' if line else path


def key_line(path: str, raw: str, key: str) -> int | None:
    """Line of the last top-level assignment to ``key`` in a config's source."""
    if path.endswith('.py'):
        import ast

        try:
            tree = ast.parse(raw)
        except SyntaxError:
            return None
        line = None
        for node in tree.body:
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
                targets = [node.target]
            else:
                continue
            if any(isinstance(t, ast.Name) and t.id == key for t in targets):
                line = node.lineno
        return line
    match = re.search(r'^\s*["\']?' + re.escape(str(key)) + r'["\']?\s*:', raw, re.M)
    if match is None:
        match = re.search(r'["\']' + re.escape(str(key)) + r'["\']\s*:', raw)
    return raw.count('\n', 0, match.start()) + 1 if match else None


# ----------------------------------------------------------------- merging

def merge_value(key: Any, value: Any, old: Any, allow_list_keys: bool) -> Any:
    """``value`` (from a child) merged over ``old`` (from its base).

    Dicts merge recursively unless they carry ``_delete_=True``; anything else
    replaces. ``old`` is ``_MISSING`` when the base lacks the key. Neither input
    is modified, and parts of them are shared with the result: the final
    conversion to ConfigDict copies everything and drops the ``_delete_`` keys.
    """
    if old is _MISSING or not isinstance(value, dict):
        return value
    delete = value.get(DELETE_KEY, False)
    if not isinstance(delete, bool):
        raise TypeError(f'{DELETE_KEY} must be True or False, but {key}.{DELETE_KEY} is '
                        f'{delete!r}')
    if delete:
        return value
    if isinstance(old, dict):
        return merge_dicts(value, old, allow_list_keys)
    if (allow_list_keys and isinstance(old, list) and value
            and all(isinstance(k, str) and k.isdecimal() for k in value)):
        return _merge_into_list(value, old, allow_list_keys)
    raise TypeError(
        f'{key}={value} in child config cannot inherit from base because {key} is a dict in '
        f'the child config but is of type {type(old)} in base config. You may set '
        f'`{DELETE_KEY}=True` to ignore the base config.')


def merge_dicts(child: dict, base: dict | None, allow_list_keys: bool = False) -> dict:
    """A new dict: ``base``'s keys in order, overridden/extended by ``child``."""
    out = dict(base) if base else {}
    get = out.get
    for key, value in child.items():
        if key == DELETE_KEY:
            continue
        out[key] = merge_value(key, value, get(key, _MISSING), allow_list_keys)
    return out


def _merge_into_list(child: dict, old: list, allow_list_keys: bool) -> list:
    out = list(old)
    for key, value in child.items():
        index = int(key)
        if index >= len(out):
            raise KeyError(f'Index {index} exceeds the length of list {old}')
        out[index] = merge_value(key, value, out[index], allow_list_keys)
    return out


def expand_dotted(options: dict) -> dict:
    """``{'a.b': 1}`` -> ``{'a': {'b': 1}}`` (used by ``merge_from_dict``)."""
    tree: dict = {}
    for full_key, value in options.items():
        node = tree
        parts = str(full_key).split('.')
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise TypeError(f'option {full_key!r} goes through {part!r}, which another '
                                f'option sets to a non-dict value {node!r}')
        node[parts[-1]] = value
    return tree

