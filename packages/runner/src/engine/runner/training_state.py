"""The training state a checkpoint carries, and putting it back.

``Runner.save_checkpoint`` and ``Runner.resume`` are thin wrappers over these
functions. A checkpoint holds only plain data (tensors, numbers, strings,
lists and dicts), so ``torch.load(weights_only=True)`` reads it: model weights
on the CPU, optimizer and scheduler states, the message hub, meta, and every
rank's random state (each rank resumes its own stream).

Extending: hooks see the dict in ``before_save_checkpoint`` and
``after_load_checkpoint`` and may add or rewrite entries there.
"""

from __future__ import annotations

import ast
import io
import os
import os.path as osp
import time
from typing import List, Optional

import torch

from engine.optim import OptimWrapper

from .checkpoint import (
    CheckpointError,
    find_latest_checkpoint,
    get_state_dict,
    message_hub_to_plain,
    plain_data,
    weights_to_cpu,
)
from .loops import EpochBasedTrainLoop
from .utils import get_rng_state, set_rng_state


def engine_version() -> str:
    from engine.runner import __version__
    return __version__


# ------------------------------------------------------------------- saving
def gather_rng_states(world_size: int) -> List[dict]:
    """Every rank's random state, in rank order (a collective when distributed)."""
    state = get_rng_state()
    if world_size == 1:
        return [state]
    from engine.dist import all_gather_object
    # Gathered as torch.save bytes: object collectives cannot carry tensors
    # through their pickling on every torch version.
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return [torch.load(io.BytesIO(blob), weights_only=True)
            for blob in all_gather_object(buffer.getvalue())]


def training_checkpoint(runner, meta: dict, by_epoch: bool, save_optimizer: bool,
                        save_param_scheduler: bool, rng_states: List[dict]) -> dict:
    """The dict ``Runner.save_checkpoint`` writes (before the hooks see it)."""
    if by_epoch:
        meta.update(epoch=runner.epoch + 1, iter=runner.iter)
    else:
        meta.update(epoch=runner.epoch, iter=runner.iter + 1)
    meta.update(cfg=runner.cfg.pretty_text, seed=runner.seed,
                experiment_name=runner.experiment_name,
                time=time.strftime('%Y%m%d_%H%M%S', time.localtime()),
                engine_version=engine_version(), mmengine_version=engine_version())
    train_loop = runner._train_loop
    if train_loop is not None and not isinstance(train_loop, dict):
        dataset_meta = getattr(train_loop.dataloader.dataset, 'metainfo', None)
        if dataset_meta is not None:
            meta['dataset_meta'] = dataset_meta

    checkpoint = dict(meta=plain_data(meta),
                      state_dict=weights_to_cpu(get_state_dict(runner.model)),
                      message_hub=message_hub_to_plain(runner.message_hub.state_dict()),
                      rng_state=rng_states)
    if save_optimizer:
        if not isinstance(runner.optim_wrapper, OptimWrapper):
            raise TypeError('self.optim_wrapper should be an `OptimWrapper` or '
                            '`OptimWrapperDict` instance, but got '
                            f'{type(runner.optim_wrapper)}')
        checkpoint['optimizer'] = runner.optim_wrapper.state_dict()
    schedulers = runner.param_schedulers
    if save_param_scheduler and not runner._schedulers_built():  # None, or configs only
        runner.logger.warning('`save_param_scheduler` is True but `self.param_schedulers` '
                              'is None, so skip saving parameter schedulers')
    elif save_param_scheduler:
        if isinstance(schedulers, dict):
            checkpoint['param_schedulers'] = {
                name: [s.state_dict() for s in group] for name, group in schedulers.items()}
        else:
            checkpoint['param_schedulers'] = [s.state_dict() for s in schedulers]
    return checkpoint


# ----------------------------------------------------------------- resuming
def resume_candidates(work_dir: str, latest: Optional[str]) -> List[str]:
    """``latest`` first, then the other ``*.pth`` files of ``work_dir``, newest first."""
    candidates = [latest] if latest else []
    others = [osp.join(work_dir, f) for f in os.listdir(work_dir) if f.endswith('.pth')]
    others.sort(key=osp.getmtime, reverse=True)
    return candidates + [c for c in others if c != latest]


def resume_latest(runner) -> None:
    """Resume from ``last_checkpoint``; if that file is damaged, from the newest
    intact checkpoint in ``work_dir`` (a crash mid-save never costs the run)."""
    work_dir = runner.work_dir
    candidates = resume_candidates(work_dir, find_latest_checkpoint(work_dir))
    for candidate in candidates:
        try:
            runner.resume(candidate)
            runner.logger.info(f'Auto resumed from the latest checkpoint {candidate}.')
            return
        except (CheckpointError, FileNotFoundError) as err:
            runner.logger.warning(f'Cannot resume from {candidate}: {err}. '
                                  'Trying an older checkpoint.')
    if candidates:
        runner.logger.warning(f'No intact checkpoint found in {work_dir}; '
                              'training starts from scratch.')


def _recorded_gpu_count(config_text: str) -> Optional[int]:
    """How many ``gpu_ids`` a config's text lists (a list, tuple or ``range(...)``),
    read without running the text: it comes from a checkpoint file."""
    try:
        tree = ast.parse(config_text)
    except (SyntaxError, ValueError):  # ValueError: null bytes
        return None
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == 'gpu_ids' for t in node.targets):
            value = node.value
            try:
                if (isinstance(value, ast.Call) and isinstance(value.func, ast.Name)
                        and value.func.id == 'range' and not value.keywords):
                    return len(range(*(ast.literal_eval(a) for a in value.args)))
                ids = ast.literal_eval(value)
            except (ValueError, TypeError, SyntaxError):
                return None
            return len(ids) if isinstance(ids, (list, tuple, set)) else None
    return None


def _check_gpu_count(runner, config_text: str) -> None:
    """A run resumed on another number of GPUs trains with another batch size:
    allowed only when ``auto_scale_lr`` is enabled to rescale the learning rate."""
    count = _recorded_gpu_count(config_text)
    if not count or count == runner.world_size:
        return
    runner.logger.info('Number of GPU used for current experiment is not consistent with '
                       f'resuming from checkpoint ({count} before, {runner.world_size} now)')
    if not (runner.auto_scale_lr or {}).get('enable', False):
        raise RuntimeError('Cannot automatically rescale lr in resuming: Number of GPUs used '
                           'for current experiment is not consistent with the checkpoint '
                           f'being resumed from ({count} before, {runner.world_size} now). '
                           'Please make sure the number of GPU is consistent with the '
                           'previous training state, or set `auto_scale_lr` with '
                           '`enable=True` so that the learning rate is rescaled.')


def restore_training_state(runner, checkpoint: dict, resume_optimizer: bool,
                           resume_param_scheduler: bool) -> None:
    """Put a loaded checkpoint's training state back into ``runner``."""
    meta = checkpoint.get('meta', {})
    loop = runner.train_loop
    if loop is not None:
        loop._epoch = meta.get('epoch', 0)
        loop._iter = meta.get('iter', 0)

    if meta.get('config') is not None:
        _check_gpu_count(runner, meta['config'])

    resumed_seed = meta.get('seed')
    if resumed_seed is not None and resumed_seed != runner.seed:
        if runner._randomness_cfg.get('seed') is not None:
            runner.logger.warning(f'The value of random seed in the checkpoint '
                                  f'"{resumed_seed}" is different from the value in '
                                  f'`randomness` config "{runner.seed}"')
        runner._randomness_cfg.update(seed=resumed_seed)
        runner.set_randomness(**runner._randomness_cfg)
    if 'rng_state' in checkpoint:
        states = checkpoint['rng_state']
        set_rng_state(states[min(runner.rank, len(states) - 1)])

    dataset_meta = meta.get('dataset_meta')
    if loop is not None and dataset_meta is not None:
        current = getattr(loop.dataloader.dataset, 'metainfo', None)
        if current is not None and plain_data(current) != dataset_meta:
            runner.logger.warning('The dataset metainfo from the resumed checkpoint is '
                                  'different from the current training dataset, please '
                                  'check the correctness of the checkpoint or the training '
                                  'dataset.')

    runner.message_hub.load_state_dict(checkpoint['message_hub'])  # takes the tensor form

    if 'optimizer' in checkpoint and resume_optimizer:
        runner.optim_wrapper = runner.build_optim_wrapper(runner.optim_wrapper)
        runner.optim_wrapper.load_state_dict(checkpoint['optimizer'])
    if resume_param_scheduler and runner.param_schedulers is None:
        runner.logger.warning('`resume_param_scheduler` is True but `self.param_schedulers` '
                              'is None, so skip resuming parameter schedulers')
        resume_param_scheduler = False
    if 'param_schedulers' in checkpoint and resume_param_scheduler:
        runner.param_schedulers = runner.build_param_scheduler(runner.param_schedulers)
        saved = checkpoint['param_schedulers']
        if isinstance(runner.param_schedulers, dict):
            for name, schedulers in runner.param_schedulers.items():
                for scheduler, state in zip(schedulers, saved[name]):
                    scheduler.load_state_dict(state)
        else:
            for scheduler, state in zip(runner.param_schedulers, saved):
                scheduler.load_state_dict(state)


def stop_report(runner, error: BaseException) -> str:
    """The log line for a training run that ``error`` ended: where, why, and how to go on.

    The traceback goes to stderr as usual; this line puts the essentials in the
    run's log file too, which is often all that is kept of a cluster job.
    """
    reason = f'{type(error).__name__}: {error}' if str(error) else type(error).__name__
    try:
        where = f'iteration {runner.iter + 1}/{runner.max_iters}'
        if isinstance(runner.train_loop, EpochBasedTrainLoop):
            where += f', epoch {runner.epoch + 1}/{runner.max_epochs}'
        # checked first: find_latest_checkpoint logs a resume message when it is missing
        latest = (find_latest_checkpoint(runner.work_dir)
                  if osp.isfile(osp.join(runner.work_dir, 'last_checkpoint')) else None)
    except Exception:  # a custom loop without counters: the reason alone, never a new error
        return f'Training stopped by {reason}.'
    if latest is None:
        advice = 'No checkpoint was saved before it.'
    else:
        advice = (f'The latest checkpoint is {latest}: run again with resume=True '
                  '(engine train --resume) to continue from it.')
    return f'Training stopped in {where} by {reason}. {advice}'
