"""Argument parsing, dispatch and error reporting for the ``engine`` command."""

from __future__ import annotations

import argparse
import importlib
import os
import re
import sys
import traceback
from typing import Sequence

from .errors import CLIError

# subcommand -> module under engine.cli that defines add_arguments() and run()
SUBCOMMANDS = {
    'train': 'train',
    'test': 'testing',
    'config': 'config',
    'plot': 'plot',
    'registry': 'registry',
}


class _ArgumentParser(argparse.ArgumentParser):
    """argparse that reports bad ``--cfg-options`` tokens like any other usage error."""

    def parse_known_args(self, args=None, namespace=None):
        try:
            return super().parse_known_args(args, namespace)
        except (ValueError, AssertionError) as err:
            # DictAction raises these for a malformed KEY=VALUE token.
            raise CLIError(f'bad --cfg-options: {_one_line(str(err))}', code=2) from err


def build_parser() -> argparse.ArgumentParser:
    parser = _ArgumentParser(
        prog='engine',
        description='engine: train, test and inspect OpenMMLab-style configs.')
    parser.add_argument('--version', action='version', version=f'engine {_version()}')
    sub = parser.add_subparsers(dest='command', metavar='COMMAND', parser_class=_ArgumentParser)
    sub.required = True
    for name, module_name in SUBCOMMANDS.items():
        module = importlib.import_module(f'{__package__}.{module_name}')
        sub_parser = sub.add_parser(name, help=module.HELP, description=module.__doc__)
        sub_parser.add_argument(
            '--debug', action='store_true',
            help='show the full traceback of an error instead of one line')
        module.add_arguments(sub_parser)
        sub_parser.set_defaults(_run=module.run)
    return parser


def _version() -> str:
    import engine

    return getattr(engine, '__version__', 'unknown')


def _one_line(text: str) -> str:
    return ' '.join(part.strip() for part in text.strip().splitlines() if part.strip())


def format_error(err: BaseException) -> str:
    """``engine: error: <Type>: <message>`` on one line; the type is left out for CLIError."""
    message = _one_line(str(err)) or repr(err)
    if isinstance(err, KeyError) and len(err.args) == 1 and isinstance(err.args[0], str):
        message = _one_line(err.args[0])  # str(KeyError) adds quotes
    if isinstance(err, SyntaxError) and err.filename:
        message = f'{err.msg} ({err.filename}:{err.lineno})'
    notes = getattr(err, '__notes__', None)  # e.g. "(while running config file x.py)"
    if notes:
        message = ' '.join([message, *map(_one_line, notes)])
        config_line = _config_line(err, notes)
        if config_line:
            message += f' at {config_line}'
    if isinstance(err, CLIError):
        return f'engine: error: {message}'
    return f'engine: error: {type(err).__name__}: {message}'


def _config_line(err: BaseException, notes: list) -> str | None:
    """``file:line`` of the innermost traceback frame inside a config file the notes name."""
    named = {m.group(1) for note in notes
             for m in re.finditer(r'config file (.+?)\)', str(note))}
    frames = [f for f in traceback.extract_tb(err.__traceback__) if f.filename in named]
    return f'{frames[-1].filename}:{frames[-1].lineno}' if frames else None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``engine`` command; return the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = '--debug' in argv
    try:
        args = build_parser().parse_args(argv)
        result = args._run(args)
        return int(result or 0)
    except KeyboardInterrupt:
        if debug:
            traceback.print_exc()
        print('engine: interrupted', file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `engine registry | head`: the reader left; stay quiet like other tools.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    except SystemExit:
        raise  # argparse usage errors and --help/--version
    except BaseException as err:  # noqa: B902 - every error becomes one line
        if debug:
            traceback.print_exc()
        else:
            print(format_error(err), file=sys.stderr)
        return getattr(err, 'code', 1) if isinstance(err, CLIError) else 1
