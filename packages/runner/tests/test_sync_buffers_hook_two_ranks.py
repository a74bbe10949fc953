"""SyncBuffersHook (HOOK-22) in two real gloo processes on 127.0.0.1.

Each rank runs this file as a script (see rank_processes.py) and prints a report.
"""

from __future__ import annotations

import pytest
from rank_processes import report_and_exit, run_ranks


def _worker() -> None:
    from types import SimpleNamespace

    import torch
    import torch.distributed as torch_dist
    import torch.nn as nn

    from engine.dist import get_rank
    from engine.hooks import SyncBuffersHook

    torch_dist.init_process_group('gloo', init_method='env://')
    rank = get_rank()
    hook = SyncBuffersHook()  # built inside the group: the run is distributed
    model = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    with torch.no_grad():
        model[0].weight.fill_(float(rank))  # parameters are not buffers: left alone
    model[1].running_mean.fill_(2.0 * rank)
    model[1].running_var.fill_(1.0 + 4.0 * rank)
    hook.after_train_epoch(SimpleNamespace(model=model))
    report = dict(rank=rank, distributed=hook.distributed,
                  running_mean=model[1].running_mean.tolist(),
                  running_var=model[1].running_var.tolist(),
                  weight=model[0].weight.flatten().tolist())
    torch_dist.barrier()
    torch_dist.destroy_process_group()
    report_and_exit(report)


@pytest.fixture(scope='module')
def reports(tmp_path_factory):
    workdir = tmp_path_factory.mktemp('sync_buffers')
    return run_ranks(__file__, workdir, 2, timeout=120)[0]


def test_sync_buffers_hook_averages_buffers_across_ranks(reports):
    for report in reports:
        assert report['distributed'] is True
        assert report['running_mean'] == [1.0, 1.0]
        assert report['running_var'] == [3.0, 3.0]
        assert report['weight'] == [float(report['rank'])] * 4


if __name__ == '__main__':
    _worker()
