"""LOG-13/14 and CKPT-04 in a real two-rank gloo group: per-rank log files only
with ``distributed=True``, rank 1's terminal shows errors only, and a state-dict
mismatch is reported by rank 0 alone.

Each rank runs this file as a script (see rank_processes.py).
"""

from __future__ import annotations

import os

import pytest
from rank_processes import report_and_exit, run_ranks


def _worker() -> None:
    import torch.distributed as dist
    import torch.nn as nn

    from engine.logging import MMLogger
    from engine.runner import load_state_dict

    dist.init_process_group('gloo', init_method='env://')
    rank = dist.get_rank()
    plain = MMLogger.get_instance('plain', log_file='plain.log')
    plain.info(f'plain info from rank {rank}')
    per_rank = MMLogger.get_instance('per_rank', log_file='logs/tmp.log', distributed=True)
    per_rank.info(f'info from rank {rank}')
    per_rank.error(f'error from rank {rank}')
    print(f'RANK{rank}-BEGIN-MISMATCH', flush=True)
    source = nn.Linear(1, 1).state_dict()
    source['ghost'] = source.pop('bias')
    load_state_dict(nn.Linear(1, 1), source)
    print(f'RANK{rank}-END-MISMATCH', flush=True)
    for logger in (plain, per_rank):
        for handler in logger.handlers:
            handler.flush()
    dist.barrier()
    dist.destroy_process_group()
    report_and_exit(dict(rank=rank, handlers=[[type(h).__name__, h.level]
                                               for h in per_rank.handlers]))


@pytest.mark.timeout(200)
def test_per_rank_log_files_and_terminal_levels(tmp_path):
    reports, outputs = run_ranks(__file__, tmp_path, world_size=2, timeout=150)
    assert sorted(os.listdir(tmp_path / 'logs')) == ['tmp.log', 'tmp_rank1.log']
    assert 'plain.log' in os.listdir(tmp_path) and 'plain_rank1.log' not in os.listdir(tmp_path)
    assert 'plain info from rank 0' in (tmp_path / 'plain.log').read_text()
    assert 'rank 1' not in (tmp_path / 'plain.log').read_text()
    rank1_file = (tmp_path / 'logs' / 'tmp_rank1.log').read_text()
    assert ' - mmengine - INFO - info from rank 1' in rank1_file
    assert ' - mmengine - ERROR - ' in rank1_file and 'error from rank 1' in rank1_file
    assert 'rank 0' not in rank1_file

    # rank 0 prints every level; rank 1's terminal only errors
    assert ' - mmengine - INFO - info from rank 0' in outputs[0]
    assert 'info from rank 1' not in outputs[1] and 'error from rank 1' in outputs[1]
    assert [r['handlers'] for r in reports] == [
        [['_StdoutHandler', 20], ['FileHandler', 20]],
        [['_StdoutHandler', 40], ['FileHandler', 20]]]

    def mismatch(out, rank):
        return out.split(f'RANK{rank}-BEGIN-MISMATCH')[1].split(f'RANK{rank}-END-MISMATCH')[0]

    assert 'unexpected key in source state_dict: ghost' in mismatch(outputs[0], 0)
    assert 'missing keys in source state_dict: bias' in mismatch(outputs[0], 0)
    assert mismatch(outputs[1], 1).strip() == ''


if __name__ == '__main__':
    _worker()
