"""The ranks of a distributed run agree on the iteration at which to stop.

A preempted job gets SIGTERM on every rank, but not at the same instant, and a
launcher such as torchrun forwards its own copy as well. A rank that stopped on
its own would leave the others waiting in the next collective. So at the end of
each iteration every rank votes "I have been signalled" or not in an all-reduce
(MAX) and acts on the result of the previous iteration's vote: every rank sees
the same result at the same iteration, one iteration after the first signal.

The vote runs asynchronously on a gloo group of its own: it never waits on the
GPU, never mixes with the model's collectives (which may be NCCL), and its
latency hides behind one iteration.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.distributed as dist


class StopVote:
    """An asynchronous any-rank flag, polled once per iteration by every rank.

    Creating one is a collective (a new process group): every rank must create
    it at the same point, and every rank must call :meth:`poll` equally often.
    """

    def __init__(self) -> None:
        self._group = dist.new_group(backend='gloo')
        self._flag = torch.zeros(1, dtype=torch.int32)
        self._pending: Any = None  # the all-reduce started by the previous poll

    def poll(self, signalled: bool) -> bool:
        """Vote ``signalled``; True on every rank alike when any rank voted yes last time."""
        stop = False
        if self._pending is not None:
            self._pending.wait()
            stop = self._flag.item() > 0
        if stop:  # every rank is here: nobody starts another vote
            self._pending = None
            return True
        self._flag.fill_(int(signalled))
        self._pending = dist.all_reduce(self._flag, op=dist.ReduceOp.MAX, group=self._group,
                                        async_op=True)
        return False

    def barrier(self) -> None:
        """Wait until every rank is here (e.g. until rank 0 has written a checkpoint)."""
        dist.barrier(group=self._group)

    def close(self) -> None:
        """End of a run that every rank completed: finish the last vote, free the group."""
        if self._pending is not None:
            self._pending.wait()
            self._pending = None
        dist.destroy_process_group(self._group)
