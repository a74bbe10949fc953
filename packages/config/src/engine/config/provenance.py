"""Where each value of a Config was set last: ``file:line`` or ``--cfg-options``.

Loading records only a trace (per file: path, raw text, the values it set;
per ``merge_from_dict``: its source label and expanded options), which costs
next to nothing. This module replays that trace by the merge rules when
someone asks (``explain``, ``Config.source_of``), and finds lines by parsing
each file once: Python with ``ast`` (the line of the value node of each key),
YAML through its node marks, JSON with a small tokenizer.

Values changed later through attribute/item assignment are not tracked;
they keep the source of the value they replaced.
"""

from __future__ import annotations

import os.path as osp

TYPE_CHECKING = False  # typing is not imported at runtime: it costs import time
if TYPE_CHECKING:
    from typing import Any

DELETE_KEY = '_delete_'


class _Node:
    """One key of the replayed tree: the trace entry that set it, and its children."""

    __slots__ = ('source', 'children')

    def __init__(self, source: tuple) -> None:
        self.source = source
        self.children: dict = {}


def replay(trace: tuple) -> _Node:
    """The provenance tree of a trace (root node, no source of its own)."""
    root = _Node(())
    for entry in trace:
        _record(root, entry[2], entry)
    return root


def _record(node: _Node, values: dict, entry: tuple) -> None:
    children = node.children
    for key, value in values.items():
        if key == DELETE_KEY:
            continue
        if isinstance(value, dict) and value and value.get(DELETE_KEY) is not True:
            child = children.get(key)
            if child is None:  # a dict that is new here: merged into nothing
                child = children[key] = _Node(entry)
            _record(child, value, entry)
        else:  # replaces whatever was there, subtree included
            child = children[key] = _Node(entry)
            if isinstance(value, dict):
                _record(child, value, entry)


def _find(root: _Node, path: tuple) -> tuple:
    """``(trace entry, depth)`` of the deepest recorded node on ``path``."""
    node, depth, found = root, 0, ((), 0)
    for key in path:
        child = node.children.get(key)
        if child is None and isinstance(key, int):
            child = node.children.get(str(key))  # list items set by 'a.0.b' options
        if child is None:
            break
        node, depth = child, depth + 1
        found = (node.source, depth)
    return found


class Explainer:
    """Answers "where was this set" for one Config; file lines are parsed once."""

    def __init__(self, trace: tuple) -> None:
        self.tree = replay(trace)
        self._lines: dict[int, dict] = {}

    def source(self, path: tuple) -> str | None:
        """``'file:line'``, ``'file'`` or an options label; None if nothing recorded."""
        entry, _ = _find(self.tree, path)
        if not entry:
            return None
        label, raw = entry[0], entry[1]
        if raw is None:
            return label
        lines = self._lines.get(id(entry))
        if lines is None:
            lines = self._lines[id(entry)] = line_map(label, raw)
        keys = tuple(map(str, path))
        for end in range(len(keys), 0, -1):
            line = lines.get(keys[:end])
            if line is not None:
                return f'{label}:{line}'
        return label


def leaves(value: Any, prefix: tuple = ()) -> Any:
    """``(path, value)`` for each leaf, in order: dicts and lists holding dicts are opened."""
    if isinstance(value, dict):
        if not value:
            if prefix:
                yield prefix, value
            return
        for key, item in value.items():
            yield from leaves(item, prefix + (key,))
    elif isinstance(value, (list, tuple)) and any(isinstance(i, dict) for i in value):
        for index, item in enumerate(value):
            yield from leaves(item, prefix + (index,))
    else:
        yield prefix, value


def explain(cfg: Any, root: str | None = None) -> str:
    """The merged config, one leaf a line, each with where it was set last.

    ``model.backbone.depth = 101  # configs/child.py:7``. Leaves come in the
    config's order; list items holding dicts get their index as a key part.
    ``root`` shows file paths relative to that folder. A leaf with no record
    (set on the Config after loading, or a Config built from a dict) reads
    ``# (set in code)``.
    """
    from .pretty import _Printer

    explainer = Explainer(getattr(cfg, '_trace', ()))
    printer = _Printer()
    lines = []
    for path, value in leaves(cfg._cfg_dict if hasattr(cfg, '_cfg_dict') else cfg):
        source = explainer.source(path) or '(set in code)'
        if root is not None and osp.isabs(source):
            rel = osp.relpath(source, root)
            source = source if rel.startswith('..') else rel
        key = '.'.join(map(str, path))
        lines.append(f'{key} = {printer.flat(value)}  # {source}')
    return '\n'.join(lines) + '\n' if lines else ''


# ------------------------------------------------------------------ lines

def line_map(path: str, raw: str) -> dict:
    """``{(key, subkey, ...): line}`` for the values a config file sets."""
    ext = osp.splitext(path)[1]
    try:
        if ext == '.py':
            return _python_lines(raw)
        if ext == '.json':
            return _json_lines(raw)
        return _yaml_lines(raw)
    except Exception:  # provenance must never break on an odd file: no lines then
        return {}


def _python_lines(raw: str) -> dict:
    import ast

    lines: dict = {}

    def visit_value(node: Any, path: tuple) -> None:
        lines[path] = node.lineno
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                node.func.id == 'dict':
            for arg in node.args:
                visit_value(arg, path)
            lines[path] = node.lineno
            for keyword in node.keywords:
                if keyword.arg is not None:
                    visit_value(keyword.value, path + (keyword.arg,))
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values):
                if isinstance(key, ast.Constant):
                    visit_value(value, path + (str(key.value),))
        elif isinstance(node, (ast.List, ast.Tuple)):
            for index, item in enumerate(node.elts):
                visit_value(item, path + (str(index),))

    def target_path(node: Any) -> tuple | None:
        if isinstance(node, ast.Name):
            return (node.id,)
        if isinstance(node, ast.Attribute):
            parent = target_path(node.value)
            return None if parent is None else parent + (node.attr,)
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
            parent = target_path(node.value)
            return None if parent is None else parent + (str(node.slice.value),)
        return None

    def visit_body(body: list) -> None:
        for stmt in body:
            if isinstance(stmt, ast.Assign):
                targets, value = stmt.targets, stmt.value
            elif isinstance(stmt, (ast.AnnAssign, ast.AugAssign)) and stmt.value is not None:
                targets, value = [stmt.target], stmt.value
            else:
                for field in ('body', 'orelse', 'finalbody'):  # if/for/with/try blocks
                    if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef,
                                             ast.ClassDef)):
                        visit_body(getattr(stmt, field, None) or [])
                for handler in getattr(stmt, 'handlers', None) or []:
                    visit_body(handler.body)
                continue
            for target in targets:
                path = target_path(target)
                if path is not None:
                    for key in [k for k in lines if k[:len(path)] == path]:
                        del lines[key]  # a new value: the old one's lines are stale
                    visit_value(value, path)

    visit_body(ast.parse(raw).body)
    return lines


def _yaml_lines(raw: str) -> dict:
    from .formats import _yaml

    yaml, loader, _ = _yaml()
    lines: dict = {}

    def visit(node: Any, path: tuple) -> None:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode):
                    sub = path + (key_node.value,)
                    lines[sub] = key_node.start_mark.line + 1
                    visit(value_node, sub)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                sub = path + (str(index),)
                lines[sub] = item.start_mark.line + 1
                visit(item, sub)

    node = yaml.compose(raw, Loader=loader)
    if node is not None:
        visit(node, ())
    return lines


def _json_lines(raw: str) -> dict:
    """Key and item lines from a token scan (strings, brackets, commas, colons)."""
    import re

    lines: dict = {}
    # containers: [kind, path, next index or current key]
    stack: list = []
    line = 1
    pending_key = None
    expect_item = False
    token = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\],:]|\n|[^\s"{}\[\],:]+')
    for match in token.finditer(raw):
        text = match.group()
        if text == '\n':
            line += 1
            continue
        if stack and stack[-1][0] == '[' and expect_item and text != ']':
            path = stack[-1][1] + (str(stack[-1][2]),)
            lines[path] = line
            expect_item = False
        if text in '{[':
            if not stack:
                path = ()
            elif stack[-1][0] == '{':
                path = stack[-1][1] + (stack[-1][2],)
            else:
                path = stack[-1][1] + (str(stack[-1][2]),)
            stack.append([text, path, 0 if text == '[' else None])
            expect_item = text == '['
        elif text in '}]':
            if stack:
                stack.pop()
            expect_item = False
        elif text == ',':
            if stack and stack[-1][0] == '[':
                stack[-1][2] += 1
                expect_item = True
        elif text == ':':
            if stack and pending_key is not None:
                stack[-1][2] = pending_key
                lines[stack[-1][1] + (pending_key,)] = line
        if text.startswith('"'):
            import json

            pending_key = json.loads(text)
        elif text != ':':
            pending_key = None
    return lines
