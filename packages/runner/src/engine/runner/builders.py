"""Turning config dicts into the components the Runner drives.

Each function takes what a config gives (an object or a dict) and returns
the object; the Runner's ``build_*`` methods are thin wrappers that supply
runner state (seed, model, dataloader length). Extending: register your
class in the matching registry and name it with ``type=`` in the config.
"""

from __future__ import annotations

import copy
import logging
import os
import signal
from functools import partial
from typing import Callable, Optional, Union

import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader

from engine.dataset import COLLATE_FUNCTIONS, worker_init_fn
from engine.device import get_device
from engine.dist import get_rank
from engine.evaluator import BaseMetric, Evaluator
from engine.logging import LogProcessor
from engine.model import MMDistributedDataParallel, convert_sync_batchnorm
from engine.optim import OptimWrapper, OptimWrapperDict, _ParamScheduler, build_optim_wrapper
from engine.registry import (
    DATA_SAMPLERS,
    DATASETS,
    EVALUATOR,
    LOG_PROCESSORS,
    MODEL_WRAPPERS,
    OPTIM_WRAPPERS,
    OPTIMIZERS,
    PARAM_SCHEDULERS,
)
from engine.utils.call_arguments import accepted_arguments, did_you_mean

logger = logging.getLogger(__name__)


def check_group(**parts) -> None:
    """``parts`` (a dataloader, its loop config, ...) must be all None or all given."""
    given = [k for k, v in parts.items() if v is not None]
    if given and len(given) != len(parts):
        values = ', '.join(f'{k}={v!r}'[:120] for k, v in parts.items())
        raise ValueError(f'{", ".join(parts)} should be either all None or not None, '
                         f'but got {values}')


def build_dataloader(dataloader: Union[DataLoader, dict], seed: Optional[int] = None,
                     diff_rank_seed: bool = False) -> DataLoader:
    """A DataLoader from a config dict (dataset, sampler, collate_fn, ...).

    A DataLoader given as an object is returned as it is, except that its workers
    get the same SIGTERM set-up as a config-built loader's (see ``start_worker``);
    persistent workers that are already running are restarted to get it.
    """
    if isinstance(dataloader, DataLoader):
        if dataloader.num_workers > 0:
            init_fn = _with_worker_setup(dataloader.worker_init_fn)
            if init_fn is not dataloader.worker_init_fn:
                dataloader.worker_init_fn = init_fn
                _restart_persistent_workers(dataloader)
        return dataloader
    if not isinstance(dataloader, dict):
        raise TypeError(f'dataloader must be a DataLoader or a dict, got {type(dataloader)}')
    cfg = copy.deepcopy(dataloader)
    if 'dataset' not in cfg:
        raise KeyError(f'dataloader config needs a `dataset` key, got keys {sorted(cfg)}')
    dataset_cfg = cfg.pop('dataset')
    if isinstance(dataset_cfg, dict):
        dataset = DATASETS.build(dataset_cfg)
        if hasattr(dataset, 'full_init'):
            dataset.full_init()
    else:
        dataset = dataset_cfg

    sampler_cfg = cfg.pop('sampler', None)
    if isinstance(sampler_cfg, dict):
        sampler = DATA_SAMPLERS.build(
            sampler_cfg, default_args=dict(dataset=dataset, seed=None if diff_rank_seed else seed))
    else:
        sampler = sampler_cfg

    batch_sampler_cfg = cfg.pop('batch_sampler', None)
    if isinstance(batch_sampler_cfg, dict):
        batch_sampler = DATA_SAMPLERS.build(
            batch_sampler_cfg,
            default_args=dict(sampler=sampler, batch_size=cfg.pop('batch_size', 1)))
    else:
        batch_sampler = batch_sampler_cfg

    init_fn = None
    if seed is not None:
        init_fn = partial(worker_init_fn, num_workers=cfg.get('num_workers', 0),
                          rank=get_rank(), seed=seed)

    collate_cfg = copy.deepcopy(cfg.pop('collate_fn', dict(type='pseudo_collate')))
    if callable(collate_cfg):
        collate_fn = collate_cfg
    elif not isinstance(collate_cfg, dict):
        raise TypeError('collate_fn should be a dict or callable object, but got '
                        f'{collate_cfg!r}')
    else:
        collate_type = collate_cfg.pop('type')
        collate_fn = (collate_type if callable(collate_type)
                      else COLLATE_FUNCTIONS.get(collate_type))
        if collate_fn is None:
            known = sorted(COLLATE_FUNCTIONS.module_dict)
            raise KeyError(f'collate_fn type {collate_type!r} is not registered in '
                           f'COLLATE_FUNCTIONS; registered: {known}')
        collate_fn = partial(collate_fn, **collate_cfg)

    _check_dataloader_fields(cfg)
    if cfg.get('num_workers', 0) > 0:
        init_fn = _with_worker_setup(init_fn)
    return DataLoader(dataset=dataset, sampler=sampler if batch_sampler is None else None,
                      batch_sampler=batch_sampler, collate_fn=collate_fn,
                      worker_init_fn=init_fn, **cfg)


def _check_dataloader_fields(cfg: dict) -> None:
    """A misspelled DataLoader argument, named with the nearest real one."""
    import inspect

    try:
        inspect.signature(DataLoader).bind(None, **cfg)  # None: the dataset
        return
    except TypeError:  # some key is not DataLoader's: which one
        pass
    accepted = accepted_arguments(DataLoader) or []
    for key in cfg:
        if key not in accepted:
            hint = did_you_mean(key, accepted, n=1)
            raise TypeError(f'dataloader config: {key!r} is not an argument of DataLoader '
                            f'(it takes {", ".join(accepted[1:])}).{hint}')


def _restart_persistent_workers(dataloader: DataLoader) -> None:
    """End the workers a persistent loader started before it got the worker set-up.

    They would keep the SIGTERM handling they were forked with, and be reused by
    every later epoch; the next ``iter()`` starts new ones that run the set-up.
    """
    iterator = getattr(dataloader, '_iterator', None)  # set only with persistent_workers
    shutdown = getattr(iterator, '_shutdown_workers', None)
    if shutdown is not None:
        logger.info('restarting the workers of a persistent DataLoader that were started '
                    'before the Runner set them up')
        shutdown()
        dataloader._iterator = None


def _with_worker_setup(init_fn: Optional[Callable]) -> Callable:
    """``init_fn`` run after :func:`start_worker` (once: a wrapped one stays as it is)."""
    if getattr(init_fn, 'func', None) is start_worker:
        return init_fn
    return partial(start_worker, init_fn=init_fn)


def start_worker(worker_id: int, init_fn: Optional[Callable] = None) -> None:
    """Set up a DataLoader worker of the Runner's loaders, then run ``init_fn``.

    Slurm preempts a job with SIGTERM to every process, workers included. A worker
    that died at once would make the trainer fail mid-iteration ("worker exited
    unexpectedly") before CheckpointHook saves it; so a worker outlives the first
    SIGTERM by up to a minute. It ends with the trainer, which stops itself once the
    checkpoint is written; a second SIGTERM ends it at once.
    """
    signal.signal(signal.SIGTERM, _end_worker_later)
    if init_fn is not None:
        init_fn(worker_id)


def _end_worker_later(signum: int, frame) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, 'alarm'):  # not on Windows
        signal.alarm(60)  # SIGALRM's default action ends the process


def build_evaluator(evaluator: Union[Evaluator, dict, list]) -> Evaluator:
    """An Evaluator from an Evaluator, a metric config, a list of them, or
    ``dict(metrics=...)`` naming a custom evaluator type."""
    if isinstance(evaluator, Evaluator):
        return evaluator
    if isinstance(evaluator, dict):
        if 'metrics' in evaluator:
            cfg = dict(evaluator)
            cfg.setdefault('type', 'Evaluator')
            return EVALUATOR.build(cfg)
        return Evaluator(evaluator)
    if isinstance(evaluator, list):
        return Evaluator(evaluator)
    raise TypeError('evaluator should be one of dict, list of dict, and Evaluator, '
                    f'but got {evaluator!r}{metric_hint(evaluator)}')


def metric_hint(evaluator) -> str:
    """How to pass a metric object (or class) where an evaluator is expected."""
    if isinstance(evaluator, BaseMetric):
        return ': a metric object goes in a list, [metric], or Evaluator(metric)'
    if isinstance(evaluator, type) and issubclass(evaluator, BaseMetric):
        return (f': {evaluator.__name__} is a metric class; pass dict(type={evaluator.__name__})'
                ' or a list of metric objects')
    return ''


def build_optim_wrapper_for(model: nn.Module, optim_wrapper) -> Union[OptimWrapper,
                                                                       OptimWrapperDict]:
    """An OptimWrapper (or OptimWrapperDict) for ``model`` from an object or a config."""
    import torch.optim

    if isinstance(optim_wrapper, OptimWrapper):
        return optim_wrapper
    if not isinstance(optim_wrapper, dict):
        raise TypeError('optimizer wrapper should be an OptimWrapper object or dict '
                        f'(optim_wrapper), but got {optim_wrapper!r}')
    if isinstance(optim_wrapper.get('optimizer'), torch.optim.Optimizer):
        cfg = dict(optim_wrapper)
        cfg.setdefault('type', 'OptimWrapper')
        return OPTIM_WRAPPERS.build(cfg)
    if 'optimizer' in optim_wrapper or 'constructor' in optim_wrapper:
        return build_optim_wrapper(model, optim_wrapper)
    for name, value in optim_wrapper.items():
        if not isinstance(value, OptimWrapper):
            # the reference release's wording, typo included: code matches on it
            raise ValueError('each item mush be an optimizer object when "type" and '
                             f'"constructor" are not in optimizer: optim_wrapper[{name!r}] '
                             f'should be an OptimWrapper, but got {type(value)}'
                             f'{_missing_optimizer_hint(optim_wrapper)}')
    return OptimWrapperDict(**optim_wrapper)


def _missing_optimizer_hint(cfg: dict) -> str:
    """What to write instead, for a wrapper config without its ``optimizer`` key."""
    kind = cfg.get('type')
    if not isinstance(kind, str):
        return ''
    if OPTIMIZERS.get(kind) is not None:  # mmcv's `optimizer=dict(type='SGD', ...)`, moved
        settings = ', '.join(f'{k}={v!r}' for k, v in cfg.items() if k != 'type')
        return (f". {kind!r} is an optimizer, which goes inside the wrapper: "
                f"optim_wrapper=dict(optimizer=dict(type={kind!r}{', ' if settings else ''}"
                f"{settings}))")
    return f". An optim_wrapper of type {kind!r} needs an `optimizer` key"


def _build_schedulers_for(optim_wrapper: OptimWrapper, scheduler, epoch_length: Optional[int],
                          default_end: Optional[Callable[[dict], int]]) -> list:
    configs = scheduler if isinstance(scheduler, (list, tuple)) else [scheduler]
    built = []
    for cfg in configs:
        if isinstance(cfg, _ParamScheduler):
            built.append(cfg)
        elif isinstance(cfg, dict):
            cfg = copy.deepcopy(cfg)
            if default_end is not None and 'end' not in cfg:
                cfg['end'] = default_end(cfg)
            built.append(PARAM_SCHEDULERS.build(
                cfg, default_args=dict(optimizer=optim_wrapper, epoch_length=epoch_length)))
        else:
            raise TypeError('scheduler should be a _ParamScheduler object or dict, '
                            f'but got {cfg!r}')
    return built


def build_param_schedulers(optim_wrapper, scheduler, epoch_length: Optional[int],
                           default_end: Optional[Callable[[dict], int]] = None
                           ) -> Union[list, dict]:
    """Schedulers for a wrapper (a list) or an OptimWrapperDict (a dict of lists).

    ``default_end(cfg)`` gives ``end`` to configs without one (the train length).
    """
    if isinstance(optim_wrapper, OptimWrapperDict):
        if isinstance(scheduler, dict) and 'type' not in scheduler:
            return {name: _build_schedulers_for(optim_wrapper[name], scheduler[name],
                                                epoch_length, default_end)
                    for name in scheduler}
        return {name: _build_schedulers_for(wrapper, scheduler, epoch_length, default_end)
                for name, wrapper in optim_wrapper.items()}
    return _build_schedulers_for(optim_wrapper, scheduler, epoch_length, default_end)


class SchedulerValueError(AssertionError, TypeError):
    """A per-optimizer ``param_scheduler`` entry of the wrong type: the reference
    asserted it (AssertionError), the spec names TypeError; both catch it."""


def check_param_scheduler_shape(scheduler) -> None:
    """Reject a ``param_scheduler`` value of the wrong shape early (at construction)."""
    if scheduler is None or isinstance(scheduler, _ParamScheduler):
        return
    if isinstance(scheduler, (list, tuple)):
        for item in scheduler:
            if isinstance(item, dict):
                assert 'type' in item, ('Each parameter scheduler should contain the key '
                                        f'type, but got {item}')
            elif not isinstance(item, _ParamScheduler):
                raise TypeError('`param_scheduler` should be a `_ParamScheduler`, `dict`, '
                                f'or a list of them, but got the item {item!r}')
        return
    if isinstance(scheduler, dict):
        if 'type' in scheduler:
            return
        for name, value in scheduler.items():  # one entry per optimizer
            if not isinstance(value, (dict, list, tuple, _ParamScheduler)):
                raise SchedulerValueError(
                    f'Each value of `param_scheduler` should be a dict or a list, but got '
                    f'param_scheduler[{name!r}] = {value!r}')
            check_param_scheduler_shape(value)
        return
    raise TypeError('`param_scheduler` should be a `_ParamScheduler`, `dict`, or a list of '
                    f'them, but got {type(scheduler)}')


def build_log_processor(log_processor: Union[LogProcessor, dict, None]) -> LogProcessor:
    if isinstance(log_processor, LogProcessor):
        return log_processor
    if log_processor is None:
        log_processor = dict()
    if not isinstance(log_processor, dict):
        raise TypeError('log_processor should be a LogProcessor or a dict, '
                        f'but got {type(log_processor)}')
    cfg = copy.deepcopy(log_processor)
    cfg.setdefault('type', LogProcessor)  # through the registry: its errors name the fields
    return LOG_PROCESSORS.build(cfg)


def wrap_distributed(model: nn.Module, model_wrapper_cfg: Optional[dict],
                     sync_bn: Optional[str] = None,
                     find_unused_parameters: bool = False) -> nn.Module:
    """``model`` (already on its device) in the wrapper of a distributed run.

    Without ``model_wrapper_cfg`` it is a ``MMDistributedDataParallel``; a config
    that names only DDP options gets that type too. ``sync_bn`` (the config's
    top-level ``sync_bn``) converts BatchNorm layers first.
    """
    if sync_bn is not None:
        model = convert_sync_batchnorm(model, implementation=sync_bn)
    device_ids = [int(os.environ.get('LOCAL_RANK', 0))] if get_device() == 'cuda' else None
    if model_wrapper_cfg is None:
        return MMDistributedDataParallel(module=model, device_ids=device_ids,
                                         broadcast_buffers=False,
                                         find_unused_parameters=find_unused_parameters)
    cfg = dict(model_wrapper_cfg)
    cfg.setdefault('type', 'MMDistributedDataParallel')  # e.g. only DDP's options
    wrapper_type = (MODEL_WRAPPERS.get(cfg['type']) if isinstance(cfg['type'], str)
                    else cfg['type'])
    default_args = dict(module=model)
    if isinstance(wrapper_type, type) and issubclass(wrapper_type, DistributedDataParallel):
        default_args['device_ids'] = device_ids
    return MODEL_WRAPPERS.build(cfg, default_args=default_args)
