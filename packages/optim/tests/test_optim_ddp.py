"""OptimWrapper with a real DistributedDataParallel model on a 2-process gloo group."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch.distributed as torch_dist

WORKER = Path(__file__).with_name('_optim_ddp_worker.py')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.mark.skipif(not torch_dist.is_available() or not torch_dist.is_gloo_available(),
                    reason='torch.distributed with gloo is not available')
def test_no_sync_during_accumulation_and_weights_match_single_process(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ('RANK', 'WORLD_SIZE', 'LOCAL_RANK') and not k.startswith('SLURM_')}
    # gloo on CPU by design: hide any GPU, or the AMP check would autocast on CUDA
    env.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(_free_port()), OMP_NUM_THREADS='1',
               CUDA_VISIBLE_DEVICES='')
    procs = [subprocess.Popen([sys.executable, str(WORKER)], cwd=tmp_path,
                              env=dict(env, RANK=str(r), WORLD_SIZE='2', LOCAL_RANK=str(r)),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for r in range(2)]
    outputs = []
    try:
        for p in procs:
            outputs.append(p.communicate(timeout=120)[0])
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    report = '\n'.join(f'--- rank {i} (rc={p.returncode})\n{out}'
                       for i, (p, out) in enumerate(zip(procs, outputs)))
    assert all(p.returncode == 0 for p in procs), report
    assert 'rank 0 ok' in outputs[0] and 'rank 1 ok' in outputs[1], report
