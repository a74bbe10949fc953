"""Evaluate a checkpoint on the config's test set (OpenMMLab's tools/test.py).

Runs ``test_dataloader`` / ``test_evaluator`` / ``test_cfg`` of the config
with the weights of CHECKPOINT, and prints the metrics as the last line.
"""

from __future__ import annotations

import argparse
import json
import os.path as osp

from .common import (
    add_config_arguments,
    add_launcher_arguments,
    apply_launcher,
    build_runner,
    default_work_dir,
    load_config,
)
from .errors import CLIError

HELP = 'evaluate a checkpoint on the test set of a config'


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_config_arguments(parser)
    parser.add_argument('checkpoint', metavar='CHECKPOINT', help='checkpoint file (.pth)')
    parser.add_argument('--work-dir', help='where the test logs go')
    add_launcher_arguments(parser)


def run(args: argparse.Namespace) -> int:
    cfg = load_config(args.config, args.cfg_options)
    if '://' not in args.checkpoint and not osp.isfile(args.checkpoint):
        raise CLIError(f'checkpoint not found: {args.checkpoint}')
    apply_launcher(cfg, args.launcher, args.local_rank)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = default_work_dir(args.config)
    cfg.load_from = args.checkpoint
    cfg.resume = False
    for key in ('test_dataloader', 'test_evaluator', 'test_cfg'):
        if cfg.get(key) is None:
            raise CLIError(f'{args.config} has no {key}: engine test needs test_dataloader, '
                           f'test_evaluator and test_cfg')
    runner = build_runner(cfg)
    metrics = runner.test()
    print('test metrics: ' + json.dumps(_plain(metrics), sort_keys=True))
    return 0


def _plain(metrics: dict) -> dict:
    """Metrics as JSON-ready numbers (tensors and numpy scalars become floats)."""
    out = {}
    for key, value in (metrics or {}).items():
        try:
            value = value.item()  # one-element tensor or numpy value
        except (AttributeError, ValueError, RuntimeError):
            pass
        out[key] = value if isinstance(value, (int, float, str, bool)) else str(value)
    return out
