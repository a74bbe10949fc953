"""HTTPBackend: read-only access to ``http://`` and ``https://`` URLs."""

from __future__ import annotations

import contextlib
import os
import posixpath
import tempfile
import urllib.parse
import weakref
from typing import Any, Iterator, Optional

from .base import BaseStorageBackend


class HTTPStatusError(OSError):
    """A URL answered with an HTTP error status (``.status``, ``.url``)."""

    def __init__(self, url: str, status: int, reason: str = '') -> None:
        self.url = url
        self.status = status
        super().__init__(f'HTTP {status} {reason} for url {url!r}'.replace('  ', ' '))


class HTTPNotFoundError(HTTPStatusError, FileNotFoundError):
    """HTTP 404: also a FileNotFoundError, like a missing local file."""


def _status_error(url: str, status: int, reason: str) -> HTTPStatusError:
    cls = HTTPNotFoundError if status == 404 else HTTPStatusError
    return cls(url, status, reason)


class HTTPBackend(BaseStorageBackend):
    """Download files over HTTP(S).

    Uses ``requests`` (the ``http`` extra) when it is installed, for keep-alive
    connection reuse; otherwise the stdlib ``urllib``. Only reads are supported.
    ``timeout`` (seconds) applies to each request; None waits forever.
    """

    def __init__(self, timeout: Optional[float] = None) -> None:
        self.timeout = timeout
        self._session: Any = None
        self._session_pid = -1

    def _requests_session(self) -> Any:
        try:
            import requests
        except ImportError:
            return None
        # A forked worker must not share the parent's sockets.
        if self._session is None or self._session_pid != os.getpid():
            self._session = requests.Session()
            self._session_pid = os.getpid()
            # backends are cached for the process's lifetime: close kept-alive
            # connections at exit rather than leaving them to the interpreter
            weakref.finalize(self, self._session.close)
        return self._session

    def get(self, filepath: str) -> bytes:
        url = str(filepath)
        session = self._requests_session()
        if session is not None:
            resp = session.get(url, timeout=self.timeout)
            if resp.status_code >= 400:
                raise _status_error(url, resp.status_code, resp.reason or '')
            return resp.content
        # imported here: urllib.request pulls in http.client and email (~10 ms)
        import urllib.error
        import urllib.request
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as resp:
                return resp.read()
        except urllib.error.HTTPError as e:
            e.close()  # the error holds the response and its socket
            raise _status_error(url, e.code, str(e.reason or '')) from None

    def get_text(self, filepath: str, encoding: str = 'utf-8') -> str:
        return self.get(filepath).decode(encoding)

    @contextlib.contextmanager
    def get_local_path(self, filepath: str) -> Iterator[str]:
        """Download to a temp file (keeping the URL's extension); removed on exit."""
        suffix = posixpath.splitext(urllib.parse.urlparse(str(filepath)).path)[1]
        data = self.get(filepath)
        f = tempfile.NamedTemporaryFile(delete=False, suffix=suffix)
        try:
            with f:
                f.write(data)
            yield f.name
        finally:
            os.remove(f.name)
