"""StopVote: two real gloo ranks agree on when to stop, voting about once a second.

Each rank runs this file as a script (see rank_processes.py) with a fake clock
on which an iteration takes 0.125 s on rank 0 (0.5 s on rank 1, whose clock must
not matter: rank 0 sets the pace). Rank 1 alone is signalled from iteration 52.
"""

from __future__ import annotations

import pytest
from rank_processes import report_and_exit, run_ranks


def _worker() -> None:
    import torch.distributed as dist

    from engine.hooks import stop_vote

    dist.init_process_group('gloo', init_method='env://')
    rank = dist.get_rank()
    now = [0.0]
    stop_vote._clock = lambda: now[0]
    vote = stop_vote.StopVote()
    votes, stopped_at = [], None
    for iteration in range(200):
        now[0] += 0.125 if rank == 0 else 0.5
        if vote._countdown == 1:
            votes.append(iteration)
        if vote.poll(signalled=rank == 1 and iteration >= 52):
            stopped_at = iteration
            break
    vote.barrier()
    report = dict(votes=votes, stopped_at=stopped_at)

    # a run that ends without a signal: the last vote is finished and the group freed
    quiet = stop_vote.StopVote()
    quiet.seconds_between_votes = 0  # vote every iteration
    report['quiet'] = [quiet.poll(signalled=False) for _ in range(5)]
    # between polls (a vote may be in flight): the smallest number any rank holds
    report['smallest'] = [quiet.smallest(4), quiet.smallest(4 + rank), quiet.smallest(3 - rank)]
    report['after'] = quiet.poll(signalled=False)
    quiet.close()
    dist.destroy_process_group()
    report_and_exit(report)


@pytest.mark.timeout(200)
def test_ranks_vote_about_once_a_second_and_stop_together(tmp_path):
    reports, _ = run_ranks(__file__, tmp_path, world_size=2, timeout=150)
    # vote 0 proposes 1 s / 0.125 s = 8 iterations; it is read at the next vote (1)
    expected_votes = [0, 1, 9, 17, 25, 33, 41, 49, 57, 65]
    for report in reports:
        assert report['votes'] == expected_votes
        # signalled at 52: the vote at 57 says so, and is read at 65 by every rank
        assert report['stopped_at'] == 65
        assert report['quiet'] == [False] * 5
        assert report['smallest'] == [4, 4, 2] and report['after'] is False


if __name__ == '__main__':
    _worker()
