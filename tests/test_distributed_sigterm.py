"""Preempting a 2-process run (torchrun, gloo on CPU) costs no work.

The ranks agree on the iteration to stop at, so one rank signalled alone stops
the run as cleanly as a signal to the whole job; the checkpoint saved then is
resumed to the weights an uninterrupted run ends with.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch

SCRIPT = Path(__file__).parent / 'scripts' / 'dist_sigterm.py'


def _torchrun(work: Path, out: Path, mode: str, *extra: str) -> subprocess.CompletedProcess:
    out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, OMP_NUM_THREADS='1', CUDA_VISIBLE_DEVICES='')
    cmd = [sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node',
           '2', str(SCRIPT), str(work), str(out), mode, *extra]
    # a session of its own: mode 'group' signals the whole process group
    return subprocess.run(cmd, capture_output=True, text=True, timeout=240, env=env,
                          start_new_session=True)


def _checkpoints(work: Path) -> list:
    return sorted(p.name for p in work.glob('*.pth'))


def _output(proc) -> str:
    return proc.stdout[-4000:] + proc.stderr[-4000:]


def _ended_by_sigterm(proc) -> bool:
    # torchrun reports a worker killed by a signal in its error summary
    return proc.returncode != 0 and ('SIGTERM' in proc.stderr
                                     or f'Signal {int(signal.SIGTERM)}' in proc.stderr)


@pytest.mark.timeout(300)
def test_one_signalled_rank_stops_every_rank_at_the_same_iteration(tmp_path):
    work = tmp_path / 'work'
    proc = _torchrun(work, tmp_path / 'out', 'rank1')
    assert _ended_by_sigterm(proc), _output(proc)
    assert 'finished at iteration' not in proc.stdout, _output(proc)
    # signalled in iteration 4; the vote is read one iteration later, on both ranks
    assert _checkpoints(work) == ['epoch_1.pth', 'iter_5.pth'], _output(proc)
    assert (work / 'last_checkpoint').read_text().endswith('iter_5.pth')
    ckpt = torch.load(work / 'iter_5.pth', weights_only=True)
    assert ckpt['meta']['iter'] == 5
    assert len(ckpt['rng_state']) == 2  # both ranks joined the save


@pytest.mark.timeout(400)
def test_preempting_the_job_then_resuming_matches_an_uninterrupted_run(tmp_path):
    work = tmp_path / 'work'
    stopped = _torchrun(work, tmp_path / 'stopped', 'group')
    assert _ended_by_sigterm(stopped), _output(stopped)
    assert _checkpoints(work) == ['epoch_1.pth', 'iter_5.pth'], _output(stopped)

    resumed = _torchrun(work, tmp_path / 'resumed', 'none', 'resume')
    assert resumed.returncode == 0, _output(resumed)
    assert 'rank 0 finished at iteration 12' in resumed.stdout
    # the checkpoint saved on SIGTERM goes once a newer periodic one exists
    assert _checkpoints(work) == [f'epoch_{n}.pth' for n in (1, 2, 3, 4)]

    straight = _torchrun(tmp_path / 'straight', tmp_path / 'straight_out', 'none')
    assert straight.returncode == 0, _output(straight)
    for rank in (0, 1):
        ours = torch.load(tmp_path / 'resumed' / f'weights_rank{rank}.pt', weights_only=True)
        reference = torch.load(tmp_path / 'straight_out' / f'weights_rank{rank}.pt',
                               weights_only=True)
        assert ours.keys() == reference.keys()
        for key in ours:
            assert torch.equal(ours[key], reference[key]), key


@pytest.mark.timeout(400)
def test_signal_during_validation_stops_there_and_the_resumed_run_validates_again(tmp_path):
    """The checkpoint of the epoch before the validation is saved: the ranks agree to
    stop inside the validation instead of finishing it, and save nothing more."""
    work = tmp_path / 'work'
    _stop_inside_the_first_validation(work, tmp_path, 'val')

    resumed = _torchrun(work, tmp_path / 'resumed', 'none-val', 'resume')
    assert resumed.returncode == 0, _output(resumed)
    first_val = [line for line in resumed.stdout.splitlines() if line.startswith('VAL')][0]
    assert first_val.split()[1:3] == ['3', '0'], _output(resumed)  # epoch 1's again
    assert 'rank 0 finished at iteration 12' in resumed.stdout


@pytest.mark.timeout(300)
def test_signal_during_a_validation_with_unequal_batches_stops_in_the_shared_batches(tmp_path):
    """Without padding the ranks have 4 and 3 validation batches: they vote in the first
    3, so the stop still comes inside the validation, not after it."""
    _stop_inside_the_first_validation(tmp_path / 'work', tmp_path, 'val-unequal')


def _stop_inside_the_first_validation(work: Path, tmp_path: Path, mode: str) -> None:
    stopped = _torchrun(work, tmp_path / 'stopped', mode)
    assert _ended_by_sigterm(stopped), _output(stopped)
    batches = [line.split()[1:3] for line in stopped.stdout.splitlines()
               if line.startswith('VAL') and line.endswith('rank 0')]
    # rank 1 is signalled after batch 1 of rank 0's 4; with a vote at every batch, rank 0
    # stops no later than batch 2 (the vote is read one batch after it is cast)
    assert batches and all(it == '3' for it, _ in batches), _output(stopped)
    assert len(batches) < 4, _output(stopped)
    assert 'SIGTERM received during validation: stopping now' in _output(stopped)
    assert _checkpoints(work) == ['epoch_1.pth'], _output(stopped)
