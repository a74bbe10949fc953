"""Print the fully merged config (``_base_`` files and --cfg-options applied).

The output reloads to an equal config: ``engine config a.py --format yaml >
b.yaml`` then ``Config.fromfile('b.yaml')`` gives back the same values.
"""

from __future__ import annotations

import argparse
import json
import sys

from .common import add_config_arguments, load_config
from .errors import CLIError

HELP = 'print the merged config as Python, YAML or JSON'

FORMATS = ('py', 'yaml', 'json')


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_config_arguments(parser)
    parser.add_argument('--format', choices=FORMATS, default='py',
                        help='output format (default: py)')
    parser.add_argument('--explain', action='store_true',
                        help='annotate every value with the file:line that set it last')


def render(cfg, fmt: str) -> str:
    """The merged config as text in ``fmt`` (one of FORMATS)."""
    if fmt == 'py':
        return cfg.pretty_text
    if fmt == 'json':
        return json.dumps(cfg.to_dict(), indent=2)
    from engine.config.formats import dump_yaml

    return dump_yaml(cfg.to_dict())


def run(args: argparse.Namespace) -> int:
    cfg = load_config(args.config, args.cfg_options)
    if args.explain:
        import engine.config

        explain = getattr(engine.config, 'explain', None)
        if explain is None:
            raise CLIError('engine config --explain is not available yet: '
                           'this engine.config has no explain()')
        text = explain(cfg)
        if text is not None:
            sys.stdout.write(text if text.endswith('\n') else text + '\n')
        return 0
    text = render(cfg, args.format)
    sys.stdout.write(text if text.endswith('\n') else text + '\n')
    return 0
