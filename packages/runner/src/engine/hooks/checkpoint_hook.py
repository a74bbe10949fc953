"""CheckpointHook: periodic, last and best checkpoints.

Order of a periodic save: the checkpoint file is written atomically (by
``engine.runner.save_checkpoint``), then ``work_dir/last_checkpoint`` is
replaced atomically, then old files beyond ``max_keep_ckpts`` are removed.
A crash at any point leaves ``last_checkpoint`` naming a complete file.

A validation inside training that never finished (the process died during it)
is not lost either: ``work_dir/last_validation`` holds the iteration of the last
one that finished, and a run resumed from the checkpoint saved just before an
unfinished one validates first (the training loops read ``validated_iter`` from
the message hub, which :meth:`CheckpointHook.before_train` fills from that file).

SIGTERM (a cluster preempting the job) during a training run costs nothing: the
current iteration finishes, a checkpoint of it is saved, and the process then
ends by that SIGTERM (see ``deferred_signal.py``). In a distributed run the ranks
first agree on the iteration (one after the first signal, see ``stop_vote.py``).
A run signalled during a validation whose training state is saved already stops
after the current validation batch (a distributed one once the ranks agree, when they
have as many validation batches); the resumed run validates again.
"""

from __future__ import annotations

import math
import os
import os.path as osp
import sys
import tempfile
from typing import Optional, Sequence, Union

from engine.dist import broadcast_object_list
from engine.fileio.io import check_args_conflict
from engine.registry import HOOKS
from engine.utils.call_arguments import check_arguments

from .deferred_signal import DeferredSignal
from .hook import DATA_BATCH, Hook, int_options, next_multiple_minus_one, resets_quiet_until
from .stop_vote import StopVote

_GREATER_KEYS = ['acc', 'top', 'AR@', 'auc', 'precision', 'mAP', 'mDice', 'mIoU', 'mAcc', 'aAcc']
_LESS_KEYS = ['loss']
_RULES = {'greater': lambda x, y: x > y, 'less': lambda x, y: x < y}
_INITIAL = {'greater': -math.inf, 'less': math.inf}
_SIGTERM_CKPT = 'sigterm_checkpoint'  # message-hub key: the path of a save made on SIGTERM
_VALIDATION_MARK = 'last_validation'  # work_dir file: iteration of the last finished validation


def _write_text_atomically(path: str, text: str) -> None:
    folder = osp.dirname(path) or '.'
    fd, tmp = tempfile.mkstemp(prefix='.last_checkpoint.', dir=folder)
    try:
        with os.fdopen(fd, 'w', encoding='utf-8') as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


def _as_key_list(keys, default: list) -> list:
    if keys is None:
        return list(default)
    if isinstance(keys, str):
        return [keys]
    assert isinstance(keys, Sequence) and all(isinstance(k, str) for k in keys), (
        f'greater_keys/less_keys must be a str or a sequence of str, got {keys!r}')
    return list(keys)


def _read_validation_mark(runner) -> Optional[int]:
    """The iteration of the last validation that finished inside training in
    ``work_dir`` (rank 0's file; every rank gets the same answer), or None."""
    value = None
    if runner.rank == 0:
        try:
            with open(osp.join(runner.work_dir, _VALIDATION_MARK), encoding='utf-8') as f:
                value = int(f.read().strip())
        except (OSError, ValueError):
            value = None  # none yet, or unreadable: a pending validation runs again
    if runner.world_size > 1:
        box = [value]
        broadcast_object_list(box, src=0)
        value = box[0]
    return value


@HOOKS.register_module()
class CheckpointHook(Hook):
    """Save checkpoints every ``interval`` epochs (or iterations), at the end,
    and whenever a validation metric reaches a new best.

    Args:
        interval: save period; -1 never saves periodically.
        by_epoch: count ``interval`` in epochs (True) or iterations.
        save_optimizer / save_param_scheduler: include that state.
        out_dir: where to save; default ``runner.work_dir``. A different
            folder gets ``basename(work_dir)`` appended.
        max_keep_ckpts: keep only the newest N periodic checkpoints (-1: all).
        save_last: also save after the last epoch/iteration.
        save_best: metric name(s) or ``'auto'`` (the first metric).
        rule: ``'greater'`` / ``'less'`` (or one per metric); inferred when None.
        greater_keys / less_keys: replace the key lists used to infer ``rule``.
        filename_tmpl: e.g. ``'epoch_{}.pth'`` (exactly one ``{}``).
        backend_args: engine.fileio backend arguments for ``out_dir``.
        save_on_sigterm: on SIGTERM, finish the iteration (distributed: the next
            one, on every rank), save it (``iter_{n}.pth`` in epoch-based runs) and
            only then end the process. Not where SIGTERM has a handler already.
        **kwargs: passed on to ``runner.save_checkpoint``.
    """

    priority = 'VERY_LOW'

    interval = resets_quiet_until('interval')
    by_epoch = resets_quiet_until('by_epoch')
    save_last = resets_quiet_until('save_last')
    _quiet_until = 0  # the first iteration after_train_iter has to check in full

    def __init__(self, interval: int = -1, by_epoch: bool = True, save_optimizer: bool = True,
                 save_param_scheduler: bool = True, out_dir: Optional[str] = None,
                 max_keep_ckpts: int = -1, save_last: bool = True,
                 save_best: Union[str, list, None] = None, rule: Union[str, list, None] = None,
                 greater_keys: Optional[Sequence[str]] = None,
                 less_keys: Optional[Sequence[str]] = None,
                 file_client_args: Optional[dict] = None, filename_tmpl: Optional[str] = None,
                 backend_args: Optional[dict] = None, save_on_sigterm: bool = True,
                 **kwargs) -> None:
        # an interval <= 0 saves nothing by interval (the default -1), as in the reference
        interval, max_keep_ckpts = int_options('CheckpointHook', interval=interval,
                                               max_keep_ckpts=max_keep_ckpts)
        self.interval = interval
        self.by_epoch = by_epoch
        self.save_optimizer = save_optimizer
        self.save_param_scheduler = save_param_scheduler
        self.out_dir = out_dir
        self.max_keep_ckpts = max_keep_ckpts
        self.save_last = save_last
        self.save_on_sigterm = save_on_sigterm
        self._sigterm = DeferredSignal()
        self._stop_vote: Optional[StopVote] = None  # distributed runs
        self._val_votes = 0  # leading validation batches in which every rank votes
        self._training = False  # between before_train and after_train
        self._saved_iter = -1  # the training iterations the last save holds
        self.args = kwargs
        check_args_conflict(file_client_args, backend_args)
        # the deprecated route keeps FileClient's backend names ('disk', ...)
        self.file_client_args = file_client_args
        self.backend_args = backend_args

        if filename_tmpl is None:
            filename_tmpl = 'epoch_{}.pth' if by_epoch else 'iter_{}.pth'
        if filename_tmpl.count('{}') != 1:
            raise ValueError(f'filename_tmpl must contain exactly one "{{}}", got '
                             f'{filename_tmpl!r}')
        self.filename_tmpl = filename_tmpl

        assert save_best is None or isinstance(save_best, (str, list)), (
            f'save_best should be a str, a list of str or None, got {type(save_best)}')
        if isinstance(save_best, list):
            if 'auto' in save_best:
                assert len(save_best) == 1, (
                    'Only support one "auto" in "save_best" list, got {save_best}')
            assert len(save_best) == len(set(save_best)), (
                f'Find duplicate element in "save_best": {save_best}')
        elif save_best is not None:
            save_best = [save_best]
        self.save_best = save_best

        if isinstance(rule, list):
            assert len(rule) in (1, len(save_best or [])), (
                'Number of "rule" must be 1 or the same as number of "save_best", but got '
                f'{len(rule)} rules for {save_best}')
        else:
            rule = [rule]
        for r in rule:
            if r is not None and r not in _RULES:
                raise KeyError(f'rule must be greater, less or None, but got {r!r}.')
        self.rules = rule
        self.greater_keys = _as_key_list(greater_keys, _GREATER_KEYS)
        self.less_keys = _as_key_list(less_keys, _LESS_KEYS)
        self.key_indicators: list = list(save_best or [])
        self.best_ckpt_path_dict: dict = {}
        self.best_ckpt_path: Optional[str] = None
        self.last_ckpt: Optional[str] = None
        if save_best is not None and save_best != ['auto']:
            self._init_rules(self.rules, self.key_indicators)

    # ------------------------------------------------------------- set-up
    def _save_options(self, by_epoch: bool) -> dict:
        """The keyword arguments of every ``runner.save_checkpoint`` call."""
        return dict(save_optimizer=self.save_optimizer,
                    save_param_scheduler=self.save_param_scheduler, by_epoch=by_epoch,
                    file_client_args=self.file_client_args, backend_args=self.backend_args,
                    **self.args)

    def _infer_rule(self, key: str) -> str:
        lowered = key.lower()
        if key in self.greater_keys or lowered in (k.lower() for k in self.greater_keys):
            return 'greater'
        if key in self.less_keys or lowered in (k.lower() for k in self.less_keys):
            return 'less'
        if any(k.lower() in lowered for k in self.greater_keys):
            return 'greater'
        if any(k.lower() in lowered for k in self.less_keys):
            return 'less'
        raise ValueError(f'Cannot infer the rule for key {key}, thus a specific rule must be '
                         'specified.')

    def _init_rules(self, rules: list, key_indicators: list) -> None:
        if len(rules) == 1:
            rules = rules * len(key_indicators)
        self.rules = [rule if rule is not None else self._infer_rule(key)
                      for rule, key in zip(rules, key_indicators)]
        self.is_better_than = {key: _RULES[rule] for key, rule in zip(key_indicators,
                                                                       self.rules)}

    def before_train(self, runner) -> None:
        from engine.fileio import file_backend_for
        self._quiet_until = 0
        if self.args:  # passed on to every save: a misspelled one fails now, not an epoch in
            check_arguments(runner.save_checkpoint,
                            f'CheckpointHook passes {sorted(self.args)} to '
                            'runner.save_checkpoint, which refuses them',
                            self.out_dir, 'x.pth', **self._save_options(self.by_epoch))
        if self.out_dir is None:
            self.out_dir = runner.work_dir
        elif osp.abspath(self.out_dir) != runner.work_dir:
            self.out_dir = osp.join(self.out_dir, osp.basename(runner.work_dir.rstrip('/')))
        self.file_backend = file_backend_for(self.out_dir, self.file_client_args,
                                             self.backend_args)
        runner.logger.info(f'Checkpoints will be saved to {self.out_dir}.')
        if runner.rank == 0 and osp.isdir(self.out_dir):
            # a save killed mid-write leaves its temp file; the target is intact
            for name in os.listdir(self.out_dir):
                if name.startswith('.') and name.endswith('.tmp') and '.pth.' in name:
                    os.remove(osp.join(self.out_dir, name))
        # a resumed run keeps tracking (and later removes) its best checkpoints
        info = runner.message_hub.runtime_info
        if self.save_best is not None:
            if len(self.key_indicators) == 1:
                self.best_ckpt_path = info.get('best_ckpt')
            else:
                for key in self.key_indicators:
                    self.best_ckpt_path_dict[key] = info.get(f'best_ckpt_{key}')
        runner.message_hub.update_info('validated_iter', _read_validation_mark(runner))
        self._training = True
        self._saved_iter = -1  # the checkpoint resumed from may lie outside work_dir
        if self.save_on_sigterm:
            distributed = runner.world_size > 1
            if distributed:  # every rank votes, also one whose SIGTERM has another handler
                try:
                    self._stop_vote = StopVote()
                except RuntimeError as error:  # e.g. a torch built without gloo
                    runner.logger.warning(f'SIGTERM keeps its default handling: the ranks '
                                          f'cannot vote on when to stop ({error})')
                    return
            self._sigterm.install(absorb_repeats=distributed)

    def after_train(self, runner) -> None:
        self._training = False
        if self._stop_vote is not None:  # every rank is here: free the vote's group
            self._stop_vote.close()
            self._stop_vote = None

    def after_run(self, runner) -> None:  # also after a failed run
        self._training = False
        # a failed run drops the vote unfinished: a peer may never join it
        self._stop_vote = None
        self._sigterm.uninstall()

    # ---------------------------------------------------------- periodic
    def after_train_epoch(self, runner) -> None:
        if not self.by_epoch:
            return
        if self.every_n_epochs(runner, self.interval) or (
                self.save_last and self.is_last_train_epoch(runner)):
            runner.logger.info(f'Saving checkpoint at {runner.epoch + 1} epochs')
            self._save_checkpoint(runner, runner.epoch + 1)

    def after_train_iter(self, runner, batch_idx: int, data_batch: DATA_BATCH = None,
                         outputs: Optional[dict] = None) -> None:
        # This runs every iteration: until the next one due for a save (worked out
        # by each full check), only a SIGTERM or a distributed vote needs more.
        iteration = runner.iter
        if (iteration < self._quiet_until and self._stop_vote is None
                and not self._sigterm.received):
            return
        self._quiet_until = self._next_save(iteration, runner.max_iters)
        saved = False
        if not self.by_epoch:
            # the every_n_train_iters / is_last_train_iter checks, inlined
            done = iteration + 1
            n = self.interval
            if (n > 0 and done % n == 0) or (self.save_last and done == runner.max_iters):
                runner.logger.info(f'Saving checkpoint at {done} iterations')
                self._save_checkpoint(runner, done)
                saved = True
        # distributed runs stop when the ranks' vote says so (see stop_vote.py)
        vote = self._stop_vote
        received = self._sigterm.received
        if received if vote is None else vote.poll(received):
            self._save_and_stop(runner, saved)

    def _next_save(self, iteration: int, max_iters: int) -> int:
        """The first iteration after ``iteration`` that may save: a multiple of
        ``interval``, or the last one with ``save_last`` (none by epoch)."""
        if self._by_epoch:
            return sys.maxsize
        candidates = [max_iters - 1] if self._save_last else []
        if self._interval > 0:
            candidates.append(next_multiple_minus_one(iteration + 1, self._interval))
        return min((c for c in candidates if c > iteration), default=sys.maxsize)

    def _save_and_stop(self, runner, saved: bool) -> None:
        """SIGTERM arrived: save this iteration, then let the signal end the run."""
        done = runner.iter + 1
        try:
            if not saved:
                # inside an epoch, an iteration checkpoint: the epoch-based loop resumes
                # mid-epoch
                filename = (f'iter_{done}.pth' if self.by_epoch
                            else self.filename_tmpl.format(done))
                runner.logger.warning(f'SIGTERM received: saving {filename} at {done} '
                                      'iterations before stopping')
                previous = runner.message_hub.runtime_info.get(_SIGTERM_CKPT)
                # recorded in the checkpoint itself, so the resumed run can remove it
                runner.message_hub.update_info(
                    _SIGTERM_CKPT, self.file_backend.join_path(self.out_dir, filename))
                self._save_checkpoint(runner, done, filename)
                self._remove_sigterm_checkpoint(runner, previous)
            runner.logger.warning(f'Stopping on SIGTERM after {done} iterations; '
                                  'resume=True continues from there.')
        except Exception:  # the signal still ends the run: say why nothing was saved
            runner.logger.exception('Saving on SIGTERM failed; the last checkpoint is '
                                    'the one before')
        if self._stop_vote is not None:
            # no rank ends before rank 0 has written: a launcher that sees one rank
            # end stops the others
            self._stop_vote.barrier()
        self._sigterm.stop()

    def _save_checkpoint(self, runner, step: int, filename: Optional[str] = None) -> None:
        """Save ``filename`` (default: the template's name for ``step``) and point
        ``last_checkpoint`` at it; only template-named periodic saves count towards
        ``max_keep_ckpts``."""
        periodic = filename is None
        if periodic:
            filename = self.filename_tmpl.format(step)
        by_epoch = self.by_epoch and periodic
        runner.save_checkpoint(self.out_dir, filename, **self._save_options(by_epoch))
        # what the checkpoint's meta says (an epoch's save comes after its last iteration)
        self._saved_iter = runner.iter if by_epoch else runner.iter + 1
        if runner.rank != 0:
            return
        self.last_ckpt = self.file_backend.join_path(self.out_dir, filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        _write_text_atomically(osp.join(runner.work_dir, 'last_checkpoint'), self.last_ckpt)
        if self.max_keep_ckpts > 0 and periodic:
            self._remove_old_checkpoints(step)
        stale = periodic and runner.message_hub.runtime_info.get(_SIGTERM_CKPT)
        if stale:
            self._remove_sigterm_checkpoint(runner, stale)
            runner.message_hub.update_info(_SIGTERM_CKPT, None)

    def _remove_sigterm_checkpoint(self, runner, path: Optional[str]) -> None:
        """A checkpoint saved on SIGTERM is outside the periodic schedule: it goes once
        a newer one exists (else every preemption would leave one behind for good)."""
        if runner.rank == 0 and path and path != self.last_ckpt \
                and self.file_backend.isfile(path):
            self.file_backend.remove(path)

    def _remove_old_checkpoints(self, step: int) -> None:
        interval = max(self.interval, 1)
        old = step - self.max_keep_ckpts * interval
        while old > 0:
            path = self.file_backend.join_path(self.out_dir, self.filename_tmpl.format(old))
            if not self.file_backend.isfile(path):
                break
            self.file_backend.remove(path)
            old -= interval

    def before_val_epoch(self, runner) -> None:
        # A distributed run can stop inside a validation only where every rank polls the
        # vote: in the first batches, as many as the rank with the fewest has (all of them
        # with a padding sampler, the default). Asked once per validation, of every rank.
        self._val_votes = 0
        if self._training and self._stop_vote is not None:
            try:
                batches = len(runner.val_dataloader)
            except TypeError:  # no length (an iterable dataset): no votes
                batches = 0
            self._val_votes = self._stop_vote.smallest(batches)

    def after_val_iter(self, runner, batch_idx: int, data_batch: DATA_BATCH = None,
                       outputs=None) -> None:
        # Only where the training state of this iteration is saved already (the same on
        # every rank: saves are collective); otherwise the stop waits for the next
        # training iteration, which saves first.
        if not self._training or self._saved_iter != runner.iter:
            return
        if self._stop_vote is None:
            stop = self._sigterm.received
        elif batch_idx < self._val_votes:
            stop = self._stop_vote.poll(self._sigterm.received)
        else:
            return
        if stop:
            runner.logger.warning(
                f'SIGTERM received during validation: stopping now. The checkpoint of '
                f'iteration {runner.iter} is saved; resume=True runs this validation again.')
            if self._stop_vote is not None:
                self._stop_vote.barrier()
            self._sigterm.stop()

    # -------------------------------------------------------------- best
    def after_val_epoch(self, runner, metrics: Optional[dict] = None) -> None:
        self._save_best(runner, metrics)
        if self._training:  # this validation (and its best checkpoint) is complete
            runner.message_hub.update_info('validated_iter', runner.iter)
            if runner.rank == 0:
                _write_text_atomically(osp.join(runner.work_dir, _VALIDATION_MARK),
                                       str(runner.iter))

    def _save_best(self, runner, metrics: Optional[dict]) -> None:
        # runner.val() on its own trains nothing: no best checkpoint to save
        if self.save_best is None or not self._training:
            return
        if not metrics:
            runner.logger.warning('Since `metrics` is an empty dict, the behavior to save '
                                  'the best checkpoint will be skipped in this evaluation.')
            return
        if self.key_indicators == ['auto']:
            self.key_indicators = [next(iter(metrics))]
            self._init_rules(self.rules, self.key_indicators)
        hub = runner.message_hub
        by_epoch_name = self.by_epoch
        step = runner.epoch if by_epoch_name else runner.iter
        single = len(self.key_indicators) == 1
        for key in self.key_indicators:
            if key not in metrics:
                raise KeyError(f'save_best={key!r} is not among the validation metrics '
                               f'{sorted(metrics)}')
            score_key = 'best_score' if single else f'best_score_{key}'
            ckpt_key = 'best_ckpt' if single else f'best_ckpt_{key}'
            rule = self.rules[self.key_indicators.index(key)]
            best = hub.runtime_info.get(score_key, _INITIAL[rule])
            score = metrics[key]
            if not self.is_better_than[key](score, best):
                continue
            hub.update_info(score_key, score)
            previous = self.best_ckpt_path if single else self.best_ckpt_path_dict.get(key)
            if runner.rank == 0 and previous and self.file_backend.isfile(previous):
                self.file_backend.remove(previous)
                runner.logger.info(f'The previous best checkpoint {previous} is removed')
            name = f"best_{key.replace('/', '_')}_{self.filename_tmpl.format(step)}"
            path = self.file_backend.join_path(self.out_dir, name)
            if single:
                self.best_ckpt_path = path
            else:
                self.best_ckpt_path_dict[key] = path
            hub.update_info(ckpt_key, path)
            runner.save_checkpoint(self.out_dir, name, save_optimizer=False,
                                   save_param_scheduler=False, by_epoch=False,
                                   file_client_args=self.file_client_args,
                                   backend_args=self.backend_args)
            unit = 'epoch' if by_epoch_name else 'iter'
            runner.logger.info(f'The best checkpoint with {score:0.4f} {key} at {step} {unit} '
                               f'is saved to {name}.')
