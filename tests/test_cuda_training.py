"""Training on a CUDA device: AMP (float16 with a loss scaler, bfloat16), checkpoints
saved from the GPU, an exact resume there, and a one-rank nccl run under torchrun.

Skipped without CUDA; CI has no GPU, so these run on a lent GPU machine
(see README "Checking the CUDA paths").
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from runner_toys import toy_runner_cfg

from engine.hooks import Hook
from engine.runner import Runner, load_checkpoint

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a CUDA device')


def _free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _amp_cfg(work_dir, dtype, **overrides):
    return toy_runner_cfg(
        work_dir,
        optim_wrapper=dict(type='AmpOptimWrapper', dtype=dtype,
                           optimizer=dict(type='SGD', lr=0.05, momentum=0.9)),
        default_hooks=dict(logger=dict(type='LoggerHook', interval=2),
                           checkpoint=dict(type='CheckpointHook', interval=1)),
        **overrides)


@pytest.mark.parametrize('dtype', ['float16', 'bfloat16'])
def test_amp_training_on_cuda_saves_plain_checkpoints(tmp_path, dtype):
    runner = Runner(**_amp_cfg(tmp_path, dtype))
    runner.train()
    assert next(runner.model.parameters()).device.type == 'cuda'
    # autocast was active: the forward in train_step ran in the low-precision dtype
    with runner.optim_wrapper.optim_context(runner.model):
        out = runner.model.linear1(torch.randn(3, 2, device='cuda'))
    assert out.dtype == getattr(torch, dtype)
    ckpt = torch.load(tmp_path / 'epoch_3.pth', weights_only=True)
    assert all(v.device.type == 'cpu' for v in ckpt['state_dict'].values())
    assert 'loss_scaler' in ckpt['optimizer']
    metrics = runner.test()
    assert metrics['mse'] == metrics['mse']  # finite, not NaN


def test_float16_resume_restores_the_loss_scale(tmp_path):
    first = Runner(**_amp_cfg(tmp_path / 'a', 'float16', train_cfg=dict(
        by_epoch=True, max_epochs=2, val_interval=1)))
    first.train()
    scale = first.optim_wrapper.loss_scaler.get_scale()
    resumed = Runner(**_amp_cfg(tmp_path / 'a', 'float16', resume=True, train_cfg=dict(
        by_epoch=True, max_epochs=3, val_interval=1)))
    resumed.load_or_resume()
    assert resumed.epoch == 2
    assert resumed.optim_wrapper.loss_scaler.get_scale() == scale


class _CrashAfterEpoch(Hook):
    """Stops the run once epoch 2's checkpoint is written (as a crash would)."""
    priority = 'LOWEST'

    def after_train_epoch(self, runner):
        if runner.epoch == 1:  # counted from 0 until the epoch ends: epoch_2.pth is saved
            raise RuntimeError('simulated crash')


def test_resume_on_cuda_matches_an_uninterrupted_run(tmp_path):
    straight = Runner(**toy_runner_cfg(tmp_path / 'straight', experiment_name='straight'))
    straight.train()
    crashed = Runner(**toy_runner_cfg(tmp_path / 'half', experiment_name='half1',
                                      custom_hooks=[_CrashAfterEpoch()]))
    with pytest.raises(RuntimeError, match='simulated crash'):
        crashed.train()
    rest = Runner(**toy_runner_cfg(tmp_path / 'half', experiment_name='half2', resume=True))
    rest.train()
    assert rest.epoch == 3
    for name, value in straight.model.state_dict().items():
        assert value.device.type == 'cuda'
        assert torch.equal(value, rest.model.state_dict()[name]), name


def test_cuda_checkpoint_loads_on_cpu_model(tmp_path):
    runner = Runner(**toy_runner_cfg(tmp_path))
    runner.train()
    from runner_toys import ToyModel
    cpu_model = ToyModel()
    load_checkpoint(cpu_model, str(tmp_path / 'epoch_3.pth'), map_location='cpu')
    for name, value in runner.model.state_dict().items():
        assert torch.equal(cpu_model.state_dict()[name], value.cpu()), name


def test_ema_and_empty_cache_hooks_on_cuda(tmp_path):
    runner = Runner(**toy_runner_cfg(tmp_path, custom_hooks=[
        dict(type='EMAHook', momentum=0.01), dict(type='EmptyCacheHook', after_iter=True)]))
    runner.train()
    # every tensor was saved from the CPU, so the file loads on a machine without a GPU
    ckpt = torch.load(tmp_path / 'epoch_3.pth', weights_only=True)
    assert all(t.device.type == 'cpu' for t in [*ckpt['state_dict'].values(),
                                                 *ckpt['ema_state_dict'].values()])


def test_one_rank_nccl_run_under_torchrun(tmp_path):
    script = Path(__file__).parent / 'scripts' / 'dist_train.py'
    out = tmp_path / 'out'
    out.mkdir()
    env = dict(os.environ, OMP_NUM_THREADS='1', ENGINE_TEST_DIST_BACKEND='nccl')
    cmd = [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node', '1',
           '--master_addr', '127.0.0.1', '--master_port', str(_free_port()),
           str(script), str(tmp_path / 'work'), str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=240, env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert 'rank 0 wrapped in MMDistributedDataParallel, world size 1' in proc.stdout
    weights = torch.load(out / 'weights_rank0.pt', weights_only=True)
    assert all(v.device.type == 'cuda' for v in weights.values())
