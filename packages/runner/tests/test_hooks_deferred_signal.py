"""SIGTERM deferred to the end of an iteration (CheckpointHook's save_on_sigterm).

The end-to-end case (a process group signalled mid-run, the checkpoint saved, the
resumed run identical to an uninterrupted one) is in tests/test_crash_resume.py.
These check the handler's bookkeeping in-process, with signals that end nothing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

import pytest
import torch
from runner_toys import toy_runner_cfg

from engine.hooks import CheckpointHook, Hook
from engine.hooks.deferred_signal import DeferredSignal
from engine.runner import Runner


@pytest.fixture(autouse=True)
def _default_sigterm():
    """These tests start from SIGTERM's default, whatever the test process inherited."""
    previous = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    yield
    signal.signal(signal.SIGTERM, previous)

class _RecordHandler(Hook):
    def __init__(self):
        self.seen = []

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        self.seen.append(signal.getsignal(signal.SIGTERM))


def _run_snippet(code: str) -> subprocess.CompletedProcess:
    """``code`` in a fresh interpreter: signals there cannot end this test process."""
    return subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                          timeout=60)


def _checkpoint_hook(runner) -> CheckpointHook:
    (hook,) = [h for h in runner.hooks if isinstance(h, CheckpointHook)]
    return hook


def test_training_holds_sigterm_and_gives_it_back(tmp_path):
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    record = _RecordHandler()
    runner = Runner(**toy_runner_cfg(tmp_path, custom_hooks=[record],
                                     train_cfg=dict(by_epoch=True, max_epochs=1)))
    runner.train()
    handler = _checkpoint_hook(runner)._sigterm._handler
    assert record.seen and all(seen is handler for seen in record.seen)
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_a_failed_run_gives_sigterm_back_too(tmp_path):
    class Fail(Hook):
        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
            raise ValueError('boom')

    runner = Runner(**toy_runner_cfg(tmp_path, custom_hooks=[Fail()]))
    with pytest.raises(ValueError, match='boom'):
        runner.train()
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_opting_out_or_a_handler_of_ones_own_is_left_alone(tmp_path):
    record = _RecordHandler()
    hooks = dict(checkpoint=dict(type='CheckpointHook', interval=1, save_on_sigterm=False))
    Runner(**toy_runner_cfg(tmp_path / 'a', custom_hooks=[record], default_hooks=hooks)).train()
    assert set(record.seen) == {signal.SIG_DFL}

    def mine(signum, frame):
        pass

    previous = signal.signal(signal.SIGTERM, mine)
    try:
        record = _RecordHandler()
        Runner(**toy_runner_cfg(tmp_path / 'b', custom_hooks=[record])).train()
        assert set(record.seen) == {mine} and signal.getsignal(signal.SIGTERM) is mine
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_the_signal_becomes_a_flag_and_a_second_one_acts_at_once():
    deferred = DeferredSignal(signal.SIGUSR1)
    assert deferred.install()
    os.kill(os.getpid(), signal.SIGUSR1)  # handled before os.kill returns (main thread)
    assert deferred.received
    assert signal.getsignal(signal.SIGUSR1) is signal.SIG_DFL  # the next one is not deferred
    deferred.received = False  # acted on (here: nothing to do)
    deferred.uninstall()
    assert signal.getsignal(signal.SIGUSR1) is signal.SIG_DFL


def test_a_distributed_run_absorbs_repeated_signals():
    # torchrun forwards the SIGTERM it gets to ranks the cluster signalled already
    deferred = DeferredSignal(signal.SIGUSR1)
    assert deferred.install(absorb_repeats=True)
    os.kill(os.getpid(), signal.SIGUSR1)
    os.kill(os.getpid(), signal.SIGUSR1)  # would end this test process if not absorbed
    assert deferred.received
    assert signal.getsignal(signal.SIGUSR1) is deferred._handler
    deferred.received = False
    deferred.uninstall()
    assert signal.getsignal(signal.SIGUSR1) is signal.SIG_DFL


def test_a_forked_child_gets_the_default_back_even_when_repeats_are_absorbed():
    code = ('import os, signal\n'
            'from engine.hooks.deferred_signal import DeferredSignal\n'
            'd = DeferredSignal()\n'
            'assert d.install(absorb_repeats=True)\n'
            'pid = os.fork()\n'
            'if pid == 0:\n'
            '    os.kill(os.getpid(), signal.SIGTERM)  # a child outlives the first one\n'
            '    os.kill(os.getpid(), signal.SIGTERM)  # and ends with the second\n'
            '    os._exit(0)\n'
            '_, status = os.waitpid(pid, 0)\n'
            'print(os.WIFSIGNALED(status) and os.WTERMSIG(status), d.received)\n'
            'd.uninstall()\n')
    proc = _run_snippet(code)
    assert proc.stdout == f'{int(signal.SIGTERM)} False\n', proc.stderr


def test_stopping_without_holding_the_signal_exits_as_a_signalled_process_would():
    # a rank told to stop by the others' vote while its SIGTERM has someone else's handler
    deferred = DeferredSignal()
    with pytest.raises(SystemExit) as exc:
        deferred.stop()
    assert exc.value.code == 128 + signal.SIGTERM


def test_only_the_main_thread_can_take_a_signal():
    results = []
    thread = threading.Thread(target=lambda: results.append(DeferredSignal().install()))
    thread.start()
    thread.join()
    assert results == [False] and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_a_signal_not_acted_on_is_delivered_when_handed_back():
    # e.g. SIGTERM during the final validation, when no iteration is left to save
    code = ('import os, signal\n'
            'from engine.hooks.deferred_signal import DeferredSignal\n'
            'd = DeferredSignal()\n'
            'assert d.install()\n'
            'os.kill(os.getpid(), signal.SIGTERM)\n'
            'print("deferred", flush=True)\n'
            'd.uninstall()\n'
            'print("not reached", flush=True)\n')
    proc = _run_snippet(code)
    assert proc.stdout == 'deferred\n' and proc.returncode == -signal.SIGTERM, proc.stderr


_EPOCH_RUN = '''
import os, signal, sys
signal.signal(signal.SIGTERM, signal.SIG_DFL)  # as a fresh shell would start it
import torch
from runner_toys import toy_runner_cfg
from engine.hooks import Hook
from engine.runner import Runner

work, mode = sys.argv[1], sys.argv[2]

class Preempt(Hook):  # SIGTERM arrives during the 3rd iteration of epoch 2
    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if mode in ('plain', 'broken') and runner.iter == 8:
            os.kill(os.getpid(), signal.SIGTERM)

    def after_val_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if mode == 'val' and runner.epoch == 2 and batch_idx == 0:  # epoch 2's validation
            os.kill(os.getpid(), signal.SIGTERM)

class BrokenDisk(Hook):  # the disk fills up after epoch 1's checkpoint
    def before_save_checkpoint(self, runner, checkpoint):
        if runner.iter >= 8:
            raise OSError('No space left on device')

hooks = [Preempt()] + ([BrokenDisk()] if mode == 'broken' else [])
runner = Runner(**toy_runner_cfg(work, custom_hooks=hooks, resume=mode == 'resume',
                                 model=dict(type='ToyModel', dropout=0.3),
                                 log_level='INFO'))
runner.train()
torch.save(runner.model.state_dict(), os.path.join(work, f'final_{mode}.pt'))
'''


def _epoch_run(work, mode):
    env = dict(os.environ, PYTHONPATH=os.path.dirname(__file__), OMP_NUM_THREADS='1')
    return subprocess.run([sys.executable, '-c', _EPOCH_RUN, str(work), mode],
                          capture_output=True, text=True, timeout=180, env=env)


def stdout_of(proc) -> str:
    return proc.stdout + proc.stderr


def test_sigterm_in_an_epoch_based_run_saves_mid_epoch_and_resumes_exactly(tmp_path):
    reference = _epoch_run(tmp_path / 'ref', 'plain')
    assert reference.returncode == -signal.SIGTERM
    # the iteration in progress (the 9th, in epoch 2) is saved under an iteration name
    assert (tmp_path / 'ref' / 'iter_9.pth').is_file()
    assert 'SIGTERM received: saving iter_9.pth at 9 iterations' in reference.stdout
    resumed = _epoch_run(tmp_path / 'ref', 'resume')
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert 'resumed epoch: 1, iter: 9' in resumed.stdout

    uninterrupted_cfg = toy_runner_cfg(tmp_path / 'whole', model=dict(type='ToyModel',
                                                                      dropout=0.3))
    runner = Runner(**uninterrupted_cfg)
    runner.train()
    final = torch.load(tmp_path / 'ref' / 'final_resume.pt', weights_only=True)
    for key, value in runner.model.state_dict().items():
        assert torch.equal(value, final[key]), key
    # the save made on SIGTERM went once epoch 2's periodic checkpoint superseded it
    assert sorted(p.name for p in (tmp_path / 'ref').glob('*.pth')) == [
        'epoch_1.pth', 'epoch_2.pth', 'epoch_3.pth']


def test_sigterm_during_validation_stops_at_once_and_the_resumed_run_validates_again(
        tmp_path):
    stopped = _epoch_run(tmp_path / 'run', 'val')
    assert stopped.returncode == -signal.SIGTERM, stopped.stderr[-3000:]
    assert 'SIGTERM received during validation: stopping now' in stdout_of(stopped)
    assert 'Epoch(val) [2]' not in stdout_of(stopped)  # its second batch never ran
    # epoch 2's checkpoint, saved before its validation, is the resume point; the
    # validation that finished last is epoch 1's
    run = tmp_path / 'run'
    assert sorted(p.name for p in run.glob('*.pth')) == ['epoch_1.pth', 'epoch_2.pth']
    epoch_1 = torch.load(run / 'epoch_1.pth', weights_only=True)
    assert (run / 'last_validation').read_text() == str(epoch_1['meta']['iter'])

    resumed = _epoch_run(tmp_path / 'run', 'resume')
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert 'did not finish before the run stopped: running it first' in stdout_of(resumed)
    assert 'Epoch(val) [2]' in stdout_of(resumed)
    reference = Runner(**toy_runner_cfg(tmp_path / 'whole',
                                        model=dict(type='ToyModel', dropout=0.3)))
    reference.train()
    final = torch.load(run / 'final_resume.pt', weights_only=True)
    for key, value in reference.model.state_dict().items():
        assert torch.equal(value, final[key]), key


def test_a_failed_save_on_sigterm_is_reported_and_the_run_still_ends(tmp_path):
    proc = _epoch_run(tmp_path, 'broken')
    assert proc.returncode == -signal.SIGTERM
    assert 'Saving on SIGTERM failed' in proc.stdout and 'No space left on device' in proc.stdout
    assert not list(tmp_path.glob('iter_*.pth'))
    assert (tmp_path / 'last_checkpoint').read_text() == str(tmp_path / 'epoch_1.pth')
