"""A small iteration-based run that announces where it is, so that
tests/test_crash_resume.py can SIGKILL (or SIGTERM) it at a chosen moment.

usage: crash_train.py WORK_DIR OUT_FILE [--resume] [--workers N] [--ckpt-interval N]
"""

import os
import signal
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', 'packages', 'runner',
                                'tests'))
from runner_toys import toy_runner_cfg  # noqa: E402

from engine.hooks import Hook  # noqa: E402
from engine.runner import Runner  # noqa: E402


class Announce(Hook):
    """Prints a marker at each phase; slows the run down so a kill lands inside."""

    priority = 'HIGHEST'

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        print(f'ITER {runner.iter}', flush=True)
        time.sleep(0.02)

    def before_val_iter(self, runner, batch_idx, data_batch=None):
        print('VAL', flush=True)
        time.sleep(0.05)

    def before_save_checkpoint(self, runner, checkpoint):
        # a bigger file keeps the write going long enough to be interrupted
        checkpoint['padding'] = torch.zeros(8 * 2**20)
        print('SAVE', flush=True)


def _option(name: str, default: int) -> int:
    return int(sys.argv[sys.argv.index(name) + 1]) if name in sys.argv else default


def main() -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # as a fresh shell would start it
    work_dir, out_file = sys.argv[1], sys.argv[2]
    workers, interval = _option('--workers', 0), _option('--ckpt-interval', 4)
    cfg = toy_runner_cfg(
        work_dir, resume='--resume' in sys.argv, log_level='INFO',
        model=dict(type='ToyModel', dropout=0.2),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9)),
        train_cfg=dict(by_epoch=False, max_iters=16, val_interval=4),
        train_dataloader=dict(dataset=dict(type='ToyDataset'),
                              sampler=dict(type='InfiniteSampler', shuffle=True),
                              batch_size=4, num_workers=workers,
                              persistent_workers=workers > 0),
        param_scheduler=dict(type='MultiStepLR', milestones=[8], gamma=0.5, by_epoch=False),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=interval,
                                           by_epoch=False)),
        custom_hooks=[Announce()])
    runner = Runner(**cfg)
    runner.train()
    torch.save({k: v.clone() for k, v in runner.model.state_dict().items()}, out_file)
    print('DONE', flush=True)


if __name__ == '__main__':
    main()
