"""Seeding and random-state helpers of the runner."""

from __future__ import annotations

import contextlib
import logging
import numbers
import random
from typing import Optional

import numpy as np
import torch

from engine.dist import get_rank, sync_random_seed

logger = logging.getLogger(__name__)


def set_random_seed(seed: Optional[int] = None, deterministic: bool = False,
                    diff_rank_seed: bool = False) -> int:
    """Seed python, numpy and torch (all devices); return the seed used.

    ``seed=None`` draws one on rank 0 and shares it with every rank;
    ``diff_rank_seed`` adds the rank so ranks draw different augmentations.
    """
    if seed is None:
        seed = sync_random_seed()
    elif isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f'seed should be an int or None, but got {seed!r}')
    seed = int(seed)
    if diff_rank_seed:
        seed += get_rank()
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
    if deterministic:
        if torch.backends.cudnn.benchmark:
            logger.warning('torch.backends.cudnn.benchmark is going to be set as `False` to '
                           'cause cuDNN to deterministically select an algorithm')
        torch.backends.cudnn.benchmark = False
        torch.backends.cudnn.deterministic = True
        torch.use_deterministic_algorithms(True, warn_only=True)
    return seed


def get_rng_state() -> dict:
    """Random states of python, numpy and torch as plain data (weights_only-safe)."""
    version, state, gauss = random.getstate()
    np_state = np.random.get_state()
    rng = {
        'python': [version, list(state), gauss],
        'numpy': [np_state[0], torch.from_numpy(np_state[1].copy()), int(np_state[2]),
                  int(np_state[3]), float(np_state[4])],
        'torch': torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        rng['cuda'] = torch.cuda.get_rng_state_all()
    return rng


def set_rng_state(rng: dict) -> None:
    """Restore what :func:`get_rng_state` captured.

    The state tensors may arrive on a GPU (a checkpoint loaded with
    ``map_location='cuda:N'``); every RNG setter wants them on the CPU.
    """
    version, state, gauss = rng['python']
    random.setstate((version, tuple(state), gauss))
    name, keys, pos, has_gauss, cached = rng['numpy']
    np.random.set_state((name, keys.cpu().numpy().astype(np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(rng['torch'].cpu())
    if 'cuda' in rng and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([state.cpu() for state in rng['cuda']])


@contextlib.contextmanager
def preserved_rng_state():
    """Run a block without changing the random streams seen after it.

    Validation runs inside this, so whether (and how often) a run validates
    does not change its training, and a resumed run continues the exact
    random stream of the run it resumes.
    """
    rng = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(rng)


def environment_report(env_cfg: dict, randomness: dict, launcher: str, distributed: bool,
                       world_size: int) -> str:
    """The block the Runner logs at start: the system, then this run's settings."""
    from engine.utils.dl_utils import collect_env

    lines = ['', '-' * 60, 'System environment:']
    lines += [f'    {k}: {v}' for k, v in collect_env().items()]
    lines += ['', 'Runtime environment:']
    lines += [f'    {k}: {v}' for k, v in env_cfg.items()]
    lines += [f'    {k}: {v}' for k, v in randomness.items()]
    lines += [f'    Distributed launcher: {launcher}',
              f'    Distributed training: {distributed}',
              f'    GPU number: {world_size}', '-' * 60]
    return '\n'.join(lines)
