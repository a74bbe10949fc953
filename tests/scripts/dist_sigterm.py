"""Trained by tests/test_distributed_sigterm.py under torchrun (2 CPU ranks, gloo).

    dist_sigterm.py WORK_DIR OUT_DIR MODE [resume]

MODE ``rank1``: at iteration 4 rank 1 alone gets SIGTERM; ``group``: rank 0 sends
SIGTERM to the whole process group (torchrun's agent and both ranks, as Slurm
does); ``val``: validation after every epoch, and rank 1 alone gets SIGTERM during
the first one (after its second batch); ``val-unequal``: the same, with 4
validation batches on rank 0 and 3 on rank 1 (no padding); ``none``: no signal.
``val``, ``val-unequal`` and ``none-val`` validate after every epoch, printing
``VAL <iter> <batch>`` per batch. Each rank that finishes saves its weights to OUT_DIR.
"""

import os
import signal
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', 'packages', 'runner',
                                'tests'))
from runner_toys import toy_runner_cfg  # noqa: E402

from engine.hooks import Hook  # noqa: E402
from engine.hooks.stop_vote import StopVote  # noqa: E402
from engine.runner import Runner  # noqa: E402


class Preempt(Hook):
    priority = 'HIGHEST'  # before CheckpointHook looks at the signal

    def __init__(self, mode: str) -> None:
        self.mode = mode

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if runner.iter != 3:  # the 4th iteration, the first of epoch 2
            return
        if self.mode == 'rank1' and runner.rank == 1:
            os.kill(os.getpid(), signal.SIGTERM)
        elif self.mode == 'group' and runner.rank == 0:
            os.killpg(os.getpgid(0), signal.SIGTERM)


class ValBatches(Hook):
    """Prints each validation batch; in MODE ``val`` signals rank 1 in the first validation."""

    def __init__(self, mode: str) -> None:
        self.mode = mode

    def after_val_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        print(f'VAL {runner.iter} {batch_idx} rank {runner.rank}', flush=True)
        if (self.mode in ('val', 'val-unequal') and runner.rank == 1 and runner.iter == 3
                and batch_idx == 1):
            os.kill(os.getpid(), signal.SIGTERM)


def main(work_dir: str, out_dir: str, mode: str, resume: bool) -> None:
    StopVote.seconds_between_votes = 0  # every iteration: the stop iteration is exact
    validates = 'val' in mode
    cfg = toy_runner_cfg(work_dir, launcher='pytorch', resume=resume,
                         env_cfg=dict(dist_cfg=dict(backend='gloo', timeout=30)),
                         train_cfg=dict(by_epoch=True, max_epochs=4,
                                        val_interval=1 if validates else 10),
                         param_scheduler=dict(type='MultiStepLR', milestones=[6], gamma=0.5,
                                              by_epoch=False),
                         default_hooks=dict(logger=dict(type='LoggerHook', interval=1)),
                         log_level='INFO')
    if validates:  # 16 samples per rank: 4 validation batches each
        cfg['val_dataloader']['dataset']['size'] = 32
    if mode == 'val-unequal':  # 13 and 12 samples: 4 and 3 batches
        cfg['val_dataloader']['dataset']['size'] = 25
        cfg['val_dataloader']['sampler'] = dict(type='DefaultSampler', shuffle=False,
                                                round_up=False)
    runner = Runner(**cfg)
    if mode in ('rank1', 'group'):
        runner.register_hook(Preempt(mode))
    if validates:
        runner.register_hook(ValBatches(mode))
    runner.train()
    torch.save({k: v.clone() for k, v in runner.model.module.state_dict().items()},
               os.path.join(out_dir, f'weights_rank{runner.rank}.pt'))
    print(f'rank {runner.rank} finished at iteration {runner.iter}')


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2], sys.argv[3], len(sys.argv) > 4 and sys.argv[4] == 'resume')
