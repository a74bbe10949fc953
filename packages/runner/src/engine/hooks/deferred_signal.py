"""Deferring SIGTERM to the end of a training iteration, so the work done so far is saved.

A cluster that preempts a job (Slurm, Kubernetes) sends SIGTERM and, after a grace
period, SIGKILL. ``CheckpointHook`` holds a :class:`DeferredSignal` for the length
of a training run: SIGTERM then only marks the run; at the end of the current
iteration (in a distributed run: once the ranks have agreed, see ``stop_vote.py``)
the hook saves a checkpoint and calls :meth:`stop`, which sends SIGTERM again, now
with the previous (default) disposition, so the process ends as it would have at
once. In a single-process run a second SIGTERM while the first is deferred acts at
once; a distributed run absorbs repeats, since a launcher such as torchrun forwards
the SIGTERM it gets to ranks that the cluster has signalled already (the launcher
itself sends SIGKILL after its own grace period).

Left alone: a SIGTERM handler someone else installed (or an ignored SIGTERM), and
threads other than the main one (Python handles signals there only).
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
        self._absorb_repeats = False
        self._handler = self._handle  # one bound method: compared by identity below

    def install(self, absorb_repeats: bool = False) -> bool:
        """Take over the signal; False (and nothing changed) where it is not ours to take.

        ``absorb_repeats``: further signals only mark the run again (distributed runs);
        otherwise a second one acts at once.
        """
        if threading.current_thread() is not threading.main_thread():
            return False
        if signal.getsignal(self.signum) is not signal.SIG_DFL:
            return False
        self.received = False
        self._absorb_repeats = absorb_repeats
        self._previous = signal.signal(self.signum, self._handler)
        self._owner_pid = os.getpid()
        return True

    def _handle(self, signum: int, frame: Any) -> None:
        if os.getpid() != self._owner_pid:
            # A forked child (a DataLoader worker, when a whole process group is
            # signalled): it ends with the trainer, which still needs its batches;
            # a second signal ends it at once.
            signal.signal(signum, self._previous)
            return
        if not self._absorb_repeats:
            signal.signal(signum, self._previous)  # a second signal acts at once
        self.received = True

    def uninstall(self) -> None:
        """Give the signal back; one that arrived and was not acted on is delivered now."""
        if self._owner_pid != os.getpid():
            return
        if signal.getsignal(self.signum) is self._handler:
            signal.signal(self.signum, self._previous)
        self._owner_pid = None
        if self.received:  # e.g. during the final validation: nothing left to save
            self.received = False
            self._deliver()

    def stop(self) -> None:
        """End the process with the deferred signal, as if it had not been deferred.

        A rank of a distributed run may have to stop on another rank's signal without
        holding the signal itself (someone else's handler): it exits with the status
        a SIGTERM-ed process reports, 128 + the signal number.
        """
        self.received = False
        if self._owner_pid != os.getpid():
            raise SystemExit(128 + self.signum)
        self._owner_pid = None
        self._deliver()

    def _deliver(self) -> None:
        signal.signal(self.signum, self._previous)
        os.kill(os.getpid(), self.signum)
