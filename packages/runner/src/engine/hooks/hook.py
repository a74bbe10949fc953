"""Hook: the base class of everything that reacts to the runner's progress.

Every hook point is a no-op here. Subclasses override the points they need;
the Runner only dispatches to overridden points (see ``Runner.call_hook``),
so an unused point costs nothing per iteration. Hooks get the runner as an
argument at each call and should not keep a reference to it.

Points that behave alike in train/val/test (``before_*_epoch``,
``after_*_iter``, ...) forward to ``_before_epoch`` / ``_after_iter`` etc.
with a ``mode`` argument; overriding those covers all three phases.
"""

from __future__ import annotations

import numbers
import warnings
from operator import attrgetter
from typing import Optional, Sequence, Union

DATA_BATCH = Optional[Union[dict, tuple, list]]

HOOK_POINTS = (
    'before_run', 'after_run',
    'before_train', 'after_train',
    'before_train_epoch', 'after_train_epoch',
    'before_train_iter', 'after_train_iter',
    'before_val', 'after_val',
    'before_val_epoch', 'after_val_epoch',
    'before_val_iter', 'after_val_iter',
    'before_test', 'after_test',
    'before_test_epoch', 'after_test_epoch',
    'before_test_iter', 'after_test_iter',
    'before_save_checkpoint', 'after_load_checkpoint',
)

# point -> the mode-generic method its base implementation forwards to
_GENERIC = {}
for _mode in ('train', 'val', 'test'):
    _GENERIC[f'before_{_mode}_epoch'] = '_before_epoch'
    _GENERIC[f'after_{_mode}_epoch'] = '_after_epoch'
    _GENERIC[f'before_{_mode}_iter'] = '_before_iter'
    _GENERIC[f'after_{_mode}_iter'] = '_after_iter'


def specialises_generic(method):
    """Mark a hook's train point as a faster copy of the hook's own mode-generic
    method (``after_train_iter`` of ``_after_iter``); see ``Hook.__init_subclass__``."""
    method._specialises_generic = True
    return method


def _warn_near_misses(cls: type) -> None:
    """Warn about a method named almost like a hook point (``after_train_iteration``):
    the Runner would never call it, and nothing else would say so.

    Only near misses: a custom point (``after_my_step``, run by a loop's own
    ``runner.call_hook``) is far from every built-in name.
    """
    for name, value in vars(cls).items():
        if (name.startswith(('before_', 'after_')) and name not in HOOK_POINTS
                and callable(value)):
            import difflib

            close = difflib.get_close_matches(name, HOOK_POINTS, n=1, cutoff=0.85)
            if close:
                warnings.warn(f'{cls.__name__}.{name} is not a hook point, so the Runner will '
                              f'not call it: did you mean {close[0]!r}? (A custom point runs '
                              f"only where a loop calls runner.call_hook({name!r}).)",
                              stacklevel=3)


class Hook:
    """Base class of hooks; see the module docstring."""

    priority = 'NORMAL'
    stages = HOOK_POINTS

    def __init_subclass__(cls, **kwargs) -> None:
        # A built-in hook may implement a train point directly (cheaper per
        # iteration) as a copy of its mode-generic method (``@specialises_generic``).
        # A subclass overriding only the generic method must still see it called
        # for training, so the point goes back to the base's forwarding version.
        # A point with logic of its own (CheckpointHook.after_train_iter) stays.
        super().__init_subclass__(**kwargs)
        own = cls.__dict__
        for point, generic in _GENERIC.items():
            if generic in own and point not in own and \
                    getattr(getattr(cls, point), '_specialises_generic', False):
                setattr(cls, point, getattr(Hook, point))
        _warn_near_misses(cls)

    def before_run(self, runner) -> None:
        """Before the runner starts train, val or test."""

    def after_run(self, runner) -> None:
        """After the run ends, also when it failed."""

    def before_train(self, runner) -> None:
        """Before the train loop starts."""

    def after_train(self, runner) -> None:
        """After the train loop ends."""

    def before_val(self, runner) -> None:
        """Before a validation run."""

    def after_val(self, runner) -> None:
        """After a validation run."""

    def before_test(self, runner) -> None:
        """Before a test run."""

    def after_test(self, runner) -> None:
        """After a test run."""

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Before ``checkpoint`` is written; may add or change entries."""

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """After ``checkpoint`` is read, before the model takes its weights."""

    def before_train_epoch(self, runner) -> None:
        self._before_epoch(runner, mode='train')

    def before_val_epoch(self, runner) -> None:
        self._before_epoch(runner, mode='val')

    def before_test_epoch(self, runner) -> None:
        self._before_epoch(runner, mode='test')

    def after_train_epoch(self, runner) -> None:
        self._after_epoch(runner, mode='train')

    def after_val_epoch(self, runner, metrics: Optional[dict] = None) -> None:
        self._after_epoch(runner, mode='val')

    def after_test_epoch(self, runner, metrics: Optional[dict] = None) -> None:
        self._after_epoch(runner, mode='test')

    def before_train_iter(self, runner, batch_idx: int, data_batch: DATA_BATCH = None) -> None:
        self._before_iter(runner, batch_idx=batch_idx, data_batch=data_batch, mode='train')

    def before_val_iter(self, runner, batch_idx: int, data_batch: DATA_BATCH = None) -> None:
        self._before_iter(runner, batch_idx=batch_idx, data_batch=data_batch, mode='val')

    def before_test_iter(self, runner, batch_idx: int, data_batch: DATA_BATCH = None) -> None:
        self._before_iter(runner, batch_idx=batch_idx, data_batch=data_batch, mode='test')

    def after_train_iter(self, runner, batch_idx: int, data_batch: DATA_BATCH = None,
                         outputs: Optional[dict] = None) -> None:
        self._after_iter(runner, batch_idx=batch_idx, data_batch=data_batch,
                         outputs=outputs, mode='train')

    def after_val_iter(self, runner, batch_idx: int, data_batch: DATA_BATCH = None,
                       outputs: Optional[Sequence] = None) -> None:
        self._after_iter(runner, batch_idx=batch_idx, data_batch=data_batch,
                         outputs=outputs, mode='val')

    def after_test_iter(self, runner, batch_idx: int, data_batch: DATA_BATCH = None,
                        outputs: Optional[Sequence] = None) -> None:
        self._after_iter(runner, batch_idx=batch_idx, data_batch=data_batch,
                         outputs=outputs, mode='test')

    def _before_epoch(self, runner, mode: str = 'train') -> None:
        """Before an epoch of any phase."""

    def _after_epoch(self, runner, mode: str = 'train') -> None:
        """After an epoch of any phase."""

    def _before_iter(self, runner, batch_idx: int, data_batch: DATA_BATCH = None,
                     mode: str = 'train') -> None:
        """Before an iteration of any phase."""

    def _after_iter(self, runner, batch_idx: int, data_batch: DATA_BATCH = None,
                    outputs: Optional[Union[Sequence, dict]] = None, mode: str = 'train') -> None:
        """After an iteration of any phase."""

    # ---------------------------------------------------------------- helpers
    def every_n_epochs(self, runner, n: int) -> bool:
        return (runner.epoch + 1) % n == 0 if n > 0 else False

    def every_n_inner_iters(self, batch_idx: int, n: int) -> bool:
        return (batch_idx + 1) % n == 0 if n > 0 else False

    def every_n_train_iters(self, runner, n: int) -> bool:
        return (runner.iter + 1) % n == 0 if n > 0 else False

    def end_of_epoch(self, dataloader, batch_idx: int) -> bool:
        return batch_idx + 1 == len(dataloader)

    def is_last_train_epoch(self, runner) -> bool:
        return runner.epoch + 1 == runner.max_epochs

    def is_last_train_iter(self, runner) -> bool:
        return runner.iter + 1 == runner.max_iters

    # ------------------------------------------------------------- dispatch
    @staticmethod
    def _is_noop(hook_class: type, point: str) -> bool:
        """True when ``hook_class`` inherits the base's do-nothing ``point``."""
        if getattr(hook_class, point, None) is not getattr(Hook, point, None):
            return False
        generic = _GENERIC.get(point)
        return generic is None or getattr(hook_class, generic) is getattr(Hook, generic)

    @classmethod
    def _points_of(cls, hook_class: type) -> list:
        """The standard points at which ``hook_class`` does something."""
        return [p for p in HOOK_POINTS if not cls._is_noop(hook_class, p)]

    def get_triggered_stages(self) -> list:
        return self._points_of(type(self))

    def __repr__(self) -> str:
        return f'{type(self).__name__}(priority={self.priority!r})'


def resets_quiet_until(name: str) -> property:
    """A hook option stored as ``_<name>`` whose assignment, also mid-run, sets
    ``hook._quiet_until = 0``: for hooks whose per-iteration method works out
    the next iteration it has to check and returns at once until then."""
    private = f'_{name}'

    def assign(hook: Hook, value) -> None:
        setattr(hook, private, value)
        hook._quiet_until = 0

    return property(attrgetter(private), assign, doc=f'``{name}`` (assignable mid-run)')


def next_multiple_minus_one(done: int, n: int) -> int:
    """The first ``b >= done`` with ``(b + 1) % n == 0``: the next index at which an
    every-``n`` check (on ``index + 1``) holds."""
    return (done // n + 1) * n - 1


def int_options(hook: str, **options) -> list:
    """The options as ints; a TypeError naming the option for anything but a whole number.

    A config's ``interval='10'`` would otherwise fail mid-run, without its name.
    Whole floats (``interval=1e9``, which the reference accepts) become ints.
    """
    values = []
    for name, value in options.items():
        whole = as_whole_int(value)
        if whole is None:
            raise TypeError(f'{hook}: {name} must be an int, but got {value!r}')
        values.append(whole)
    return values


def as_whole_int(value) -> Optional[int]:
    """``value`` as an int when it is a whole number (numpy ints and ``1e9`` included,
    bools not), else None."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if type(value) is bool or not isinstance(value, numbers.Integral):
        return None
    return int(value)
