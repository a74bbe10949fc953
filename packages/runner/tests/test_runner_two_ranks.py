"""The Runner in two real gloo processes (RUN-06..09, RUN-14, RUN-32, RUN-34).

Each rank runs this file as a script (see rank_processes.py) with launcher='pytorch'
and prints one report.
"""

from __future__ import annotations

import pytest
from rank_processes import report_and_exit, run_ranks


def _worker() -> None:
    import os
    import os.path as osp

    import torch
    from runner_toys import ToyModel, toy_runner_cfg

    from engine.model import MMDistributedDataParallel
    from engine.runner import Runner

    rank = int(os.environ['RANK'])
    work_dir = osp.abspath(f'rank{rank}')
    common = dict(launcher='pytorch', env_cfg=dict(dist_cfg=dict(backend='gloo')),
                  log_level='INFO', val_dataloader=None, val_cfg=None, val_evaluator=None,
                  test_dataloader=None, test_cfg=None, test_evaluator=None,
                  train_cfg=dict(by_epoch=True, max_epochs=1))
    runner = Runner(**toy_runner_cfg(work_dir, randomness=dict(seed=None),
                                     cfg=dict(find_unused_parameters=True), **common))
    wrapped = runner.model
    report = dict(rank=runner.rank, world_size=runner.world_size,
                  distributed=runner.distributed, launcher=runner.launcher,
                  timestamp=runner.timestamp, seed=runner.seed,
                  wrapper=type(wrapped).__name__,
                  find_unused=wrapped.find_unused_parameters,
                  model_name=runner.model_name,
                  files=sorted(os.listdir(work_dir)),
                  log_files=sorted(f for f in os.listdir(runner.log_dir) if f.endswith('.log')))
    runner.train()
    report['trained_iter'] = runner.iter
    report['files_after_train'] = sorted(f for f in os.listdir(work_dir)
                                         if f.endswith('.pth'))

    # a wrapper config without `type` is DDP's options for MMDistributedDataParallel
    other = Runner(**toy_runner_cfg(
        work_dir + '_cfg', experiment_name='wrapper_cfg', randomness=dict(seed=3,
                                                                         diff_rank_seed=True),
        cfg=dict(model_wrapper_cfg=dict(broadcast_buffers=True)), **common))
    report['cfg_wrapper'] = type(other.model).__name__
    report['cfg_broadcast_buffers'] = other.model.broadcast_buffers
    report['diff_rank_seed'] = other.seed

    # a checkpoint trained on 2 GPUs resumes on 2 ranks without complaint
    ckpt_path = osp.join(osp.abspath('rank0'), 'epoch_1.pth')
    torch.distributed.barrier()
    ckpt = torch.load(ckpt_path, weights_only=True)
    ckpt['meta']['config'] = 'gpu_ids = [0, 1]\n'
    gpu_path = osp.abspath(f'gpu_ids_{rank}.pth')
    torch.save(ckpt, gpu_path)
    resumer = Runner(**toy_runner_cfg(work_dir + '_resume', experiment_name='resumer',
                                      **common))
    resumer.resume(gpu_path)
    report['resumed_iter'] = resumer.iter
    assert isinstance(wrapped, MMDistributedDataParallel) and isinstance(wrapped.module,
                                                                         ToyModel)
    torch.distributed.barrier()
    torch.distributed.destroy_process_group()
    report_and_exit(report)


@pytest.fixture(scope='module')
def reports(tmp_path_factory):
    workdir = tmp_path_factory.mktemp('runner_two_ranks')
    return run_ranks(__file__, workdir, 2, timeout=240)[0]


def test_launcher_initialises_the_group_and_ranks_agree(reports):
    rank0, rank1 = reports
    for rank, report in enumerate(reports):
        assert report['rank'] == rank and report['world_size'] == 2
        assert report['distributed'] is True and report['launcher'] == 'pytorch'
    assert rank0['timestamp'] == rank1['timestamp']  # rank 0's clock, broadcast
    assert rank0['seed'] == rank1['seed']  # seed=None: drawn once, shared
    assert [r['diff_rank_seed'] for r in reports] == [3, 4]


def test_model_is_wrapped_for_ddp(reports):
    for report in reports:
        assert report['wrapper'] == 'MMDistributedDataParallel'
        assert report['find_unused'] is True  # from cfg.find_unused_parameters
        assert report['model_name'] == 'ToyModel'
        assert report['cfg_wrapper'] == 'MMDistributedDataParallel'
        assert report['cfg_broadcast_buffers'] is True


def test_only_rank_zero_writes_files(reports):
    rank0, rank1 = reports
    ts = rank0['timestamp']
    assert {f'{ts}.py', 'modules_statistic_results.json'} <= set(rank0['files'])
    assert rank1['files'] == [ts]  # only its log folder
    assert rank0['log_files'] == [f'{ts}.log'] and rank1['log_files'] == []
    assert rank0['files_after_train'] == ['epoch_1.pth'] and rank1['files_after_train'] == []
    # 24 samples over 2 ranks, batch 4: 3 iterations each
    assert rank0['trained_iter'] == rank1['trained_iter'] == 3


def test_resume_with_the_recorded_gpu_count(reports):
    assert [r['resumed_iter'] for r in reports] == [3, 3]


if __name__ == '__main__':
    _worker()
