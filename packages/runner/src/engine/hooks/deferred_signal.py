"""Deferring SIGTERM to the end of a training iteration, so the work done so far is saved.

A cluster that preempts a job (Slurm, Kubernetes) sends SIGTERM and, after a grace
period, SIGKILL. ``CheckpointHook`` holds a :class:`DeferredSignal` for the length
of a single-process training run: SIGTERM then only marks the run; at the end of
the current iteration the hook saves a checkpoint and calls :meth:`stop`, which
sends SIGTERM again, now with the previous (default) disposition, so the process
ends as it would have at once. A second SIGTERM while the first is deferred acts
at once.

Left alone: a SIGTERM handler someone else installed (or an ignored SIGTERM),
threads other than the main one (Python handles signals there only), and
distributed runs, where ranks would first have to agree on the iteration to stop at.
"""

from __future__ import annotations

import os
import signal
import threading
from typing import Any


class DeferredSignal:
    """Turns one signal into a flag (``received``) while installed."""

    def __init__(self, signum: int = signal.SIGTERM) -> None:
        self.signum = signum
        self.received = False
        self._previous: Any = None
        self._owner_pid = None  # the process that installed the handler
        self._handler = self._handle  # one bound method: compared by identity below

    def install(self) -> bool:
        """Take over the signal; False (and nothing changed) where it is not ours to take."""
        if threading.current_thread() is not threading.main_thread():
            return False
        if signal.getsignal(self.signum) is not signal.SIG_DFL:
            return False
        self.received = False
        self._previous = signal.signal(self.signum, self._handler)
        self._owner_pid = os.getpid()
        return True

    def _handle(self, signum: int, frame: Any) -> None:
        signal.signal(signum, self._previous)  # a second signal acts at once
        if os.getpid() != self._owner_pid:
            # A forked child (a DataLoader worker, when a whole process group is
            # signalled): it ends with the trainer, which still needs its batches.
            return
        self.received = True

    def uninstall(self) -> None:
        """Give the signal back; one that arrived and was not acted on is delivered now."""
        if self._owner_pid != os.getpid():
            return
        if signal.getsignal(self.signum) is self._handler:
            signal.signal(self.signum, self._previous)
        self._owner_pid = None
        if self.received:  # e.g. during the final validation: nothing left to save
            self.stop()

    def stop(self) -> None:
        """End the process with the deferred signal, as if it had not been deferred."""
        self.received = False
        signal.signal(self.signum, self._previous)
        os.kill(os.getpid(), self.signum)
