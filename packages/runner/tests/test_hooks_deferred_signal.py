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
from runner_toys import toy_runner_cfg

from engine.hooks import CheckpointHook, Hook
from engine.hooks.deferred_signal import DeferredSignal
from engine.runner import Runner


class _RecordHandler(Hook):
    def __init__(self):
        self.seen = []

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        self.seen.append(signal.getsignal(signal.SIGTERM))


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
    proc = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                          timeout=60)
    assert proc.stdout == 'deferred\n' and proc.returncode == -signal.SIGTERM, proc.stderr
