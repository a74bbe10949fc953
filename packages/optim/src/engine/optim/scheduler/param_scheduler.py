"""Parameter schedulers: the base class and the generic ``*ParamScheduler`` family.

Every scheduler is *chainable*: it computes the next value of ``group[param_name]``
from the value currently stored there, so several schedulers acting on the same
key compose (warm-up followed by a main policy, or overlapping windows that
multiply like PyTorch's ``ChainedScheduler``). Each scheduler only acts inside
its own ``[begin, end)`` window, counted in the unit the caller steps it in
(epochs when ``by_epoch=True``, iterations otherwise).
"""

from __future__ import annotations

import math
import warnings
import weakref
from collections import Counter
from functools import wraps
from typing import Any, Dict, List, Optional, Sequence, Union

from torch.optim import Optimizer

from engine.registry import PARAM_SCHEDULERS

from ..optimizer.optimizer_wrapper import OptimWrapper
from ..optimizer.optimizer_wrapper_dict import OptimWrapperDict

INF = int(1e9)

OptimizerLike = Union[Optimizer, OptimWrapper]

_ORDER_HINT = (
    'See more details at https://pytorch.org/docs/stable/optim.html'
    '#how-to-adjust-learning-rate'
)


def _count_calls(method):
    """Wrap a bound ``step`` so each call bumps ``owner._global_step``.

    The scheduler uses the counter to warn when it is stepped before the
    optimizer. A weak reference avoids a cycle optimizer -> wrapper -> optimizer.
    """
    if getattr(method, '_with_counter', False):
        return method
    owner_ref = weakref.ref(method.__self__)
    func = method.__func__

    @wraps(func)
    def step_with_counter(*args, **kwargs):
        owner = owner_ref()
        owner._global_step += 1
        return func(owner, *args, **kwargs)

    step_with_counter._with_counter = True
    return step_with_counter


class _ParamScheduler:
    """Base class of every scheduler: window bookkeeping, resume and state.

    Subclasses implement ``_get_value()`` which returns the new value for each
    param group at ``self.last_step`` (0 on the first step inside the window).
    """

    # names of keyword arguments counted in epochs that ``build_iter_from_epoch``
    # multiplies by ``epoch_length``
    _epoch_counted_kwargs: Sequence[str] = ()

    def __init__(self,
                 optimizer: OptimizerLike,
                 param_name: str,
                 begin: int = 0,
                 end: int = INF,
                 last_step: int = -1,
                 by_epoch: bool = True,
                 verbose: bool = False):
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        self.param_name = param_name
        if end <= begin:
            raise ValueError('end should be larger than begin, but got '
                             f'begin={begin}, end={end}')
        self.begin = begin
        self.end = end
        self.by_epoch = by_epoch
        assert isinstance(last_step, int) and last_step >= -1, (
            f'last_step should be an integer >= -1, but got {last_step!r}')

        initial_key = f'initial_{param_name}'
        groups = optimizer.param_groups
        if last_step == -1:
            for i, group in enumerate(groups):
                if param_name not in group:
                    raise KeyError(f"param_groups[{i}] has no key '{param_name}' "
                                   f'to schedule (keys: {sorted(group)})')
                group.setdefault(initial_key, group[param_name])
        else:
            for i, group in enumerate(groups):
                if initial_key not in group:
                    raise KeyError(
                        f"param '{initial_key}' is not specified in param_groups[{i}] "
                        'when resuming an optimizer')
        self.base_values = [group[initial_key] for group in groups]
        self.last_step = last_step

        self.optimizer.step = _count_calls(self.optimizer.step)
        self.optimizer._global_step = -1
        self._global_step = -1
        self.verbose = verbose
        self.step()

    @classmethod
    def build_iter_from_epoch(cls, *args, begin: float = 0, end: float = INF,
                              by_epoch: bool = True, epoch_length: Optional[int] = None,
                              **kwargs):
        """Build an iteration-based scheduler from epoch-based arguments.

        ``begin``, ``end`` and the class's epoch-counted keywords (``step_size``,
        ``milestones``, ``T_max``, ...) are multiplied by ``epoch_length``.
        """
        assert by_epoch, ('Only epoch-based kwargs whose `by_epoch=True` can be '
                          'converted to iter-based.')
        assert epoch_length is not None and epoch_length > 0, (
            f'`epoch_length` must be a positive integer, but got {epoch_length}.')
        for key in cls._epoch_counted_kwargs:
            value = kwargs.get(key)
            if value is None:
                continue
            if isinstance(value, (list, tuple)):
                kwargs[key] = [v * epoch_length for v in value]
            else:
                kwargs[key] = value * epoch_length
        begin = int(begin * epoch_length)
        if end != INF:
            end = int(end * epoch_length)
        return cls(*args, begin=begin, end=end, by_epoch=False, **kwargs)

    def _get_value(self) -> List[Any]:
        raise NotImplementedError(
            f'{type(self).__name__} must implement _get_value()')

    def get_last_value(self) -> List[Any]:
        """The values of ``param_name`` for every group after the last ``step()``."""
        return self._last_value

    def step(self) -> None:
        """Advance one unit; write new values only inside ``[begin, end)``."""
        if self._global_step == 0:
            if not hasattr(self.optimizer.step, '_with_counter'):
                warnings.warn(
                    'Seems like `optimizer.step()` has been overridden after '
                    'parameter value scheduler initialization. Please, make sure '
                    'to call `optimizer.step()` before `scheduler.step()`. '
                    + _ORDER_HINT, UserWarning, stacklevel=2)
            elif self.optimizer._global_step < 0:
                warnings.warn(
                    'Detected call of `scheduler.step()` before `optimizer.step()`. '
                    'In PyTorch 1.1.0 and later, you should call them in the opposite '
                    'order: `optimizer.step()` before `scheduler.step()`. Failure to '
                    'do this will result in PyTorch skipping the first value of the '
                    'parameter value schedule. ' + _ORDER_HINT, UserWarning, stacklevel=2)
        self._global_step += 1
        groups = self.optimizer.param_groups
        if self.begin <= self._global_step < self.end:
            self.last_step += 1
            for i, value in enumerate(self._get_value()):
                groups[i][self.param_name] = value
                self.print_value(self.verbose, i, value)
        self._last_value = [group[self.param_name] for group in groups]

    def state_dict(self) -> Dict[str, Any]:
        """Every attribute except the optimizer (saved on its own)."""
        return {k: v for k, v in self.__dict__.items() if k != 'optimizer'}

    def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
        self.__dict__.update(state_dict)

    def print_value(self, is_verbose: bool, group: int, value: Any) -> None:
        if is_verbose:
            print(f'Adjusting parameter value of group {group} to {value:.4e}.')

    def _current(self) -> List[Any]:
        return [group[self.param_name] for group in self.optimizer.param_groups]


def _check_optimizer(optimizer: Any) -> None:
    if isinstance(optimizer, OptimWrapperDict):
        raise TypeError('``optimizer`` should be an Optimizer or one OptimWrapper, but got '
                        f'an OptimWrapperDict with {list(optimizer.keys())}: build one '
                        'scheduler per wrapper (e.g. for optim_wrapper["gen"])')
    if not isinstance(optimizer, (Optimizer, OptimWrapper)):
        raise TypeError('``optimizer`` should be an Optimizer, but got '
                        f'{type(optimizer).__name__}')


@PARAM_SCHEDULERS.register_module()
class StepParamScheduler(_ParamScheduler):
    """Multiply the value by ``gamma`` every ``step_size`` steps."""

    _epoch_counted_kwargs = ('step_size',)

    def __init__(self, optimizer: OptimizerLike, param_name: str, step_size: int,
                 gamma: float = 0.1, begin: int = 0, end: int = INF,
                 last_step: int = -1, by_epoch: bool = True, verbose: bool = False):
        if step_size <= 0:
            raise ValueError(f'step_size should be positive, but got {step_size}')
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, param_name, begin=begin, end=end,
                         last_step=last_step, by_epoch=by_epoch, verbose=verbose)

    def _get_value(self):
        t = self.last_step
        if t == 0 or t % self.step_size != 0:
            return self._current()
        return [v * self.gamma for v in self._current()]


@PARAM_SCHEDULERS.register_module()
class MultiStepParamScheduler(_ParamScheduler):
    """Multiply the value by ``gamma`` at each milestone (repeats compound)."""

    _epoch_counted_kwargs = ('milestones',)

    def __init__(self, optimizer: OptimizerLike, param_name: str,
                 milestones: Sequence[int], gamma: float = 0.1, last_step: int = -1,
                 begin: int = 0, end: int = INF, by_epoch: bool = True,
                 verbose: bool = False):
        self.milestones = Counter(milestones)
        self.gamma = gamma
        super().__init__(optimizer, param_name, begin=begin, end=end,
                         last_step=last_step, by_epoch=by_epoch, verbose=verbose)

    def _get_value(self):
        hits = self.milestones.get(self.last_step, 0)
        if not hits:
            return self._current()
        return [v * self.gamma**hits for v in self._current()]


@PARAM_SCHEDULERS.register_module()
class ConstantParamScheduler(_ParamScheduler):
    """Multiply the value by ``factor`` until the last step of the window."""

    def __init__(self, optimizer: OptimizerLike, param_name: str,
                 factor: float = 1.0 / 3, begin: int = 0, end: int = INF,
                 last_step: int = -1, by_epoch: bool = True, verbose: bool = False):
        if not 0 <= factor <= 1:
            raise ValueError('Constant multiplicative factor should between 0 and 1. '
                             f'Got factor={factor}.')
        self.factor = factor
        self.total_iters = end - begin - 1
        super().__init__(optimizer, param_name, begin=begin, end=end,
                         last_step=last_step, by_epoch=by_epoch, verbose=verbose)

    def _get_value(self):
        t = self.last_step
        if t == 0:
            return [v * self.factor for v in self._current()]
        if t != self.total_iters:
            return self._current()
        if self.factor == 0:  # v / 0 is undefined: restore the recorded base value
            return list(self.base_values)
        return [v / self.factor for v in self._current()]


@PARAM_SCHEDULERS.register_module()
class ExponentialParamScheduler(_ParamScheduler):
    """Multiply the value by ``gamma`` on every step after the first."""

    def __init__(self, optimizer: OptimizerLike, param_name: str, gamma: float,
                 begin: int = 0, end: int = INF, last_step: int = -1,
                 by_epoch: bool = True, verbose: bool = False):
        self.gamma = gamma
        super().__init__(optimizer, param_name, begin=begin, end=end,
                         last_step=last_step, by_epoch=by_epoch, verbose=verbose)

    def _get_value(self):
        if self.last_step == 0:
            return self._current()
        return [v * self.gamma for v in self._current()]


@PARAM_SCHEDULERS.register_module()
class LinearParamScheduler(_ParamScheduler):
    """Move the multiplier linearly from ``start_factor`` to ``end_factor``.

    The end factor is reached on the last step of the window (``end - 1``).
    """

    def __init__(self, optimizer: OptimizerLike, param_name: str,
                 start_factor: float = 1.0 / 3, end_factor: float = 1.0,
                 begin: int = 0, end: int = INF, last_step: int = -1,
                 by_epoch: bool = True, verbose: bool = False):
        if not 0 <= start_factor <= 1:
            raise ValueError('Starting multiplicative factor should between 0 and 1. '
                             f'Got start_factor={start_factor}.')
        if not 0 <= end_factor <= 1:
            raise ValueError('Ending multiplicative factor should between 0 and 1. '
                             f'Got end_factor={end_factor}.')
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = end - begin - 1
        super().__init__(optimizer, param_name, begin=begin, end=end,
                         last_step=last_step, by_epoch=by_epoch, verbose=verbose)

    def _get_value(self):
        t = self.last_step
        start, stop = self.start_factor, self.end_factor
        if t == 0:
            return [v * start for v in self._current()]
        if start == 0:
            # the chainable ratio divides by zero: use the closed form instead
            frac = min(t / self.total_iters, 1.0)
            return [b * (start + (stop - start) * frac) for b in self.base_values]
        ratio = 1 + (stop - start) / (self.total_iters * start + (t - 1) * (stop - start))
        return [v * ratio for v in self._current()]


@PARAM_SCHEDULERS.register_module()
class CosineAnnealingParamScheduler(_ParamScheduler):
    """Cosine annealing from the current value to ``eta_min`` over ``T_max`` steps.

    Only the annealing half of SGDR (no restarts); past ``T_max`` the curve
    continues periodically unless ``end`` stops it.
    """

    _epoch_counted_kwargs = ('T_max',)

    def __init__(self, optimizer: OptimizerLike, param_name: str,
                 T_max: Optional[int] = None, eta_min: float = 0.0, begin: int = 0,
                 end: int = INF, last_step: int = -1, by_epoch: bool = True,
                 verbose: bool = False):
        self.T_max = T_max or (end - begin)
        self.eta_min = eta_min
        super().__init__(optimizer, param_name, begin=begin, end=end,
                         last_step=last_step, by_epoch=by_epoch, verbose=verbose)

    def _get_value(self):
        t, T, low = self.last_step, self.T_max, self.eta_min
        if t == 0:
            return self._current()
        if (t - 1 - T) % (2 * T) == 0:
            rise = (1 - math.cos(math.pi / T)) / 2
            return [v + (b - low) * rise for v, b in zip(self._current(), self.base_values)]
        ratio = (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T))
        return [low + (v - low) * ratio for v in self._current()]


@PARAM_SCHEDULERS.register_module()
class PolyParamScheduler(_ParamScheduler):
    """Polynomial decay to ``eta_min``, reached on the last step of the window."""

    def __init__(self, optimizer: OptimizerLike, param_name: str, eta_min: float = 0,
                 power: float = 1.0, begin: int = 0, end: int = INF,
                 last_step: int = -1, by_epoch: bool = True, verbose: bool = False):
        self.eta_min = eta_min
        self.power = power
        self.total_iters = end - begin - 1
        super().__init__(optimizer, param_name, begin=begin, end=end,
                         last_step=last_step, by_epoch=by_epoch, verbose=verbose)

    def _get_value(self):
        t = self.last_step
        if t == 0:
            return self._current()
        left = self.total_iters - t + 1
        ratio = (1 - 1 / left) ** self.power
        return [(v - self.eta_min) * ratio + self.eta_min for v in self._current()]


@PARAM_SCHEDULERS.register_module()
class OneCycleParamScheduler(_ParamScheduler):
    """The 1cycle policy (Smith & Topin): warm up to ``eta_max``, then anneal.

    Not chainable: it writes absolute values computed from ``initial_lr``,
    ``max_lr`` and ``min_lr``, which it stores in every param group. Only the
    learning rate can be scheduled this way.
    """

    _epoch_counted_kwargs = ('total_steps',)

    def __init__(self, optimizer: OptimizerLike, param_name: str,
                 eta_max: Union[float, Sequence[float]] = 0,
                 total_steps: Optional[int] = None, pct_start: float = 0.3,
                 anneal_strategy: str = 'cos', div_factor: float = 25.0,
                 final_div_factor: float = 1e4, three_phase: bool = False,
                 begin: int = 0, end: int = INF, last_step: int = -1,
                 by_epoch: bool = True, verbose: bool = False):
        assert param_name == 'lr', ('OneCycle only works for learning rate updating, '
                                    f'but got param_name={param_name!r}')
        _check_optimizer(optimizer)
        if total_steps is None:
            total_steps = end - begin
        elif not isinstance(total_steps, int) or total_steps <= 0:
            raise ValueError('Expected positive integer total_steps, but got '
                             f'{total_steps}')
        self.total_steps = total_steps
        if not isinstance(pct_start, float) or not 0 <= pct_start <= 1:
            raise ValueError('Expected float between 0 and 1 pct_start, but got '
                             f'{pct_start!r}')
        if anneal_strategy not in ('cos', 'linear'):
            raise ValueError('anneal_strategy must by one of "cos" or "linear", '
                             f'instead got {anneal_strategy!r}')
        self.anneal_strategy = anneal_strategy
        self.pct_start = pct_start
        self.three_phase = three_phase
        self.div_factor = div_factor
        self.final_div_factor = final_div_factor

        warm_end = float(pct_start * total_steps) - 1
        if three_phase:
            self._phases = [
                (warm_end, 'initial_lr', 'max_lr'),
                (float(2 * pct_start * total_steps) - 2, 'max_lr', 'initial_lr'),
                (total_steps - 1, 'initial_lr', 'min_lr'),
            ]
        else:
            self._phases = [
                (warm_end, 'initial_lr', 'max_lr'),
                (total_steps - 1, 'max_lr', 'min_lr'),
            ]

        groups = optimizer.param_groups
        max_lrs = _per_group(eta_max, len(groups), 'max_lr')
        if last_step == -1:
            for group, peak in zip(groups, max_lrs):
                group['initial_lr'] = peak / div_factor
                group['max_lr'] = peak
                group['min_lr'] = group['initial_lr'] / final_div_factor
        super().__init__(optimizer, param_name, begin=begin, end=end,
                         last_step=last_step, by_epoch=by_epoch, verbose=verbose)

    def _anneal(self, start: float, stop: float, pct: float) -> float:
        if self.anneal_strategy == 'cos':
            return stop + (start - stop) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (stop - start) * pct + start

    def _get_value(self):
        t = self.last_step
        if t > self.total_steps:
            raise ValueError(f'Tried to step {t + 1} times. The specified number of '
                             f'total steps is {self.total_steps}')
        values = []
        for group in self.optimizer.param_groups:
            start_step = 0.0
            for i, (end_step, start_key, stop_key) in enumerate(self._phases):
                if t <= end_step or i == len(self._phases) - 1:
                    pct = (t - start_step) / (end_step - start_step)
                    values.append(self._anneal(group[start_key], group[stop_key], pct))
                    break
                start_step = end_step
        return values


def _per_group(value: Union[float, Sequence[float]], n: int, name: str) -> List[float]:
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(f'expected {n} values for {name}, got {len(value)}')
        return list(value)
    return [value] * n


@PARAM_SCHEDULERS.register_module()
class CosineRestartParamScheduler(_ParamScheduler):
    """Cosine annealing with warm restarts (SGDR) over explicit ``periods``.

    Cycle ``i`` restarts at ``base * restart_weights[i]`` and anneals to
    ``eta_min`` (or ``base * eta_min_ratio``) over ``periods[i]`` steps. After
    the last period the value is left unchanged.
    """

    _epoch_counted_kwargs = ('periods',)

    def __init__(self, optimizer: OptimizerLike, param_name: str,
                 periods: Sequence[int], restart_weights: Sequence[float] = (1, ),
                 eta_min: Optional[float] = None, eta_min_ratio: Optional[float] = None,
                 begin: int = 0, end: int = INF, last_step: int = -1,
                 by_epoch: bool = True, verbose: bool = False):
        assert (eta_min is None) ^ (eta_min_ratio is None), (
            'Either `eta_min` or `eta_min_ratio` should be specified, not both '
            f'(got eta_min={eta_min}, eta_min_ratio={eta_min_ratio})')
        assert len(periods) == len(restart_weights), (
            'periods and restart_weights should have the same length. '
            f'Got periods={list(periods)}, restart_weights={list(restart_weights)}')
        self.periods = list(periods)
        self.restart_weights = list(restart_weights)
        self.eta_min = eta_min
        self.eta_min_ratio = eta_min_ratio
        self.cumulative_periods = [sum(self.periods[:i + 1]) for i in range(len(periods))]
        super().__init__(optimizer, param_name, begin=begin, end=end,
                         last_step=last_step, by_epoch=by_epoch, verbose=verbose)

    def _get_value(self):
        t = self.last_step
        current = self._current()
        cycle = next((i for i, c in enumerate(self.cumulative_periods) if t < c), None)
        if cycle is None:
            return current
        step = t - (self.cumulative_periods[cycle - 1] if cycle else 0)
        period = self.periods[cycle]
        weight = self.restart_weights[cycle]
        values = []
        for v, base in zip(current, self.base_values):
            peak = base * weight
            low = self.eta_min if self.eta_min_ratio is None else base * self.eta_min_ratio
            if step == 0:
                values.append(peak)
            elif (step - 1 - period) % (2 * period) == 0:
                values.append(v + (peak - low) * (1 - math.cos(math.pi / period)) / 2)
            else:
                ratio = ((1 + math.cos(math.pi * step / period))
                         / (1 + math.cos(math.pi * (step - 1) / period)))
                values.append(ratio * (v - low) + low)
        return values
