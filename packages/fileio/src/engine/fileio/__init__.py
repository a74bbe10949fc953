"""engine.fileio: storage backends, the functional file API, load/dump and handlers.

Importing it loads no third-party package: backends import their client
(requests, lmdb, fsspec, pymemcache, petrel_client) when first built, and
YamlHandler imports PyYAML when first used.
"""

from .backends import (
                       BaseStorageBackend,
                       HTTPBackend,
                       LmdbBackend,
                       LocalBackend,
                       MemcachedBackend,
                       PetrelBackend,
                       register_backend,
)
from .backends import (
                       FsspecBackend as FsspecBackend,  # importable, not in __all__
)
from .file_client import FileClient, HardDiskBackend
from .handlers import BaseFileHandler, JsonHandler, PickleHandler, YamlHandler, register_handler
from .io import (
                       copy_if_symlink_fails,
                       copyfile,
                       copyfile_from_local,
                       copyfile_to_local,
                       copytree,
                       copytree_from_local,
                       copytree_to_local,
                       dump,
                       exists,
                       generate_presigned_url,
                       get,
                       get_file_backend,
                       get_local_path,
                       get_text,
                       isdir,
                       isfile,
                       join_path,
                       list_dir_or_file,
                       load,
                       put,
                       put_text,
                       remove,
                       rmtree,
)
from .io import (
                       file_backend_for as file_backend_for,  # importable, not in __all__
)
from .parse import dict_from_file, list_from_file

__version__ = "0.1.0"

__all__ = [
    'BaseStorageBackend', 'FileClient', 'PetrelBackend', 'MemcachedBackend', 'LmdbBackend',
    'HardDiskBackend', 'LocalBackend', 'HTTPBackend', 'copy_if_symlink_fails', 'copyfile',
    'copyfile_from_local', 'copyfile_to_local', 'copytree', 'copytree_from_local',
    'copytree_to_local', 'exists', 'generate_presigned_url', 'get', 'get_file_backend',
    'get_local_path', 'get_text', 'isdir', 'isfile', 'join_path', 'list_dir_or_file', 'put',
    'put_text', 'remove', 'rmtree', 'load', 'dump', 'register_handler', 'BaseFileHandler',
    'JsonHandler', 'PickleHandler', 'YamlHandler', 'list_from_file', 'dict_from_file',
    'register_backend',
]
# FsspecBackend is importable from here but kept out of __all__, which matches
# the seed's list exactly (engine.fileio.FsspecBackend still works).
