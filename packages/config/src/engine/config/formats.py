"""JSON and YAML reading/writing for configs (no engine.fileio: it sits beside us).

YAML is read with a safe loader. The one tag it adds to the safe set is
``!!python/tuple`` (built from a plain sequence), so that configs holding
tuples survive a YAML dump and reload; nothing else can construct objects.
"""

from __future__ import annotations

import json

TYPE_CHECKING = False  # typing is not imported at runtime: it costs import time
if TYPE_CHECKING:
    from typing import Any

_yaml_classes: tuple | None = None


def _yaml() -> tuple:
    """(yaml module, Loader, Dumper), built once on first use."""
    global _yaml_classes
    if _yaml_classes is None:
        import yaml

        base_loader = getattr(yaml, 'CSafeLoader', yaml.SafeLoader)
        base_dumper = getattr(yaml, 'CSafeDumper', yaml.SafeDumper)

        class ConfigLoader(base_loader):  # type: ignore[misc, valid-type]
            """Safe loader that also reads ``!!python/tuple``."""

        class ConfigDumper(base_dumper):  # type: ignore[misc, valid-type]
            """Safe dumper that writes tuples as ``!!python/tuple``."""

        def construct_tuple(loader: Any, node: Any) -> tuple:
            return tuple(loader.construct_sequence(node, deep=True))

        def represent_tuple(dumper: Any, data: tuple) -> Any:
            return dumper.represent_sequence('tag:yaml.org,2002:python/tuple', data)

        ConfigLoader.add_constructor('tag:yaml.org,2002:python/tuple', construct_tuple)
        ConfigDumper.add_representer(tuple, represent_tuple)
        _yaml_classes = (yaml, ConfigLoader, ConfigDumper)
    return _yaml_classes


def load_json(text: str, path: str) -> Any:
    """Parse JSON; a syntax error names the file (the line is in the message)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise json.JSONDecodeError(
            f'There are syntax errors in config file {path}: {err.msg}', err.doc, err.pos
        ) from None


def load_yaml(text: str, path: str) -> Any:
    """Parse YAML with the safe loader; errors name the file and line."""
    yaml, loader, _ = _yaml()
    try:
        return yaml.load(text, Loader=loader)
    except yaml.YAMLError as err:
        mark = getattr(err, 'problem_mark', None) or getattr(err, 'context_mark', None)
        where = f'{path}, line {mark.line + 1}' if mark is not None else path
        raise yaml.YAMLError(f'There are syntax errors in config file {where}: {err}') from None


def dump_json(obj: Any) -> str:
    """One-line JSON in insertion order (tuples become lists)."""
    return json.dumps(obj)


def dump_yaml(obj: Any) -> str:
    """Block-style YAML with sorted keys (PyYAML's defaults), safe tags only."""
    yaml, _, dumper = _yaml()
    return yaml.dump(obj, Dumper=dumper, default_flow_style=False, allow_unicode=True)
