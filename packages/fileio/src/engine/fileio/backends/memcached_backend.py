"""MemcachedBackend: read values from memcached servers by key."""

from __future__ import annotations

import os
import sys
import weakref
from pathlib import Path
from typing import Any, List, Optional, Sequence, Tuple, Union

from .._utils import missing_extra
from .base import BaseStorageBackend

Server = Tuple[str, int]


def parse_server_list(server_list_cfg: Any) -> List[Server]:
    """Normalise the server list to ``[(host, port), ...]``.

    Accepts ``'host:port'``, ``(host, port)``, a list of either, or the path of
    a file with one ``host:port`` per line (the format of the legacy ``mc``
    client's server-list file; ``#`` starts a comment).
    """
    if isinstance(server_list_cfg, (str, Path)) and os.path.isfile(server_list_cfg):
        with open(server_list_cfg, encoding='utf-8') as f:
            lines = [ln.split('#', 1)[0].strip() for ln in f]
        return [_parse_server(ln, server_list_cfg) for ln in lines if ln]
    if isinstance(server_list_cfg, str) or (
            isinstance(server_list_cfg, tuple) and len(server_list_cfg) == 2
            and isinstance(server_list_cfg[1], int)):
        return [_parse_server(server_list_cfg, None)]
    if isinstance(server_list_cfg, (list, tuple)) and server_list_cfg:
        return [_parse_server(s, None) for s in server_list_cfg]
    raise TypeError('server_list_cfg must be "host:port", (host, port), a non-empty list of '
                    f'those, or a server-list file; got {server_list_cfg!r}')


def _parse_server(item: Any, source: Any) -> Server:
    if isinstance(item, (tuple, list)) and len(item) == 2:
        return str(item[0]), int(item[1])
    if isinstance(item, str) and ':' in item:
        host, _, port = item.rpartition(':')
        if port.isdigit():
            return host, int(port)
    where = f' in {str(source)!r}' if source is not None else ''
    raise ValueError(f'invalid memcached server {item!r}{where}: expected "host:port"')


class MemcachedBackend(BaseStorageBackend):
    """Memcached access through ``pymemcache`` (the ``memcached`` extra).

    Args:
        server_list_cfg: the servers (see :func:`parse_server_list`).
        client_cfg: keyword arguments for the pymemcache client (e.g.
            ``{'connect_timeout': 1}``), or None.
        sys_path: appended to ``sys.path`` before importing the client, for
            clients installed outside site-packages.
    """

    def __init__(self, server_list_cfg: Any, client_cfg: Optional[dict] = None,
                 sys_path: Optional[Union[str, Sequence[str]]] = None) -> None:
        if sys_path is not None:
            sys.path.extend([sys_path] if isinstance(sys_path, str) else list(sys_path))
        try:
            from pymemcache.client.hash import HashClient
        except ImportError:
            raise missing_extra('pymemcache', 'memcached', 'MemcachedBackend') from None
        if client_cfg is not None and not isinstance(client_cfg, dict):
            raise TypeError('client_cfg must be a dict of pymemcache client options or None, '
                            f'got {type(client_cfg).__name__}: {client_cfg!r}')
        self.server_list_cfg = server_list_cfg
        self.client_cfg = client_cfg
        self._servers = parse_server_list(server_list_cfg)
        self._client = HashClient(self._servers, **(client_cfg or {}))
        # backends are cached for the process's lifetime: close the sockets at exit
        weakref.finalize(self, self._client.close)

    def get(self, filepath: Union[str, Path]) -> Optional[bytes]:
        """Value stored under key ``filepath``; None if absent."""
        value = self._client.get(str(filepath))
        return None if value is None else bytes(value)

    def get_text(self, filepath: Any, encoding: str = 'utf-8') -> str:
        raise NotImplementedError('MemcachedBackend does not support `get_text`; use `get`')

    def close(self) -> None:
        self._client.close()
