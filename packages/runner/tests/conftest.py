"""Checks every runner test gets for free."""

from __future__ import annotations

import signal

import pytest


@pytest.fixture(autouse=True)
def _sigterm_is_handed_back():
    """CheckpointHook takes SIGTERM for the length of a training run: no test may
    leave it taken (a later SIGTERM would then be swallowed)."""
    before = signal.getsignal(signal.SIGTERM)
    yield
    assert signal.getsignal(signal.SIGTERM) is before, 'a SIGTERM handler was left behind'


@pytest.fixture(autouse=True, scope='session')
def _downloads_stay_in_a_temporary_cache(tmp_path_factory):
    """http(s) checkpoints are cached in torch's hub folder ($TORCH_HOME/hub): tests
    must not fill the user's ~/.cache/torch."""
    import os

    previous = os.environ.get('TORCH_HOME')
    os.environ['TORCH_HOME'] = str(tmp_path_factory.mktemp('torch_home'))
    yield
    if previous is None:
        os.environ.pop('TORCH_HOME', None)
    else:
        os.environ['TORCH_HOME'] = previous
