"""engine.dist across real processes: gloo groups on 127.0.0.1 (and torchrun once).

Each test starts one process per rank running a scenario of _dist_workers.py;
the scenario asserts the numbers the spec gives and exits non-zero on failure.
"""

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch

WORKERS = Path(__file__).with_name('_dist_workers.py')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _base_env(tmp_path: Path) -> dict:
    env = dict(os.environ)
    for key in list(env):
        if key.startswith(('SLURM_', 'OMPI_')) or key in ('RANK', 'WORLD_SIZE', 'LOCAL_RANK'):
            del env[key]
    env.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(_free_port()), SCRATCH=str(tmp_path),
               OMP_NUM_THREADS='1', PYTHONUNBUFFERED='1')
    return env


def _check(procs: list, timeout: float = 120, expect_rc: int = 0) -> list:
    outputs = []
    try:
        for p in procs:
            out, _ = p.communicate(timeout=timeout)
            outputs.append(out)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    report = '\n'.join(f'--- rank {i} (rc={p.returncode})\n{out}'
                       for i, (p, out) in enumerate(zip(procs, outputs)))
    assert all(p.returncode == expect_rc for p in procs), report
    return outputs


def run_group(scenario: str, world_size: int, tmp_path: Path, timeout: float = 120) -> list:
    """Start ``world_size`` ranks of ``scenario`` (cwd = tmp_path) and require all to pass."""
    env = _base_env(tmp_path)
    procs = []
    for rank in range(world_size):
        rank_env = dict(env, RANK=str(rank), WORLD_SIZE=str(world_size), LOCAL_RANK=str(rank))
        procs.append(subprocess.Popen([sys.executable, str(WORKERS), scenario], cwd=tmp_path,
                                      env=rank_env, stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, text=True))
    return _check(procs, timeout)


def test_two_rank_collectives_queries_and_collect_results(tmp_path):
    """T-25..T-30: all_reduce ops, gathers, broadcast, dicts, params, objects, collect_results,
    rank/backend queries, local group, master_only on a 2-process gloo group."""
    run_group('collectives', 2, tmp_path)
    assert not (tmp_path / '.dist_test').exists()
    assert list(tmp_path.iterdir()) == []


def test_three_rank_object_gathers_and_collect_order(tmp_path):
    """Docs' 3-rank examples: all_gather_object / gather_object / collect_results order."""
    run_group('three', 3, tmp_path)


def test_the_gloo_group_is_destroyed_at_exit_when_the_script_does_not(tmp_path):
    run_group('exit', 2, tmp_path)
    for rank in (0, 1):
        assert (tmp_path / f'exit_rank{rank}.txt').read_text() == 'initialized=False'


def test_stuck_rank_fails_collective_after_group_timeout(tmp_path):
    """init_dist(timeout=2): a rank that never joins makes the others raise, not hang."""
    out = run_group('timeout', 2, tmp_path, timeout=90)
    assert 'rank 0 failed after' in out[0]


def test_launchers_read_slurm_mpi_and_torchrun_environments(tmp_path):
    """slurm (SLURM_*), mpi (OMPI_*), pytorch (env://) in one process, each a 1-rank group."""
    run_group('launchers', 1, tmp_path)


@pytest.mark.skipif(shutil.which('torchrun', path=os.path.dirname(sys.executable)) is None,
                    reason='torchrun is not installed next to this interpreter')
def test_real_torchrun_two_processes(tmp_path):
    torchrun = shutil.which('torchrun', path=os.path.dirname(sys.executable))
    env = _base_env(tmp_path)
    proc = subprocess.Popen(
        [torchrun, '--nproc_per_node', '2', '--master_addr', '127.0.0.1', '--master_port',
         env['MASTER_PORT'], str(WORKERS), 'torchrun'],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = _check([proc])[0]
    assert 'torchrun rank 0 ok' in out and 'torchrun rank 1 ok' in out


@pytest.mark.skipif(not torch.cuda.is_available(),
                    reason='needs CUDA: checks CPU tensors moved to the GPU on nccl and back')
def test_nccl_moves_cpu_tensors_to_gpu_and_back(tmp_path):
    run_group('nccl', 1, tmp_path)
