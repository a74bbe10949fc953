"""Helpers shared by the subcommands that read a config."""

from __future__ import annotations

import argparse
import os
import os.path as osp
import sys
from typing import Any

from .errors import CLIError


def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    """The positional CONFIG and ``--cfg-options`` (mmengine's DictAction syntax)."""
    from engine.config import DictAction

    parser.add_argument('config', metavar='CONFIG', help='config file (.py, .json, .yaml)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, metavar='KEY=VALUE',
        help='override config values, e.g. train_cfg.max_epochs=3 '
             "optim_wrapper.optimizer.lr=0.01 model.layers='[1,2]'")


def load_config(path: str, cfg_options: dict | None = None) -> Any:
    """Load ``path`` and merge ``cfg_options`` into it.

    The config's folder goes first on ``sys.path`` so that ``custom_imports``
    can name modules that sit next to the config (the console script's own
    ``sys.path`` does not contain the working directory).
    """
    from engine.config import Config

    if '::' not in path and not osp.isfile(path):
        raise CLIError(f'config file not found: {path}')
    if '::' not in path:
        folder = osp.dirname(osp.abspath(path))
        if folder not in sys.path:
            sys.path.insert(0, folder)
    cfg = Config.fromfile(path)
    if cfg_options:
        try:
            cfg.merge_from_dict(cfg_options)
        except (KeyError, TypeError, ValueError) as err:
            message = err.args[0] if isinstance(err, KeyError) and err.args else err
            raise CLIError(f'bad --cfg-options for {path}: {message}', code=2) from err
    return cfg


def default_work_dir(config_path: str) -> str:
    """``./work_dirs/<config name>``, the OpenMMLab convention."""
    name = osp.splitext(osp.basename(config_path.split('::')[-1]))[0]
    return osp.join('.', 'work_dirs', name)


def apply_launcher(cfg: Any, launcher: str, local_rank: int | None) -> None:
    """Record the launcher in the config; ``torch.distributed.launch`` passes --local-rank."""
    cfg.launcher = launcher
    if local_rank is not None and 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(local_rank)


def add_launcher_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='how the processes were started (default: none)')
    # torch.distributed.launch passes --local-rank (older torch: --local_rank)
    parser.add_argument('--local-rank', '--local_rank', type=int, default=None,
                        help=argparse.SUPPRESS)


def build_runner(cfg: Any) -> Any:
    """``RUNNERS.build`` when the config names a runner type, else ``Runner.from_cfg``."""
    from engine.registry import RUNNERS
    from engine.runner import Runner

    if 'runner_type' in cfg:
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)
