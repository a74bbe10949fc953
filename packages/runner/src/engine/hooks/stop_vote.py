"""The ranks of a distributed run agree on the iteration at which to stop.

A preempted job gets SIGTERM on every rank, but not at the same instant, and a
launcher such as torchrun forwards its own copy as well. A rank that stopped on
its own would leave the others waiting in the next collective. So every rank
votes "I have been signalled" or not in an all-reduce (MAX) at the same
iterations, and acts on the result of the previous vote: every rank sees the
same result at the same iteration.

A vote costs ~0.1 ms of CPU (a gloo all-reduce started and, one vote later,
waited for), too much for every iteration of a fast CPU run. So the ranks vote
about once a second: rank 0 times the iterations and proposes, in each ballot,
how many iterations to wait until the next vote; the ranks take its proposal
from the result (MAX, the other ranks propose 0), so they all count alike.
A signal is acted on within about two seconds (two votes) and one iteration.

The vote runs asynchronously on a gloo group of its own: it never waits on the
GPU and never mixes with the model's collectives (which may be NCCL).
"""

from __future__ import annotations

import time
from typing import Any

import torch
import torch.distributed as dist

_clock = time.perf_counter


class StopVote:
    """An asynchronous any-rank flag that every rank polls once per iteration.

    Creating one is a collective (a new process group): every rank must create
    it at the same point, and every rank must call :meth:`poll` equally often.
    """

    #: Seconds between votes (rank 0 turns it into iterations); 0 votes every iteration.
    seconds_between_votes = 1.0
    _MAX_INTERVAL = 1_000_000

    def __init__(self) -> None:
        self._group = dist.new_group(backend='gloo')
        self._proposer = dist.get_rank() == 0
        self._ballot = torch.zeros(2, dtype=torch.int64)  # [signalled, next interval]
        self._pending: Any = None  # the all-reduce of the previous vote
        self._countdown = 1  # iterations until the next vote; the first poll votes
        self._interval = 1
        self._voted_at = _clock()

    def poll(self, signalled: bool) -> bool:
        """Called every iteration; True (on every rank alike) when the ranks must stop."""
        self._countdown -= 1
        if self._countdown > 0:
            return False
        interval = 1
        if self._pending is not None:
            self._pending.wait()
            any_signalled, interval = self._ballot.tolist()
            if any_signalled:  # every rank is here: nobody starts another vote
                self._pending = None
                return True
        self._countdown = interval
        proposal = self._propose() if self._proposer else 0
        self._ballot = torch.tensor([int(signalled), proposal], dtype=torch.int64)
        self._pending = dist.all_reduce(self._ballot, op=dist.ReduceOp.MAX, group=self._group,
                                        async_op=True)
        return False

    def _propose(self) -> int:
        """Iterations that take about ``seconds_between_votes``, from the last interval."""
        now = _clock()
        per_iteration = (now - self._voted_at) / self._interval
        self._voted_at = now
        self._interval = self._countdown  # the interval now starting (proposed a vote ago)
        if per_iteration <= 0:
            return self._MAX_INTERVAL if self.seconds_between_votes > 0 else 1
        return max(1, min(self._MAX_INTERVAL, round(self.seconds_between_votes / per_iteration)))

    def smallest(self, value: int) -> int:
        """The smallest ``value`` any rank passed (a collective, like :meth:`poll`)."""
        negated = torch.tensor([-value], dtype=torch.int64)
        dist.all_reduce(negated, op=dist.ReduceOp.MAX, group=self._group)
        return -int(negated.item())

    def barrier(self) -> None:
        """Wait until every rank is here (e.g. until rank 0 has written a checkpoint)."""
        dist.barrier(group=self._group)

    def close(self) -> None:
        """End of a run that every rank completed: finish the last vote, free the group."""
        if self._pending is not None:
            self._pending.wait()
            self._pending = None
        dist.destroy_process_group(self._group)
