"""§19.3 (the fileio chapter) reads and writes checkpoints with ``load_checkpoint``
and ``save_checkpoint`` (CKPT-10): run its example on a local path and on a
real HTTP server on 127.0.0.1 (the ``s3://`` lines need the petrel client)."""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn

from engine.runner import load_checkpoint, save_checkpoint


@pytest.fixture
def served(http_root, monkeypatch):
    monkeypatch.setenv('ENGINE_HOME', str(http_root[0].parent / 'engine_home'))
    return http_root


def test_seed_fileio_checkpoint_example(tmp_path, served, capsys):
    root, url = served
    weights = nn.Linear(2, 2).state_dict()
    torch.save({'state_dict': weights, 'meta': {'epoch': 3}}, tmp_path / 'checkpoint1.pth')
    torch.save({'state_dict': weights}, root / 'checkpoint3.pth')

    filepath1 = str(tmp_path / 'checkpoint1.pth')
    filepath3 = f'{url}/checkpoint3.pth'

    # read from the local disk, write it back
    checkpoint = load_checkpoint(filepath1)
    save_checkpoint(checkpoint, filepath1)
    # read from a remote URL
    remote = load_checkpoint(filepath3)

    assert checkpoint['meta'] == {'epoch': 3}
    again = torch.load(filepath1, weights_only=True)
    assert torch.equal(again['state_dict']['weight'], weights['weight'])
    assert torch.equal(remote['state_dict']['bias'], weights['bias'])
    out = capsys.readouterr().out
    assert f'local loads checkpoint from path: {filepath1}' in out
    assert f'http loads checkpoint from path: {filepath3}' in out


def test_one_argument_form_needs_a_path():
    with pytest.raises(TypeError, match='needs the checkpoint filename'):
        load_checkpoint(nn.Linear(1, 1))
