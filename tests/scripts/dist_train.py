"""Trained by tests/test_distributed_training.py under torchrun (2 CPU ranks, gloo)."""

import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', 'packages', 'runner',
                                'tests'))
from runner_toys import toy_runner_cfg  # noqa: E402

from engine.runner import Runner  # noqa: E402


def main(work_dir: str, out_dir: str, fail_rank: int) -> None:
    cfg = toy_runner_cfg(work_dir, launcher='pytorch', log_level='INFO',
                         env_cfg=dict(dist_cfg=dict(
                             backend=os.environ.get('ENGINE_TEST_DIST_BACKEND', 'gloo'),
                             timeout=20)),
                         train_cfg=dict(by_epoch=True, max_epochs=2, val_interval=1),
                         optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)))
    wrapper = os.environ.get('ENGINE_TEST_MODEL_WRAPPER')
    if wrapper:  # the model_wrapper_cfg a config file would carry
        cfg['cfg'] = dict(model_wrapper_cfg=dict(type=wrapper, find_unused_parameters=True))
    runner = Runner(**cfg)
    if fail_rank >= 0 and runner.rank == fail_rank:
        from engine.hooks import Hook

        class Explode(Hook):
            def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
                if runner.iter == 2:
                    raise RuntimeError(f'rank {runner.rank} exploded on purpose')

        runner.register_hook(Explode())
    runner.train()
    model = runner.model.module
    torch.save({k: v.clone() for k, v in model.state_dict().items()},
               os.path.join(out_dir, f'weights_rank{runner.rank}.pt'))
    print(f'rank {runner.rank} wrapped in {type(runner.model).__name__}, '
          f'world size {runner.world_size}')
    print(f'rank {runner.rank} linear1 is {type(model.linear1).__name__}, '
          f'find_unused_parameters={getattr(model.linear1, "find_unused_parameters", None)}')


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else -1)
