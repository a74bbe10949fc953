"""The functional file API: pick a backend from a path, then act on it."""

from __future__ import annotations

import json
import warnings
from contextlib import contextmanager
from io import BytesIO, StringIO
from pathlib import Path
from typing import Any, Dict, Iterator, Optional, Tuple, Union

from ._utils import is_filepath
from .backends import BaseStorageBackend, backends, prefix_to_backends
from .backends.fsspec_backend import RESERVED_PREFIXES, FsspecBackend, fsspec_knows
from .file_client import FileClient
from .handlers import file_handlers, register_handler

__all__ = [
    'get_file_backend', 'get', 'get_text', 'put', 'put_text', 'exists', 'isdir', 'isfile',
    'join_path', 'list_dir_or_file', 'get_local_path', 'copyfile', 'copytree',
    'copyfile_from_local', 'copytree_from_local', 'copyfile_to_local', 'copytree_to_local',
    'remove', 'rmtree', 'copy_if_symlink_fails', 'generate_presigned_url', 'load', 'dump',
    'file_handlers', 'register_handler', 'backend_instances',
]

PathLike = Union[str, Path]

# Singleton cache of get_file_backend(..., enable_singleton=True).
backend_instances: Dict[str, BaseStorageBackend] = {}


def _parse_uri_prefix(uri: PathLike) -> str:
    """``'s3'`` for ``'s3://x'`` or ``'cluster:s3://x'``; ``''`` without ``://``."""
    assert is_filepath(uri), f'uri should be a str or Path, got {type(uri).__name__}'
    uri = str(uri)
    if '://' not in uri:
        return ''
    return uri.split('://', 1)[0].rsplit(':', 1)[-1]


def _backend_class(prefix: str) -> type:
    cls = prefix_to_backends.get(prefix)
    if cls is not None:
        return cls
    # Protocols fsspec knows beyond the pre-registered ones (never the reserved ones).
    if prefix not in RESERVED_PREFIXES and fsspec_knows(prefix):
        return FsspecBackend
    raise KeyError(f'no storage backend is registered for prefix {prefix!r}; registered '
                   f'prefixes are {sorted(prefix_to_backends)} (register one with '
                   'register_backend(name, cls, prefixes=...))')


def get_file_backend(uri: Optional[PathLike] = None, *,
                     backend_args: Optional[dict] = None,
                     enable_singleton: bool = False) -> BaseStorageBackend:
    """The backend serving ``uri`` (by prefix) or ``backend_args['backend']``.

    The other ``backend_args`` are constructor kwargs. With
    ``enable_singleton=True`` instances are cached per prefix and args in
    ``backend_instances``. ``backend_args`` is never modified.

    Example:
        >>> get_file_backend('/tmp/x.json')
        <engine.fileio.backends.local_backend.LocalBackend ...>
    """
    if enable_singleton:
        if backend_args is None and isinstance(uri, (str, Path)):  # the hot path: one dict lookup
            uri_s = str(uri)
            key = (uri_s.split('://', 1)[0].rsplit(':', 1)[-1] if '://' in uri_s else '') + ':{}'
            inst = backend_instances.get(key)
            if inst is not None:
                return inst
    args = dict(backend_args) if backend_args is not None else {}
    if uri is None and 'backend' not in args:
        raise ValueError('uri should not be None when "backend" is not in backend_args: '
                         f'got uri=None, backend_args={backend_args!r}')
    prefix = '' if uri is None else _parse_uri_prefix(uri)
    key = f'{prefix}:{json.dumps(args)}'
    if enable_singleton and key in backend_instances:
        return backend_instances[key]

    name = args.pop('backend', None)
    if name is not None:
        if name not in backends:
            raise KeyError(f'storage backend {name!r} is not registered; registered '
                           f'backends are {sorted(backends)}')
        backend_cls = backends[name]
    else:
        backend_cls = _backend_class(prefix)
    backend = backend_cls(**args)
    if enable_singleton:
        backend_instances[key] = backend
    return backend


def _backend(path: PathLike, backend_args: Optional[dict]) -> BaseStorageBackend:
    return get_file_backend(path, backend_args=backend_args, enable_singleton=True)


def get(filepath: PathLike, backend_args: Optional[dict] = None) -> bytes:
    """Bytes of ``filepath`` from the backend its prefix selects."""
    return _backend(filepath, backend_args).get(filepath)


def get_text(filepath: PathLike, encoding: str = 'utf-8',
             backend_args: Optional[dict] = None) -> str:
    """Text of ``filepath``."""
    return _backend(filepath, backend_args).get_text(filepath, encoding)


def put(obj: bytes, filepath: PathLike, backend_args: Optional[dict] = None) -> None:
    """Write bytes; local writes create parent folders and are atomic."""
    _backend(filepath, backend_args).put(obj, filepath)


def put_text(obj: str, filepath: PathLike, backend_args: Optional[dict] = None) -> None:
    """Write utf-8 text; local writes create parent folders and are atomic."""
    _backend(filepath, backend_args).put_text(obj, filepath)


def exists(filepath: PathLike, backend_args: Optional[dict] = None) -> bool:
    return _backend(filepath, backend_args).exists(filepath)


def isdir(filepath: PathLike, backend_args: Optional[dict] = None) -> bool:
    return _backend(filepath, backend_args).isdir(filepath)


def isfile(filepath: PathLike, backend_args: Optional[dict] = None) -> bool:
    return _backend(filepath, backend_args).isfile(filepath)


def join_path(filepath: PathLike, *filepaths: PathLike,
              backend_args: Optional[dict] = None) -> str:
    """Join path components the way the first component's backend does."""
    return _backend(filepath, backend_args).join_path(filepath, *filepaths)


@contextmanager
def get_local_path(filepath: PathLike, backend_args: Optional[dict] = None) -> Iterator[str]:
    """A local path for ``filepath``: itself if local, else a temp copy removed on exit."""
    with _backend(filepath, backend_args).get_local_path(str(filepath)) as local_path:
        yield local_path


def copyfile(src: PathLike, dst: PathLike, backend_args: Optional[dict] = None) -> PathLike:
    """Copy a file within one backend (chosen by ``src``); returns the destination."""
    return _backend(src, backend_args).copyfile(src, dst)


def copytree(src: PathLike, dst: PathLike, backend_args: Optional[dict] = None) -> PathLike:
    """Copy a folder within one backend; ``dst`` must not exist."""
    return _backend(src, backend_args).copytree(src, dst)


def copyfile_from_local(src: PathLike, dst: PathLike,
                        backend_args: Optional[dict] = None) -> PathLike:
    """Upload local file ``src`` to ``dst`` (backend chosen by ``dst``)."""
    return _backend(dst, backend_args).copyfile_from_local(src, dst)


def copytree_from_local(src: PathLike, dst: PathLike,
                        backend_args: Optional[dict] = None) -> PathLike:
    """Upload local folder ``src`` to ``dst`` (backend chosen by ``dst``)."""
    return _backend(dst, backend_args).copytree_from_local(src, dst)


def copyfile_to_local(src: PathLike, dst: PathLike,
                      backend_args: Optional[dict] = None) -> PathLike:
    """Download ``src`` to local ``dst`` (backend chosen by ``src``)."""
    return _backend(src, backend_args).copyfile_to_local(src, dst)


def copytree_to_local(src: PathLike, dst: PathLike,
                      backend_args: Optional[dict] = None) -> PathLike:
    """Download folder ``src`` to local ``dst`` (backend chosen by ``src``)."""
    return _backend(src, backend_args).copytree_to_local(src, dst)


def remove(filepath: PathLike, backend_args: Optional[dict] = None) -> None:
    """Delete a file: FileNotFoundError if missing, IsADirectoryError for a folder."""
    _backend(filepath, backend_args).remove(filepath)


def rmtree(dir_path: PathLike, backend_args: Optional[dict] = None) -> None:
    """Delete a folder recursively."""
    _backend(dir_path, backend_args).rmtree(dir_path)


def copy_if_symlink_fails(src: PathLike, dst: PathLike,
                          backend_args: Optional[dict] = None) -> bool:
    """Symlink ``dst`` -> ``src`` if the backend can, else copy; True if linked."""
    return _backend(src, backend_args).copy_if_symlink_fails(src, dst)


def list_dir_or_file(dir_path: PathLike, list_dir: bool = True, list_file: bool = True,
                     suffix: Optional[Union[str, Tuple[str, ...]]] = None,
                     recursive: bool = False,
                     backend_args: Optional[dict] = None) -> Iterator[str]:
    """Yield folders and/or files under ``dir_path``, relative to it.

    ``suffix`` filters files and requires ``list_dir=False`` (TypeError otherwise).
    """
    yield from _backend(dir_path, backend_args).list_dir_or_file(
        dir_path, list_dir, list_file, suffix, recursive)


def generate_presigned_url(url: str, client_method: str = 'get_object',
                           expires_in: int = 3600, backend_args: Optional[dict] = None) -> str:
    """A pre-signed URL (backends without the notion raise NotImplementedError)."""
    return _backend(url, backend_args).generate_presigned_url(url, client_method, expires_in)


def check_args_conflict(file_client_args: Optional[dict], backend_args: Optional[dict],
                        stacklevel: int = 3) -> None:
    """FIO-48: warn about ``file_client_args`` first, then refuse it next to ``backend_args``."""
    if file_client_args is None:
        return
    warnings.warn('"file_client_args" will be deprecated; use "backend_args" instead',
                  DeprecationWarning, stacklevel=stacklevel)
    if backend_args is not None:
        raise ValueError('"file_client_args" and "backend_args" cannot be set at the '
                         f'same time (got file_client_args={file_client_args!r}, '
                         f'backend_args={backend_args!r}); use backend_args only')


def file_backend_for(path: str, file_client_args: Optional[dict] = None,
                     backend_args: Optional[dict] = None) -> Any:
    """The storage for ``path``: through FileClient when the deprecated
    ``file_client_args`` are given (its backend names, e.g. ``'disk'``), else
    :func:`get_file_backend`. The caller has checked that not both are given."""
    if file_client_args is not None:
        return FileClient.infer_client(file_client_args, path)
    return get_file_backend(path, backend_args=backend_args)


def _handler(file_format: Optional[str]) -> Any:
    handler = file_handlers.get(file_format) if file_format is not None else None
    if handler is None:
        raise TypeError(f'Unsupported format: {file_format} (registered formats: '
                        f'{sorted(file_handlers)}; pass file_format= or register a handler)')
    return handler


def _naming_the_file(err: Exception, file: str) -> Optional[Exception]:
    """``err`` again, of the same type, with ``file`` in its message (parsers omit it)."""
    if isinstance(err, json.JSONDecodeError):
        return json.JSONDecodeError(f'{err.msg} in {file}', err.doc, err.pos)
    try:
        return type(err)(f'{err} (while loading {file})')
    except Exception:  # an exception type that needs other arguments: keep it as it is
        return None


def load(file: Union[PathLike, Any], file_format: Optional[str] = None,
         file_client_args: Optional[dict] = None, backend_args: Optional[dict] = None,
         **kwargs: Any) -> Any:
    """Load a json/yaml/pickle (or registered) file from a path, URL or file object.

    The format comes from ``file_format`` or the path's extension.

    Example:
        >>> load('s3://bucket/test.json')  # doctest: +SKIP
    """
    if isinstance(file, Path):
        file = str(file)
    if file_format is None and isinstance(file, str):
        file_format = file.rsplit('.', 1)[-1] if '.' in file else file
    handler = _handler(file_format)
    check_args_conflict(file_client_args, backend_args)
    if isinstance(file, str):
        backend = file_backend_for(file, file_client_args, backend_args)
        content = backend.get_text(file) if handler.str_like else backend.get(file)
        try:
            with (StringIO if handler.str_like else BytesIO)(content) as f:
                return handler.load_from_fileobj(f, **kwargs)
        except Exception as err:
            named = _naming_the_file(err, file)
            if named is None:
                raise
            raise named from err
    if hasattr(file, 'read'):
        return handler.load_from_fileobj(file, **kwargs)
    raise TypeError(f'"file" must be a filepath str or a file-object, got {type(file)}')


def dump(obj: Any, file: Union[PathLike, Any, None] = None, file_format: Optional[str] = None,
         file_client_args: Optional[dict] = None, backend_args: Optional[dict] = None,
         **kwargs: Any) -> Union[str, bytes, None]:
    """Dump ``obj`` to a string (``file=None``), a path/URL or a file object.

    Returns the serialised str/bytes when ``file`` is None, else None. Local
    paths are written atomically.
    """
    if isinstance(file, Path):
        file = str(file)
    if file_format is None:
        if isinstance(file, str):
            file_format = file.rsplit('.', 1)[-1] if '.' in file else file
        elif file is None:
            raise ValueError('file_format must be specified since file is None')
    handler = _handler(file_format)
    check_args_conflict(file_client_args, backend_args)
    if file is None:
        return handler.dump_to_str(obj, **kwargs)
    if isinstance(file, str):
        backend = file_backend_for(file, file_client_args, backend_args)
        if handler.str_like:
            with StringIO() as f:
                handler.dump_to_fileobj(obj, f, **kwargs)
                backend.put_text(f.getvalue(), file)
        else:
            with BytesIO() as f:
                handler.dump_to_fileobj(obj, f, **kwargs)
                backend.put(f.getvalue(), file)
        return None
    if hasattr(file, 'write'):
        handler.dump_to_fileobj(obj, file, **kwargs)
        return None
    raise TypeError(f'"file" must be a filename str or a file-object, got {type(file)}')
