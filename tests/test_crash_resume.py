"""Kill -9 a training process at chosen moments, resume with resume=True
('auto'), and check that nothing was lost: checkpoints are never torn,
`last_checkpoint` always names a complete file, at most one checkpoint
interval is redone, and the resumed run ends bit-identical to an
uninterrupted one. SIGTERM (preemption) loses not even that: the iteration in
progress is saved before the process ends."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch

SCRIPT = Path(__file__).parent / 'scripts' / 'crash_train.py'
ENV = dict(os.environ, OMP_NUM_THREADS='1')


def _run(work_dir: Path, out: Path, resume: bool = False, *options: str
         ) -> subprocess.CompletedProcess:
    cmd = [sys.executable, str(SCRIPT), str(work_dir), str(out), *options] + (
        ['--resume'] if resume else [])
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180, env=ENV)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    return proc


def _run_and_kill(work_dir: Path, out: Path, marker: str, occurrence: int) -> int:
    """Start a run, SIGKILL it at the ``occurrence``-th line starting with
    ``marker``; return the last iteration it announced."""
    proc = subprocess.Popen([sys.executable, str(SCRIPT), str(work_dir), str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            env=ENV)
    seen, last_iter = 0, -1
    try:
        for line in proc.stdout:
            if line.startswith('ITER'):
                last_iter = int(line.split()[1])
            if line.startswith(marker):
                seen += 1
                if seen == occurrence:
                    proc.send_signal(signal.SIGKILL)
                    break
        else:
            pytest.fail(f'the run ended before its {occurrence}th {marker!r}')
    finally:
        proc.wait(timeout=60)
        proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    return last_iter


def _assert_no_torn_checkpoint(work_dir: Path) -> None:
    for path in work_dir.glob('*.pth'):
        torch.load(path, weights_only=True)  # raises on a torn file
    pointer = work_dir / 'last_checkpoint'
    if pointer.exists():
        target = Path(pointer.read_text())
        assert target.exists(), 'last_checkpoint names a missing file'
        torch.load(target, weights_only=True)


@pytest.fixture(scope='module')
def reference(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp('reference')
    _run(folder / 'work', folder / 'final.pt')
    return torch.load(folder / 'final.pt', weights_only=True)


@pytest.mark.timeout(400)
@pytest.mark.parametrize('marker,occurrence', [
    ('ITER', 7),   # inside an iteration (between the 4th and 8th checkpoints)
    ('VAL', 3),    # during the second validation
    ('SAVE', 2),   # while the second checkpoint is being written
])
def test_kill_then_resume_loses_nothing(tmp_path, reference, marker, occurrence):
    work = tmp_path / 'work'
    killed_at = _run_and_kill(work, tmp_path / 'unused.pt', marker, occurrence)
    _assert_no_torn_checkpoint(work)

    proc = _run(work, tmp_path / 'final.pt', resume=True)
    resumed_iters = [int(line.split()[1]) for line in proc.stdout.splitlines()
                     if line.startswith('ITER')]
    # progress lost is at most one checkpoint interval (4 iterations)
    assert resumed_iters[0] >= killed_at - 4, (killed_at, resumed_iters[:3])
    assert resumed_iters[-1] == 15
    _assert_no_torn_checkpoint(work)
    assert not list(work.glob('.*.tmp')), 'temp files of the killed save were left behind'

    final = torch.load(tmp_path / 'final.pt', weights_only=True)
    for key, value in reference.items():
        assert torch.equal(value, final[key]), key


@pytest.mark.timeout(400)
def test_sigterm_to_the_process_group_saves_the_iteration_in_progress(tmp_path, reference):
    """What Slurm does on preemption: SIGTERM to every process of the job, the
    DataLoader workers included. No periodic checkpoint is due during the run."""
    work = tmp_path / 'work'
    options = ('--workers', '2', '--ckpt-interval', '100')
    proc = subprocess.Popen([sys.executable, str(SCRIPT), str(work), str(tmp_path / 'x.pt'),
                             *options], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=ENV, start_new_session=True)
    try:
        for line in proc.stdout:
            if line.startswith('ITER 6'):
                os.killpg(proc.pid, signal.SIGTERM)
                break
        else:
            pytest.fail('the run ended before iteration 6')
        rest = proc.stdout.read()
        stderr = proc.stderr.read()
    finally:
        proc.wait(timeout=120)
        proc.stdout.close()
        proc.stderr.close()
    # it ended by that SIGTERM, after saving the iteration it was in: the 7th, or a
    # later one on a machine slow enough that the signal landed after that iteration
    assert proc.returncode == -signal.SIGTERM, stderr[-3000:]
    saved = list(work.glob('iter_*.pth'))
    assert len(saved) == 1, stderr[-3000:]
    stopped_after = int(saved[0].stem.split('_')[1])
    assert 7 <= stopped_after < 16, saved
    assert (work / 'last_checkpoint').read_text() == str(saved[0])
    assert 'SIGTERM received: saving' in stderr + rest
    _assert_no_torn_checkpoint(work)

    resumed = _run(work, tmp_path / 'final.pt', True, *options)
    resumed_iters = [int(line.split()[1]) for line in resumed.stdout.splitlines()
                     if line.startswith('ITER')]
    assert resumed_iters[0] == stopped_after  # no iteration is trained twice
    final = torch.load(tmp_path / 'final.pt', weights_only=True)
    for key, value in reference.items():
        assert torch.equal(value, final[key]), key
