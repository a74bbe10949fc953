"""Train a model from a config (what OpenMMLab repositories ship as tools/train.py).

The work directory is --work-dir, else the config's ``work_dir``, else
``./work_dirs/<config name>``. ``--resume`` without a path resumes from the
latest checkpoint in the work directory; with a path, from that checkpoint.
``--amp`` switches an ``OptimWrapper`` to ``AmpOptimWrapper`` with dynamic
loss scaling.
"""

from __future__ import annotations

import argparse
import logging

from .common import (
    add_config_arguments,
    add_launcher_arguments,
    apply_launcher,
    build_runner,
    default_work_dir,
    load_config,
)
from .errors import CLIError

HELP = 'train a model from a config'

logger = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_config_arguments(parser)
    parser.add_argument('--work-dir', help='where logs and checkpoints go')
    parser.add_argument('--resume', nargs='?', const='auto', default=None, metavar='PATH',
                        help='resume from PATH, or from the latest checkpoint of the work '
                             'directory when no PATH is given')
    parser.add_argument('--amp', action='store_true',
                        help='automatic mixed precision (AmpOptimWrapper, dynamic loss scale)')
    add_launcher_arguments(parser)


def enable_amp(cfg) -> None:
    """Switch ``cfg.optim_wrapper`` to AmpOptimWrapper (only a plain OptimWrapper can be)."""
    if 'optim_wrapper' not in cfg:
        raise CLIError('--amp needs an optim_wrapper in the config, and there is none')
    wrapper_type = cfg.optim_wrapper.get('type', 'OptimWrapper')
    if wrapper_type == 'AmpOptimWrapper':
        logger.warning('AMP training is already enabled in the config.')
        return
    if wrapper_type != 'OptimWrapper':
        raise CLIError(f'--amp only works when optim_wrapper.type is OptimWrapper, '
                       f'but the config has {wrapper_type!r}')
    cfg.optim_wrapper.type = 'AmpOptimWrapper'
    cfg.optim_wrapper.loss_scale = 'dynamic'


def prepare_config(args: argparse.Namespace):
    """The config ``engine train`` hands to the runner, with every flag applied."""
    cfg = load_config(args.config, args.cfg_options)
    apply_launcher(cfg, args.launcher, args.local_rank)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = default_work_dir(args.config)
    if args.amp:
        enable_amp(cfg)
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    return cfg


def run(args: argparse.Namespace) -> int:
    cfg = prepare_config(args)
    runner = build_runner(cfg)
    runner.train()
    return 0
