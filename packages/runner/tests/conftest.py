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
