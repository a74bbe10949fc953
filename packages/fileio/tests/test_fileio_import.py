"""Import hygiene and public names (FIO-51, section 0)."""

import subprocess
import sys

import engine.fileio as fileio

HEAVY = ('torch', 'numpy', 'yaml', 'requests', 'lmdb', 'fsspec', 'pymemcache', 'petrel_client')


def test_import_loads_no_heavy_or_optional_package():
    code = ('import sys, engine.fileio\n'
            f'heavy = {HEAVY!r}\n'
            'print(sorted(m for m in sys.modules if m.split(".")[0] in heavy))\n')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == '[]'


def test_import_skips_the_stdlib_http_client():
    # urllib.request pulls in http.client and email: only HTTP reads need them
    code = ('import sys, engine.fileio\n'
            'print(sorted(m for m in ("urllib.request", "http.client", "email") '
            'if m in sys.modules))\n')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == '[]'


def test_json_dump_does_not_import_numpy():
    code = ('import sys, engine.fileio as f\n'
            'print(f.dump({"a": {1}}, file_format="json"), "numpy" in sys.modules)\n')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == '{"a": [1]} False'


def test_public_names():
    expected = {
        'BaseStorageBackend', 'FileClient', 'PetrelBackend', 'MemcachedBackend', 'LmdbBackend',
        'HardDiskBackend', 'LocalBackend', 'HTTPBackend', 'copy_if_symlink_fails', 'copyfile',
        'copyfile_from_local', 'copyfile_to_local', 'copytree', 'copytree_from_local',
        'copytree_to_local', 'exists', 'generate_presigned_url', 'get', 'get_file_backend',
        'get_local_path', 'get_text', 'isdir', 'isfile', 'join_path', 'list_dir_or_file',
        'put', 'put_text', 'remove', 'rmtree', 'load', 'dump', 'register_handler',
        'BaseFileHandler', 'JsonHandler', 'PickleHandler', 'YamlHandler', 'list_from_file',
        'dict_from_file', 'register_backend'}
    assert set(fileio.__all__) == expected
    assert fileio.FsspecBackend is not None
    for name in fileio.__all__:
        assert getattr(fileio, name) is not None
    assert fileio.__version__ == '0.1.0'
    from engine.fileio import backends, file_client, handlers, io, parse
    assert backends.register_backend is fileio.register_backend
    assert isinstance(backends.backends, dict) and isinstance(backends.prefix_to_backends, dict)
    assert file_client.HardDiskBackend is fileio.HardDiskBackend
    assert io.file_handlers is handlers.file_handlers
    assert io.register_handler is handlers.register_handler
    assert parse.list_from_file is fileio.list_from_file
    assert callable(io._parse_uri_prefix) and isinstance(io.backend_instances, dict)
