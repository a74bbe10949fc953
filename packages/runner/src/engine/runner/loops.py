"""The four built-in loops: epoch- and iteration-based training, validation, test.

A loop owns iteration: it walks its dataloader, calls the model's
``*_step`` and fires the hook points around each step. Everything else
(logging, checkpoints, schedulers, timers) lives in hooks. To change how one
iteration runs, subclass a loop and override ``run_iter``; to add a hook
point, call ``self.runner.call_hook('my_point', ...)`` from your loop.
"""

from __future__ import annotations

import bisect
import logging
import sys
import time
import warnings
from operator import attrgetter
from typing import Optional, Sequence, Union

import torch
from torch.utils.data import DataLoader

from engine.evaluator import Evaluator
from engine.hooks.hook import as_whole_int
from engine.registry import LOOPS
from engine.utils import ProgressBar

from .amp import autocast
from .base_loop import BaseLoop
from .builders import metric_hint
from .hook_dispatch import reraise_naming_hook, train_iter_hooks
from .utils import preserved_rng_state

logger = logging.getLogger(__name__)


def _dynamic_schedule(val_interval: int, dynamic_intervals: Optional[Sequence]):
    """Milestones and intervals for ``dynamic_intervals=[(milestone, interval), ...]``."""
    milestones, intervals = [0], [val_interval]
    if dynamic_intervals:
        for item in dynamic_intervals:
            assert isinstance(item, tuple), (
                f'dynamic_intervals must be a list of (milestone, interval) tuples, got {item!r}')
            milestones.append(item[0])
            intervals.append(item[1])
        assert milestones == sorted(milestones), f'milestones must increase: {milestones}'
    return milestones, [_positive_interval(interval) for interval in intervals]


def _positive_interval(interval) -> int:
    # taken modulo every epoch/iteration: 0 would fail there, far from the config
    whole = as_whole_int(interval)
    if whole is None or whole <= 0:
        raise ValueError(f'train_cfg: val_interval and the intervals of dynamic_intervals '
                         f'must be positive ints, got {interval!r}; to train without '
                         f'validation, leave out val_dataloader, val_cfg and val_evaluator')
    return whole


def _set_nonfinite_policy(runner, policy: Optional[str]) -> None:
    """``train_cfg.nonfinite_loss``: what a NaN/inf loss does (see BaseModel)."""
    if policy is None:
        return
    if policy not in ('raise', 'skip', 'ignore'):
        raise ValueError(f"train_cfg.nonfinite_loss must be 'raise', 'skip' or 'ignore', "
                         f'got {policy!r}')
    runner._unwrapped_model.nonfinite_loss = None if policy == 'ignore' else policy


def _set_dataset_meta(runner, dataloader, *targets) -> None:
    dataset = getattr(dataloader, 'dataset', None)
    meta = getattr(dataset, 'metainfo', None)
    if meta is None:
        warnings.warn(f'Dataset {type(dataset).__name__} has no metainfo. ``dataset_meta`` in '
                      'visualizer and evaluator will be None.', stacklevel=2)
    for target in targets:
        if target is not None:
            target.dataset_meta = meta


class _TrainLoop(BaseLoop):
    """What both training loops share: counters, validation schedule, policies."""

    def __init__(self, runner, dataloader: Union[DataLoader, dict], val_begin: int,
                 val_interval: int, dynamic_intervals: Optional[list],
                 nonfinite_loss: Optional[str]) -> None:
        super().__init__(runner, dataloader)
        _set_nonfinite_policy(runner, nonfinite_loss)
        self._epoch = 0
        self._iter = 0
        self.val_begin = val_begin
        self.val_interval = val_interval
        self.stop_training = False
        _set_dataset_meta(runner, self.dataloader, runner.visualizer)
        self.dynamic_milestones, self.dynamic_intervals = _dynamic_schedule(
            val_interval, dynamic_intervals)

    # Read-only views of the counters. Hooks read them every iteration (through
    # runner.iter and friends): a C getter spares a Python call per read.
    max_epochs = property(attrgetter('_max_epochs'), doc='Total epochs to train.')
    max_iters = property(attrgetter('_max_iters'), doc='Total iterations to train.')
    epoch = property(attrgetter('_epoch'), doc='Epochs finished so far.')
    iter = property(attrgetter('_iter'), doc='Iterations finished so far.')

    def _interval_after(self, count: int) -> int:
        """The validation interval in force after ``count`` finished epochs (iterations)."""
        return self.dynamic_intervals[bisect.bisect(self.dynamic_milestones, count + 1) - 1]

    def _validates_after(self, count: int) -> bool:
        """Whether validation follows ``count`` finished epochs (iterations)."""
        return count >= self.val_begin and count % self._interval_after(count) == 0

    def _run_pending_validation(self, count: int) -> None:
        """Validate first when resumed right before a validation that never finished.

        The checkpoint of a step that validation follows is saved before it runs; a
        process that died during that validation would otherwise never have it (nor
        its best checkpoint). ``validated_iter`` is the iteration of the last
        validation that finished in this work_dir (see CheckpointHook).
        """
        runner = self.runner
        if (runner.val_loop is None or self._iter == 0 or not self._validates_after(count)
                or runner.message_hub.runtime_info.get('validated_iter') == self._iter):
            return
        runner.logger.warning(f'The validation after iteration {self._iter} did not finish '
                              'before the run stopped: running it first')
        runner.val_loop.run()


@LOOPS.register_module()
class EpochBasedTrainLoop(_TrainLoop):
    """Train for ``max_epochs`` epochs, validating every ``val_interval`` epochs."""

    def __init__(self, runner, dataloader: Union[DataLoader, dict], max_epochs: int,
                 val_begin: int = 1, val_interval: int = 1,
                 dynamic_intervals: Optional[list] = None,
                 nonfinite_loss: Optional[str] = None) -> None:
        super().__init__(runner, dataloader, val_begin, val_interval, dynamic_intervals,
                         nonfinite_loss)
        self._max_epochs = int(max_epochs)
        assert self._max_epochs == max_epochs, f'max_epochs must be an int, got {max_epochs!r}'
        self._max_iters = self._max_epochs * len(self.dataloader)
        self._resume_batches = 0  # batches of the current epoch a resumed run skips

    def run(self) -> torch.nn.Module:
        runner = self.runner
        runner.call_hook('before_train')
        # A run resumed from a checkpoint saved inside an epoch (an iteration-interval
        # CheckpointHook) continues that epoch after its last trained batch, so the
        # resumed run sees the same batches, and counts the same iterations, as one
        # that never stopped.
        self._resume_batches = self._batches_done_in_epoch()
        if self._resume_batches == 0:  # at an epoch's end: its validation may be pending
            self._run_pending_validation(self._epoch)
        while self._epoch < self._max_epochs and not self.stop_training:
            self.run_epoch()
            self._decide_current_val_interval()
            if (runner.val_loop is not None and self._epoch >= self.val_begin
                    and self._epoch % self.val_interval == 0):
                runner.val_loop.run()
        runner.call_hook('after_train')
        return runner.model

    def run_epoch(self) -> None:
        runner = self.runner
        runner.call_hook('before_train_epoch')  # sets the sampler's epoch: same order
        runner.model.train()
        start, self._resume_batches = self._resume_batches, 0
        if not start:
            batches = self.dataloader
        elif start < len(self.dataloader):
            batches = iterate_from(self.dataloader, start)
        else:  # saved after the epoch's last batch: only its end (hooks, validation) is left
            batches = ()
        for idx, data_batch in enumerate(batches, start):
            self.run_iter(idx, data_batch)
        runner.call_hook('after_train_epoch')
        self._epoch += 1

    def _batches_done_in_epoch(self) -> int:
        done = self._iter - self._epoch * len(self.dataloader)
        if 0 <= done <= len(self.dataloader):
            return done
        logger.warning('iteration %d does not fall inside epoch %d of %d batches (did the '
                       'dataloader change since the checkpoint?): the epoch starts from its '
                       'first batch', self._iter, self._epoch + 1, len(self.dataloader))
        return 0

    def run_iter(self, idx: int, data_batch) -> None:
        _train_iteration(self._runner() or self.runner, idx, data_batch)
        self._iter += 1

    def _decide_current_val_interval(self) -> None:
        self.val_interval = self._interval_after(self._epoch)


def _train_iteration(runner, idx: int, data_batch) -> None:
    """One training step between its two hook points: what both train loops'
    ``run_iter`` do.

    The hooks are called here, by position, rather than through
    ``call_hook(..., batch_idx=idx, ...)``: these two points run on every step.
    (The loops' ``run()`` hold the runner, so ``runner`` is never None here.)
    """
    before, after = runner._train_iter_hooks or train_iter_hooks(runner)
    hook = None
    try:
        for hook in before:
            hook(runner, idx, data_batch)
        hook = None  # an error of the step itself is not a hook's
        outputs = runner.model.train_step(data_batch, optim_wrapper=runner.optim_wrapper)
        for hook in after:
            hook(runner, idx, data_batch, outputs)
    except TypeError as error:
        if hook is None:
            raise
        reraise_naming_hook(error, hook)


def iterate_from(dataloader, skip_batches: int):
    """An iterator over ``dataloader`` past its first ``skip_batches`` batches (resuming).

    The uninterrupted run created its iterator (which draws a seed from torch's
    global RNG) and loaded those batches (random transforms draw too) before the
    checkpoint's RNG state was taken, so none of that may draw again here.
    """
    with preserved_rng_state():
        iterator = iter(dataloader)
        for _ in range(skip_batches):  # no fast path: consume the batches
            next(iterator)
    return iterator


class _InfiniteDataloaderIterator:
    """Endless iterator over a dataloader, restarting it (with a new sampler
    epoch) when exhausted. ``InfiniteSampler`` makes the restart unnecessary."""

    def __init__(self, dataloader: DataLoader, skip_batches: int = 0) -> None:
        self._dataloader = dataloader
        self._epoch = 0
        self._iterator = self._start(skip_batches)

    def _sampler(self):
        sampler = getattr(self._dataloader, 'sampler', None)
        if sampler is not None and hasattr(sampler, 'set_epoch'):
            return sampler
        batch_sampler = getattr(self._dataloader, 'batch_sampler', None)
        inner = getattr(batch_sampler, 'sampler', None)
        return inner if hasattr(inner, 'set_epoch') else None

    def _start(self, skip_batches: int = 0):
        """A fresh iterator; on resume, fast-forward past ``skip_batches`` batches."""
        sampler = self._sampler()
        try:
            length = len(self._dataloader)
        except TypeError:
            length = None
        if length and skip_batches >= length and not _is_infinite(sampler):
            self._epoch += skip_batches // length
            skip_batches %= length
            if sampler is not None:
                sampler.set_epoch(self._epoch)
        if not skip_batches:
            return iter(self._dataloader)
        return iterate_from(self._dataloader, skip_batches)

    def __iter__(self):
        return self

    def __next__(self):
        try:
            return next(self._iterator)
        except StopIteration:
            warnings.warn('Reach the end of the dataloader, it will be restarted and '
                          'continue to iterate. It is recommended to use `InfiniteSampler` '
                          'in iteration-based training.', stacklevel=2)
            self._epoch += 1
            sampler = self._sampler()
            if sampler is not None:
                sampler.set_epoch(self._epoch)
            if getattr(self._dataloader, 'num_workers', 0) > 0:
                # let the old iterator's worker processes exit before new ones
                # start (the reference sleeps 2 s for this); no workers, no wait
                time.sleep(2)
            self._iterator = iter(self._dataloader)
            return next(self._iterator)


def _is_infinite(sampler) -> bool:
    return sampler is not None and type(sampler).__name__ == 'InfiniteSampler'


@LOOPS.register_module()
class IterBasedTrainLoop(_TrainLoop):
    """Train for ``max_iters`` iterations, validating every ``val_interval`` iterations."""

    def __init__(self, runner, dataloader: Union[DataLoader, dict], max_iters: int,
                 val_begin: int = 1, val_interval: int = 1000,
                 dynamic_intervals: Optional[list] = None,
                 nonfinite_loss: Optional[str] = None) -> None:
        super().__init__(runner, dataloader, val_begin, val_interval, dynamic_intervals,
                         nonfinite_loss)
        self._max_iters = int(max_iters)
        assert self._max_iters == max_iters, f'max_iters must be an int, got {max_iters!r}'
        self._max_epochs = 1  # compatibility: hooks that read max_epochs

    def run(self) -> torch.nn.Module:
        runner = self.runner
        runner.call_hook('before_train')
        self._run_pending_validation(self._iter)
        runner.call_hook('before_train_epoch')
        # Resuming at iteration N continues with the N-th batch, not the first.
        batches = _InfiniteDataloaderIterator(self.dataloader, skip_batches=self._iter)
        # An InfiniteSampler's iterator never ends: take batches from it directly,
        # without the restart wrapper's extra call per iteration.
        next_batch = (batches._iterator.__next__ if _is_infinite(batches._sampler())
                      else batches.__next__)
        # Train mode is set where it changes (here and after validation), not
        # every iteration: Module.train() walks the whole model.
        runner.model.train()
        # Without dynamic intervals (or a subclass deciding) the interval never
        # changes: decide it once.
        self._decide_current_val_interval()
        dynamic = (len(self.dynamic_milestones) > 1 or type(self)._decide_current_val_interval
                   is not IterBasedTrainLoop._decide_current_val_interval)
        while self._iter < self._max_iters and not self.stop_training:
            self.run_iter(next_batch())
            if dynamic:
                self._decide_current_val_interval()
            # the arithmetic first: most iterations stop there
            if (self._iter % self.val_interval == 0 and self._iter >= self.val_begin
                    and runner.val_loop is not None):
                runner.val_loop.run()
                runner.model.train()
        runner.call_hook('after_train_epoch')
        runner.call_hook('after_train')
        return runner.model

    def run_iter(self, data_batch) -> None:
        idx = self._iter
        _train_iteration(self._runner() or self.runner, idx, data_batch)
        self._iter = idx + 1

    def _decide_current_val_interval(self) -> None:
        self.val_interval = self._interval_after(self._iter)


def _progress_bar(runner, total: int) -> Optional[ProgressBar]:
    """A bar on rank 0 in a terminal; logs and CI output stay plain lines."""
    if runner.rank != 0 or not sys.stdout.isatty() or not total:
        return None
    return ProgressBar(total, file=sys.stdout)


class _EvalLoop(BaseLoop):
    """Shared body of ValLoop and TestLoop; ``mode`` names the hook points."""

    mode = 'val'

    def __init__(self, runner, dataloader: Union[DataLoader, dict],
                 evaluator: Union[Evaluator, dict, list], fp16: bool = False) -> None:
        super().__init__(runner, dataloader)
        if isinstance(evaluator, (dict, list)):
            self.evaluator = runner.build_evaluator(evaluator)
        else:
            assert isinstance(evaluator, Evaluator), (
                f'evaluator must be an Evaluator, a dict or a list, got {type(evaluator)}'
                f'{metric_hint(evaluator)}')
            self.evaluator = evaluator
        _set_dataset_meta(runner, self.dataloader, self.evaluator, runner.visualizer)
        self.fp16 = fp16

    def run(self) -> dict:
        runner, mode = self.runner, self.mode
        # Evaluation must not shift the training's random streams.
        with preserved_rng_state():
            runner.call_hook(f'before_{mode}')
            runner.call_hook(f'before_{mode}_epoch')
            runner.model.eval()
            bar = _progress_bar(runner, len(self.dataloader))
            for idx, data_batch in enumerate(self.dataloader):
                self.run_iter(idx, data_batch)
                if bar is not None:
                    bar.update()
            if bar is not None:
                bar.file.write('\n')
            metrics = self.evaluator.evaluate(len(self.dataloader.dataset))
            runner.call_hook(f'after_{mode}_epoch', metrics=metrics)
            runner.call_hook(f'after_{mode}')
        return metrics

    @torch.no_grad()
    def run_iter(self, idx: int, data_batch) -> None:
        runner, mode = self.runner, self.mode
        runner.call_hook(f'before_{mode}_iter', batch_idx=idx, data_batch=data_batch)
        with autocast(enabled=self.fp16):
            outputs = getattr(runner.model, f'{mode}_step')(data_batch)
        self.evaluator.process(data_samples=outputs, data_batch=data_batch)
        runner.call_hook(f'after_{mode}_iter', batch_idx=idx, data_batch=data_batch,
                         outputs=outputs)


@LOOPS.register_module()
class ValLoop(_EvalLoop):
    """Run the model's ``val_step`` over the validation set and evaluate."""

    mode = 'val'


@LOOPS.register_module()
class TestLoop(_EvalLoop):
    """Run the model's ``test_step`` over the test set and evaluate."""

    mode = 'test'
