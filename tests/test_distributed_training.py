"""A real 2-process run: torchrun, gloo on CPU, launcher='pytorch'."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

SCRIPT = Path(__file__).parent / 'scripts' / 'dist_train.py'


def _torchrun(tmp_path, *extra, timeout=240, **env_extra):
    out = tmp_path / 'out'
    out.mkdir(exist_ok=True)
    # two CPU ranks by design (a GPU machine may have one GPU for both): hide GPUs
    env = dict(os.environ, OMP_NUM_THREADS='1', MASTER_ADDR='127.0.0.1', CUDA_VISIBLE_DEVICES='',
               **env_extra)
    # --standalone: torchrun picks a free port itself (no race with other processes)
    cmd = [sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node',
           '2', str(SCRIPT), str(tmp_path / 'work'), str(out), *extra]
    start = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    return proc, out, time.monotonic() - start


@pytest.mark.timeout(300)
def test_two_rank_ddp_training(tmp_path):
    proc, out, _ = _torchrun(tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert 'rank 0 wrapped in MMDistributedDataParallel, world size 2' in proc.stdout
    assert 'rank 1 wrapped in MMDistributedDataParallel, world size 2' in proc.stdout
    w0 = torch.load(out / 'weights_rank0.pt', weights_only=True)
    w1 = torch.load(out / 'weights_rank1.pt', weights_only=True)
    assert all(torch.equal(w0[k], w1[k]) for k in w0)

    work = tmp_path / 'work'
    assert sorted(p.name for p in work.glob('*.pth')) == ['epoch_1.pth', 'epoch_2.pth']
    log_dirs = [p for p in work.iterdir() if p.is_dir()]
    assert len(log_dirs) == 1, 'both ranks must agree on one timestamp'
    logs = sorted(p.name for p in log_dirs[0].glob('*.log'))
    assert logs == [f'{log_dirs[0].name}.log'], 'only rank 0 writes a log file'
    text = (log_dirs[0] / logs[0]).read_text()
    assert 'Distributed training: True' in text and 'Epoch(train)' in text
    # each sample is seen once per epoch across the two ranks: 24 / (2 ranks * 4) = 3 iters
    assert 'Epoch(train) [1][2/3]' in text
    ckpt = torch.load(work / 'epoch_2.pth', weights_only=True)
    assert len(ckpt['rng_state']) == 2  # each rank's random state, for an exact resume


@pytest.mark.timeout(300)
def test_two_rank_training_with_a_model_wrapper_cfg(tmp_path):
    # a GAN-style config: each child of the model in its own DDP, options from the config
    proc, out, _ = _torchrun(tmp_path,
                             ENGINE_TEST_MODEL_WRAPPER='MMSeparateDistributedDataParallel')
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    for rank in (0, 1):
        assert (f'rank {rank} wrapped in MMSeparateDistributedDataParallel, world size 2'
                in proc.stdout)
        assert (f'rank {rank} linear1 is MMDistributedDataParallel, '
                'find_unused_parameters=True' in proc.stdout)
    w0 = torch.load(out / 'weights_rank0.pt', weights_only=True)
    w1 = torch.load(out / 'weights_rank1.pt', weights_only=True)
    assert all(torch.equal(w0[k], w1[k]) for k in w0)
    work = tmp_path / 'work'
    assert sorted(p.name for p in work.glob('*.pth')) == ['epoch_1.pth', 'epoch_2.pth']
    first = torch.load(work / 'epoch_1.pth', weights_only=True)['state_dict']
    second = torch.load(work / 'epoch_2.pth', weights_only=True)['state_dict']
    # the checkpoint names the plain model's parameters, without the wrappers' `.module`
    assert list(first) == ['linear1.weight', 'linear1.bias', 'linear2.weight', 'linear2.bias']
    assert not any(torch.equal(first[k], second[k]) for k in first)  # it trained


@pytest.mark.timeout(300)
def test_a_failing_rank_stops_the_other_quickly(tmp_path):
    proc, _, elapsed = _torchrun(tmp_path, '1')
    assert proc.returncode != 0
    output = proc.stdout + proc.stderr
    assert 'rank 1 exploded on purpose' in output
    assert elapsed < 120, f'the healthy rank hung for {elapsed:.0f}s'
