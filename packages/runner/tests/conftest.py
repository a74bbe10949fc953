"""Checks every runner test gets for free."""

from __future__ import annotations

import functools
import signal
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

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


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep test output clean
        pass


@pytest.fixture
def http_root(tmp_path):
    """A real HTTP server on 127.0.0.1 serving ``tmp_path/served``: (folder, base URL)."""
    root = tmp_path / 'served'
    root.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = ThreadingHTTPServer(('127.0.0.1', 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield root, f'http://127.0.0.1:{server.server_address[1]}'
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
