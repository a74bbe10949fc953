"""OptimWrapperDict: several named OptimWrappers handled as one (e.g. GANs)."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Dict, Iterator, List, Tuple

import torch
import torch.nn as nn

from .optimizer_wrapper import OptimWrapper


class OptimWrapperDict(OptimWrapper):
    """A mapping of name -> OptimWrapper with the aggregate parts of the API.

    Updates must go through each wrapper (``d['gen'].update_params(loss)``);
    queries, ``zero_grad`` and state (de)serialisation cover all of them. It is
    an ``OptimWrapper`` so that code checking ``isinstance`` accepts it.
    """

    def __init__(self, **optim_wrapper_dict: OptimWrapper):
        for key, value in optim_wrapper_dict.items():
            assert isinstance(value, OptimWrapper), (
                '`OptimWrapperDict` only accept OptimWrapper instance, '
                f'but got {key}: {type(value)}')
        self.optim_wrappers = optim_wrapper_dict

    def update_params(self, loss: torch.Tensor, *args, **kwargs) -> None:
        raise NotImplementedError('`update_params` should be called by each '
                                  'optimizer separately')

    def backward(self, loss: torch.Tensor, **kwargs) -> None:
        raise NotImplementedError('`backward` should be called by each optimizer '
                                  'separately')

    def step(self, **kwargs) -> None:
        raise NotImplementedError('`step` should be called by each optimizer '
                                  'separately')

    @contextmanager
    def optim_context(self, model: nn.Module) -> Iterator[None]:
        raise NotImplementedError('`optim_context` should be called by each '
                                  'optimizer separately')
        yield  # pragma: no cover

    def zero_grad(self, **kwargs) -> None:
        for wrapper in self.optim_wrappers.values():
            wrapper.zero_grad(**kwargs)

    def initialize_count_status(self, model: nn.Module, cur_iter: int,
                                max_iters: int) -> None:
        """No-op: each wrapper must be initialised on its own."""

    def get_lr(self) -> Dict[str, List[float]]:
        return {f'{name}.lr': wrapper.get_lr()['lr']
                for name, wrapper in self.optim_wrappers.items()}

    def get_momentum(self) -> Dict[str, List[float]]:
        return {f'{name}.momentum': wrapper.get_momentum()['momentum']
                for name, wrapper in self.optim_wrappers.items()}

    def state_dict(self) -> dict:
        return {name: wrapper.state_dict() for name, wrapper in self.optim_wrappers.items()}

    def load_state_dict(self, state_dict: dict) -> None:
        for name, sub_state in state_dict.items():
            assert name in self.optim_wrappers, (
                f'Mismatched `state_dict`! cannot found {name} in OptimWrapperDict '
                f'(has {list(self.optim_wrappers)})')
            self.optim_wrappers[name].load_state_dict(sub_state)

    @property
    def param_groups(self) -> Dict[str, List[dict]]:  # type: ignore[override]
        return {name: wrapper.param_groups for name, wrapper in self.optim_wrappers.items()}

    @property
    def defaults(self) -> dict:
        raise AttributeError('OptimWrapperDict has no single `defaults`; use '
                             "d[name].defaults")

    @property
    def inner_count(self) -> int:
        raise AttributeError('OptimWrapperDict has no single `inner_count`; use '
                             "d[name].inner_count")

    def items(self) -> Iterator[Tuple[str, OptimWrapper]]:
        yield from self.optim_wrappers.items()

    def values(self) -> Iterator[OptimWrapper]:
        yield from self.optim_wrappers.values()

    def keys(self) -> Iterator[str]:
        yield from self.optim_wrappers.keys()

    def __getitem__(self, key: str) -> OptimWrapper:
        assert key in self.optim_wrappers, (
            f'Cannot find {key} in OptimWrapperDict, please check your optimizer '
            f'wrapper names: {list(self.optim_wrappers)}')
        return self.optim_wrappers[key]

    def __contains__(self, key: str) -> bool:
        return key in self.optim_wrappers

    def __len__(self) -> int:
        return len(self.optim_wrappers)

    def __repr__(self) -> str:
        return ''.join(f'name: {name}\n{wrapper!r}'
                       for name, wrapper in self.optim_wrappers.items())
