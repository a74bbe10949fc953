"""Backend registries, get_file_backend and FileClient (FIO-01, 02, 13, 23..29, 40)."""

import warnings
from pathlib import Path

import pytest

import engine.fileio as fileio
from engine.fileio import (
    BaseStorageBackend,
    FileClient,
    FsspecBackend,
    HardDiskBackend,
    HTTPBackend,
    LocalBackend,
    get_file_backend,
    register_backend,
)
from engine.fileio import backends as backends_mod
from engine.fileio import io as fio


@pytest.fixture(autouse=True)
def restore_registries():
    """Registrations made by a test do not leak into the others."""
    saved = (dict(backends_mod.backends), dict(backends_mod.prefix_to_backends),
             dict(FileClient._backends), dict(FileClient._prefix_to_backends),
             dict(FileClient._instances), dict(fio.backend_instances))
    yield
    for target, old in zip((backends_mod.backends, backends_mod.prefix_to_backends,
                            FileClient._backends, FileClient._prefix_to_backends,
                            FileClient._instances, fio.backend_instances), saved):
        target.clear()
        target.update(old)


class GetOnly(BaseStorageBackend):
    def get(self, filepath):
        return b'get-only'


class Complete(GetOnly):
    def get_text(self, filepath, encoding='utf-8'):
        return 'text'


class Other(Complete):
    def get(self, filepath):
        return b'other'


def test_base_backend_is_abstract():
    with pytest.raises(TypeError):
        GetOnly()
    with pytest.raises(TypeError):
        BaseStorageBackend()
    b = Complete()
    assert b.name == 'Complete'
    assert LocalBackend().name == 'LocalBackend'
    with pytest.warns(DeprecationWarning):
        assert b.allow_symlink is False
    with pytest.warns(DeprecationWarning):
        assert LocalBackend().allow_symlink is True


def test_unsupported_operations_raise_not_implemented():
    with pytest.raises(NotImplementedError, match='HTTPBackend does not support `put`'):
        HTTPBackend().put(b'x', 'http://127.0.0.1/x')
    with pytest.raises(NotImplementedError, match='HTTPBackend does not support `exists`'):
        fileio.exists('http://127.0.0.1/x')
    with pytest.raises(NotImplementedError, match='generate_presigned_url'):
        fileio.generate_presigned_url('/local/file')


def test_default_registrations():
    b, p = backends_mod.backends, backends_mod.prefix_to_backends
    assert b['local'] is LocalBackend and p[''] is LocalBackend
    assert b['memcached'] is fileio.MemcachedBackend and b['lmdb'] is fileio.LmdbBackend
    assert p['petrel'] is p['s3'] is b['petrel'] is fileio.PetrelBackend
    assert p['http'] is p['https'] is b['http'] is HTTPBackend
    assert b['fsspec'] is FsspecBackend
    assert p['memory'] is p['file'] is p['gs'] is FsspecBackend
    # fsspec knows s3 too, but s3 stays with Petrel (spec decision 7)
    assert p['s3'] is fileio.PetrelBackend


def test_register_backend_call_and_decorator():
    assert register_backend('new', Complete) is None
    assert backends_mod.backends['new'] is Complete
    with pytest.raises(ValueError, match='new is already registered.*force=True'):
        register_backend('new', Other)
    register_backend('new', Other, force=True)
    assert backends_mod.backends['new'] is Other

    @register_backend('decorated', prefixes='deco')
    class Decorated(Complete):
        pass

    assert backends_mod.backends['decorated'] is Decorated
    assert isinstance(get_file_backend('deco://bucket/x'), Decorated)
    assert fileio.get('deco://bucket/x') == b'get-only'


def test_register_backend_validation():
    with pytest.raises(TypeError, match='name should be a string'):
        register_backend(1, Complete)
    with pytest.raises(TypeError, match='backend should be a class'):
        register_backend('x', 'not a class')
    with pytest.raises(TypeError, match='not a subclass of BaseStorageBackend'):
        register_backend('x', dict)
    with pytest.raises(AssertionError):
        register_backend('x', Complete, prefixes=1)
    register_backend('p1', Complete, prefixes=('pa', 'pb'))
    with pytest.raises(ValueError, match='pb is already registered'):
        register_backend('p2', Other, prefixes=['pc', 'pb'])
    # nothing was half-registered by the failed call
    assert 'p2' not in backends_mod.backends and 'pc' not in backends_mod.prefix_to_backends
    register_backend('p2', Other, prefixes=['pc', 'pb'], force=True)
    assert backends_mod.prefix_to_backends['pb'] is Other


def test_fsspec_can_take_s3_when_asked():
    register_backend('fsspec', FsspecBackend, prefixes='s3', force=True)
    assert isinstance(get_file_backend('s3://bucket/key'), FsspecBackend)


def test_parse_uri_prefix():
    assert fio._parse_uri_prefix(Path('/path/of/your/file')) == ''
    assert fio._parse_uri_prefix('https://host/x') == 'https'
    assert fio._parse_uri_prefix('s3://path/of/your/file') == 's3'
    assert fio._parse_uri_prefix('clusterName:s3://path/of/your/file') == 's3'
    with pytest.raises(AssertionError):
        fio._parse_uri_prefix(None)
    with pytest.raises(AssertionError):
        fio._parse_uri_prefix(['s3://x'])


def test_get_file_backend_selection():
    with pytest.raises(ValueError, match='uri should not be None'):
        get_file_backend(None)
    assert isinstance(get_file_backend(Path('/a/b')), LocalBackend)
    assert isinstance(get_file_backend('https://h/x'), HTTPBackend)
    assert isinstance(get_file_backend('http://h/x'), HTTPBackend)
    assert isinstance(get_file_backend(backend_args={'backend': 'local'}), LocalBackend)
    assert isinstance(get_file_backend('/a/b', backend_args={'backend': 'http'}), HTTPBackend)
    assert isinstance(get_file_backend('memory://x'), FsspecBackend)


def test_get_file_backend_errors_name_the_culprit():
    with pytest.raises(KeyError, match="storage backend 'hadoop' is not registered"):
        get_file_backend('/x', backend_args={'backend': 'hadoop'})
    with pytest.raises(KeyError, match="prefix 'nosuchproto'"):
        get_file_backend('nosuchproto://x')
    with pytest.raises(KeyError, match="prefix 'nosuchproto'"):
        fileio.get('nosuchproto://x')
    with pytest.raises(TypeError):  # bad constructor kwargs reach the class
        get_file_backend('/x', backend_args={'no_such_kwarg': 1})


def test_get_file_backend_finds_other_fsspec_protocols_lazily():
    # 'dir' is in fsspec's registry but not in the pre-registered prefixes
    assert 'dir' not in backends_mod.prefix_to_backends
    assert fio._backend_class('dir') is FsspecBackend


def test_get_file_backend_singleton():
    a = get_file_backend('/a', enable_singleton=True)
    b = get_file_backend(Path('/b'), enable_singleton=True)
    assert a is b and fio.backend_instances[':{}'] is a
    assert get_file_backend('/a', enable_singleton=False) is not a
    args = {'backend': 'fsspec', 'skip_instance_cache': True}
    c = get_file_backend('memory://x', backend_args=args, enable_singleton=True)
    assert args == {'backend': 'fsspec', 'skip_instance_cache': True}  # not mutated
    key = 'memory:{"backend": "fsspec", "skip_instance_cache": true}'
    assert fio.backend_instances[key] is c
    assert c.storage_options == {'skip_instance_cache': True}
    assert get_file_backend('memory://y', backend_args=dict(args), enable_singleton=True) is c
    assert get_file_backend('memory://y', backend_args={'backend': 'fsspec'},
                            enable_singleton=True) is not c


def _client(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', DeprecationWarning)
        return FileClient(*args, **kwargs)


def test_file_client_construction():
    with pytest.warns(DeprecationWarning, match='FileClient will be deprecated'):
        FileClient('disk')
    with pytest.raises(ValueError, match="Backend 'hadoop' is not supported"):
        _client('hadoop')
    with pytest.raises(ValueError, match="prefix 'hdfs' is not supported"):
        _client(prefix='hdfs')
    disk = _client('disk')
    assert disk.name == 'HardDiskBackend' and isinstance(disk.client, HardDiskBackend)
    assert _client() is disk
    assert disk.allow_symlink is True
    http = _client(prefix='https')
    assert http.name == 'HTTPBackend' and http.allow_symlink is False
    # backend wins over prefix; same args -> same object; different args -> new object
    both = _client(backend='disk', prefix='https')
    assert both.name == 'HardDiskBackend' and both is not disk
    assert _client(backend='disk', prefix='https') is both
    assert _client('http', timeout=3) is not _client('http', timeout=4)
    assert _client('http', timeout=3).client.timeout == 3


def test_hard_disk_backend_is_deprecated_alias():
    with pytest.warns(DeprecationWarning, match='alias of LocalBackend'):
        b = HardDiskBackend()
    assert isinstance(b, LocalBackend) and b.name == 'HardDiskBackend'


def test_file_client_parse_uri_prefix_and_infer():
    assert FileClient.parse_uri_prefix('s3://path/of/your/file') == 's3'
    assert FileClient.parse_uri_prefix('clusterName:s3://x') == 's3'
    assert FileClient.parse_uri_prefix('https://x') == 'https'
    assert FileClient.parse_uri_prefix('/local/path') is None
    assert FileClient.parse_uri_prefix(Path('/local/path')) is None
    with pytest.raises(AssertionError):
        FileClient.parse_uri_prefix(None)
    with pytest.raises(AssertionError):
        FileClient.parse_uri_prefix(['s3://x'])
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', DeprecationWarning)
        assert FileClient.infer_client({'backend': 'disk'}).name == 'HardDiskBackend'
        assert FileClient.infer_client(uri='/local/x').name == 'HardDiskBackend'
        assert FileClient.infer_client(uri='https://h/x').name == 'HTTPBackend'
        with pytest.raises(AssertionError):
            FileClient.infer_client()


def test_file_client_register_backend():
    FileClient.register_backend('example', Complete)
    with pytest.raises(KeyError, match='example is already registered'):
        FileClient.register_backend('example', Complete)
    with pytest.raises(TypeError, match='name should be a string'):
        FileClient.register_backend(1, Complete)
    with pytest.raises(TypeError, match='backend should be a class'):
        FileClient.register_backend('x', 'str')
    with pytest.raises(TypeError, match='not a subclass'):
        FileClient.register_backend('x', int)
    # FileClient's table is separate from the functional registry
    assert 'example' not in backends_mod.backends

    FileClient.register_backend('dummy', Complete)
    first = _client(backend='dummy')
    assert _client(backend='dummy') is first
    FileClient.register_backend('dummy', Other, force=True)
    second = _client(backend='dummy')
    assert second is not first and second.get('x') == b'other'
    assert _client(backend='dummy') is second

    @FileClient.register_backend('example4', prefixes='example4_prefix')
    class Example4(Complete):
        def get(self, filepath):
            return b'example4'

    assert _client(prefix='example4_prefix').get('example4_prefix://x') == b'example4'
    with pytest.raises(KeyError, match='example4_prefix is already registered'):
        FileClient.register_backend('example5', Other, prefixes='example4_prefix')


def test_file_client_delegates(tmp_path):
    c = _client('disk')
    p = tmp_path / 'sub' / 'f.txt'
    c.put(b'abc', p)
    assert c.get(p) == b'abc'
    c.put_text('text', p)
    assert c.get_text(p) == 'text'
    assert c.exists(p) and c.isfile(p) and c.isdir(tmp_path)
    assert c.join_path(str(tmp_path), 'sub') == str(tmp_path / 'sub')
    with c.get_local_path(p) as q:
        assert q == str(p)
    assert list(c.list_dir_or_file(tmp_path, recursive=True)) == ['sub', 'sub/f.txt']
    with pytest.raises(TypeError, match='`suffix` should be None'):
        list(c.list_dir_or_file(tmp_path, suffix='.txt'))
    c.remove(p)
    assert not c.exists(p)
    assert not hasattr(c, 'copyfile') and not hasattr(c, 'rmtree')
