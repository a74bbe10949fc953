"""LmdbBackend: read values from an LMDB database by key."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional, Union

from .._utils import missing_extra
from .base import BaseStorageBackend


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
        return lmdb.open(self.db_path, readonly=self.readonly, lock=self.lock,
                         readahead=self.readahead, **self.kwargs)

    def get(self, filepath: Union[str, Path]) -> Optional[bytes]:
        """Value stored under key ``filepath``; None if the key is absent."""
        if self._client is None:
            self._client = self._get_client()
        with self._client.begin(write=False) as txn:
            return txn.get(str(filepath).encode('ascii'))

    def get_text(self, filepath: Any, encoding: str = 'utf-8') -> str:
        raise NotImplementedError('LmdbBackend does not support `get_text`; use `get`')

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def __del__(self) -> None:
        client = getattr(self, '_client', None)
        if client is not None:
            client.close()
