"""LmdbBackend: read values from an LMDB database by key."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple, Union

from .._utils import missing_extra
from .base import BaseStorageBackend

# LMDB forbids opening one environment twice in a process, so backends on the
# same database share it: (real path, pid) -> [env, number of users].
_open_envs: Dict[Tuple[str, int], List[Any]] = {}
_envs_lock = threading.Lock()


class LmdbBackend(BaseStorageBackend):
    """Read-only LMDB access; the "filepath" is the key (ASCII).

    ``readonly``, ``lock``, ``readahead`` and ``**kwargs`` go to ``lmdb.open``.
    The environment opens lazily on the first ``get`` so that a backend built
    in a parent process can be used in forked dataloader workers.
    """

    def __init__(self, db_path: Union[str, Path], readonly: bool = True, lock: bool = False,
                 readahead: bool = False, **kwargs: Any) -> None:
        try:
            import lmdb  # noqa: F401
        except ImportError:
            raise missing_extra('lmdb', 'lmdb', 'LmdbBackend') from None
        self.db_path = str(db_path)
        self.readonly = readonly
        self.lock = lock
        self.readahead = readahead
        self.kwargs = kwargs
        self._client: Any = None

    def _get_client(self) -> Any:
        import lmdb
        key = (os.path.realpath(self.db_path), os.getpid())
        with _envs_lock:
            entry = _open_envs.get(key)
            if entry is None:
                env = lmdb.open(self.db_path, readonly=self.readonly, lock=self.lock,
                                readahead=self.readahead, **self.kwargs)
                entry = _open_envs[key] = [env, 0]
            entry[1] += 1
        self._env_key = key
        return entry[0]

    def get(self, filepath: Union[str, Path]) -> Optional[bytes]:
        """Value stored under key ``filepath``; None if the key is absent."""
        client = self._client
        if client is None:
            client = self._client = self._get_client()
        key = (filepath if type(filepath) is str else str(filepath)).encode('ascii')
        with client.begin() as txn:
            return txn.get(key)

    def get_text(self, filepath: Any, encoding: str = 'utf-8') -> str:
        raise NotImplementedError('LmdbBackend does not support `get_text`; use `get`')

    def close(self) -> None:
        """Release the environment (closed when its last backend lets go)."""
        if self._client is None:
            return
        self._client = None
        with _envs_lock:
            entry = _open_envs.get(self._env_key)
            if entry is not None:
                entry[1] -= 1
                if entry[1] <= 0:
                    del _open_envs[self._env_key]
                    entry[0].close()

    def __del__(self) -> None:
        if getattr(self, '_client', None) is not None:
            self.close()
