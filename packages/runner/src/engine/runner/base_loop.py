"""BaseLoop: what every train/val/test loop shares."""

from __future__ import annotations

import weakref
from abc import ABCMeta, abstractmethod
from typing import Any, Union

from torch.utils.data import DataLoader


class BaseLoop(metaclass=ABCMeta):
    """A loop owns iteration over one dataloader; hooks own side effects.

    The loop holds the runner by weak reference: the runner owns its loops,
    and a loop must not keep a finished runner (and its model) alive.

    Args:
        runner: the runner driving this loop.
        dataloader: a DataLoader, or a dict built with ``runner.build_dataloader``.
    """

    def __init__(self, runner, dataloader: Union[DataLoader, dict]) -> None:
        self._runner = weakref.ref(runner)
        if isinstance(dataloader, dict):
            diff_rank_seed = runner._randomness_cfg.get('diff_rank_seed', False)
            self.dataloader = runner.build_dataloader(
                dataloader, seed=runner.seed, diff_rank_seed=diff_rank_seed)
        else:
            self.dataloader = dataloader

    @property
    def runner(self):
        runner = self._runner()
        if runner is None:
            raise RuntimeError(f'the runner of this {type(self).__name__} no longer exists')
        return runner

    @abstractmethod
    def run(self) -> Any:
        """Run the loop."""
