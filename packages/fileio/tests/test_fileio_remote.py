"""Remote backends against real components: http.server, LMDB, fsspec, memcached.

Petrel's SDK is not installable: its ImportError and the client-free path
logic are tested (FIO-14..22, 34, 36, 40).
"""

import functools
import http.server
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

import engine.fileio as fileio
from engine.fileio import FileClient, FsspecBackend, HTTPBackend, LmdbBackend
from engine.fileio.backends import HTTPNotFoundError, HTTPStatusError
from engine.fileio.backends import petrel_backend as pb
from engine.fileio.backends.memcached_backend import MemcachedBackend, parse_server_list


# ---------------------------------------------------------------- HTTP
class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope='module')
def http_root(tmp_path_factory):
    """Serve a temp folder on 127.0.0.1 from a thread; yields (root_dir, base_url)."""
    root = tmp_path_factory.mktemp('www')
    (root / 'hello.txt').write_text('hello world')
    (root / 'data.json').write_text('{"a": [1, 2]}')
    (root / 'list.txt').write_text('a\nb\nc\nd\ne\n')
    (root / 'utf16.txt').write_bytes('hi'.encode('utf-16'))
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f'http://127.0.0.1:{server.server_address[1]}'
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize('use_requests', [True, False])
def test_http_get_and_get_text(http_root, monkeypatch, use_requests):
    if not use_requests:
        monkeypatch.setitem(sys.modules, 'requests', None)  # as if not installed
    _, base = http_root
    b = HTTPBackend()
    assert b.get(f'{base}/hello.txt') == b'hello world'
    assert b.get_text(f'{base}/hello.txt') == 'hello world'
    assert b.get_text(f'{base}/utf16.txt', encoding='utf-16') == 'hi'
    assert fileio.get(f'{base}/hello.txt') == b'hello world'
    assert fileio.load(f'{base}/data.json') == {'a': [1, 2]}
    assert fileio.list_from_file(f'{base}/list.txt', offset=3) == ['d', 'e']
    with pytest.raises(HTTPNotFoundError, match=r'HTTP 404 .*missing\.txt') as exc:
        b.get(f'{base}/missing.txt')
    assert isinstance(exc.value, FileNotFoundError) and exc.value.status == 404
    with pytest.raises(FileNotFoundError, match='nope.json'):
        fileio.load(f'{base}/nope.json')


def test_http_uses_requests_session_when_available(http_root):
    pytest.importorskip('requests')
    _, base = http_root
    b = HTTPBackend(timeout=5)
    b.get(f'{base}/hello.txt')
    session = b._session
    b.get(f'{base}/hello.txt')
    assert session is not None and b._session is session


def test_http_status_error_for_other_codes(http_root):
    _, base = http_root
    # the stdlib server answers 501 to methods it does not implement; build the error directly
    err = HTTPStatusError(f'{base}/x', 500, 'Server Error')
    assert not isinstance(err, FileNotFoundError) and '500' in str(err)


def test_http_get_local_path_removes_temp_file(http_root):
    _, base = http_root
    with fileio.get_local_path(f'{base}/data.json') as path:
        assert os.path.isfile(path) and path.endswith('.json')
        assert Path(path).read_text() == '{"a": [1, 2]}'
    assert not os.path.exists(path)
    with pytest.raises(RuntimeError):
        with HTTPBackend().get_local_path(f'{base}/hello.txt') as path:
            raise RuntimeError('user code failed')
    assert not os.path.exists(path)


def test_http_file_client(http_root):
    _, base = http_root
    with pytest.warns(DeprecationWarning):
        client = FileClient.infer_client(uri=f'{base}/hello.txt')
    assert client.name == 'HTTPBackend'
    assert client.get_text(f'{base}/hello.txt') == 'hello world'
    with client.get_local_path(f'{base}/hello.txt') as p:
        assert Path(p).read_text() == 'hello world'
    assert not os.path.exists(p)


def test_http_copyfile_to_local_is_unsupported(http_root, tmp_path):
    _, base = http_root
    with pytest.raises(NotImplementedError, match='HTTPBackend does not support'):
        fileio.copyfile_to_local(f'{base}/hello.txt', tmp_path / 'x')


# ---------------------------------------------------------------- LMDB
@pytest.fixture
def lmdb_path(tmp_path):
    lmdb = pytest.importorskip('lmdb')
    path = tmp_path / 'db.lmdb'
    env = lmdb.open(str(path), map_size=1 << 24)
    with env.begin(write=True) as txn:
        txn.put(b'baboon', b'\x89PNG fake image bytes')
        txn.put(b'key/with/slashes', b'v2')
    env.close()
    return path


def test_lmdb_get(lmdb_path):
    b = LmdbBackend(lmdb_path)
    assert b.db_path == str(lmdb_path) and b._client is None  # opened lazily
    assert b.get('baboon') == b'\x89PNG fake image bytes'
    assert b._client is not None
    assert b.get(Path('key/with/slashes')) == b'v2'
    assert b.get('missing') is None
    with pytest.raises(NotImplementedError, match='LmdbBackend does not support `get_text`'):
        b.get_text('baboon')
    with pytest.raises(UnicodeEncodeError):
        b.get('n\u00f6n-ascii')
    b.close()


def test_lmdb_through_functional_api_and_file_client(lmdb_path):
    args = {'backend': 'lmdb', 'db_path': str(lmdb_path)}
    assert fileio.get('baboon', backend_args=args) == b'\x89PNG fake image bytes'
    with pytest.warns(DeprecationWarning):
        client = FileClient('lmdb', db_path=str(lmdb_path))
    assert client.get('key/with/slashes') == b'v2'


def test_lmdb_backends_share_one_environment(lmdb_path):
    from engine.fileio.backends import lmdb_backend
    a, b = LmdbBackend(lmdb_path), LmdbBackend(str(lmdb_path))
    assert a.get('baboon') == b.get('baboon')
    assert a._client is b._client
    a.close()
    assert b.get('key/with/slashes') == b'v2'  # still open for b
    b.close()
    assert not any(k[0] == os.path.realpath(lmdb_path) for k in lmdb_backend._open_envs)


def test_lmdb_missing_package_message(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, 'lmdb', None)
    with pytest.raises(ImportError, match=r'pip install "engine-fileio\[lmdb\]"'):
        LmdbBackend(tmp_path)


def test_lmdb_missing_db_raises(tmp_path):
    pytest.importorskip('lmdb')
    b = LmdbBackend(tmp_path / 'nope')
    with pytest.raises(Exception, match='nope'):
        b.get('k')


# ---------------------------------------------------------------- fsspec
@pytest.fixture
def mem_root():
    pytest.importorskip('fsspec')
    root = f'memory://test-{uuid.uuid4().hex}'
    yield root
    import fsspec
    fs = fsspec.filesystem('memory')
    if fs.exists(root):
        fs.rm(root, recursive=True)


def test_fsspec_memory_roundtrip(mem_root):
    p = f'{mem_root}/dir/a.txt'
    fileio.put(b'bytes', p)
    assert fileio.get(p) == b'bytes'
    fileio.put_text('t\u00e9xt', p)
    assert fileio.get_text(p) == 't\u00e9xt'
    assert fileio.exists(p) and fileio.isfile(p) and not fileio.isdir(p)
    assert fileio.isdir(f'{mem_root}/dir')
    assert not fileio.exists(f'{mem_root}/missing')
    assert fileio.join_path(mem_root, 'dir', '/a.txt') == p
    assert fileio.join_path(mem_root + '/', 'x') == f'{mem_root}/x'
    fileio.dump({'k': [1, 2]}, f'{mem_root}/cfg.yaml')
    assert fileio.load(f'{mem_root}/cfg.yaml') == {'k': [1, 2]}
    fileio.dump({'k': 1}, f'{mem_root}/obj.pkl')
    assert fileio.load(f'{mem_root}/obj.pkl') == {'k': 1}
    with pytest.raises(FileNotFoundError):
        fileio.get(f'{mem_root}/missing')


def test_fsspec_memory_listing_copy_remove(mem_root, tmp_path):
    for rel in ('text1.txt', 'text2.txt', 'dir1/text3.txt', 'dir2/img.jpg',
                'dir2/dir3/text4.txt'):
        fileio.put_text(rel, f'{mem_root}/{rel}')
    ls = functools.partial(fileio.list_dir_or_file, mem_root)
    assert set(ls()) == {'dir1', 'dir2', 'text1.txt', 'text2.txt'}
    assert set(ls(list_file=False, recursive=True)) == {'dir1', 'dir2', 'dir2/dir3'}
    assert set(ls(list_dir=False, recursive=True, suffix='.txt')) == {
        'text1.txt', 'text2.txt', 'dir1/text3.txt', 'dir2/dir3/text4.txt'}
    with pytest.raises(TypeError, match='`suffix` should be None'):
        list(ls(suffix='.txt'))

    assert fileio.copyfile(f'{mem_root}/text1.txt', f'{mem_root}/copy.txt') == \
        f'{mem_root}/copy.txt'
    assert fileio.copyfile(f'{mem_root}/text1.txt', f'{mem_root}/dir1') == \
        f'{mem_root}/dir1/text1.txt'
    assert fileio.get_text(f'{mem_root}/dir1/text1.txt') == 'text1.txt'
    import shutil as _sh
    with pytest.raises(_sh.SameFileError):
        fileio.copyfile(f'{mem_root}/copy.txt', f'{mem_root}/copy.txt')
    assert fileio.copytree(f'{mem_root}/dir2', f'{mem_root}/dir9') == f'{mem_root}/dir9'
    assert fileio.get_text(f'{mem_root}/dir9/dir3/text4.txt') == 'dir2/dir3/text4.txt'
    with pytest.raises(FileExistsError):
        fileio.copytree(f'{mem_root}/dir2', f'{mem_root}/dir1')
    assert fileio.copy_if_symlink_fails(f'{mem_root}/copy.txt', f'{mem_root}/c2.txt') is False
    assert fileio.get_text(f'{mem_root}/c2.txt') == 'text1.txt'

    # local <-> remote, backend chosen by the remote side (E17)
    local = tmp_path / 'local.txt'
    local.write_text('up')
    assert fileio.copyfile_from_local(local, f'{mem_root}/up.txt') == f'{mem_root}/up.txt'
    assert fileio.copyfile_from_local(local, f'{mem_root}/dir1') == \
        f'{mem_root}/dir1/local.txt'
    assert fileio.get_text(f'{mem_root}/up.txt') == 'up'
    down = fileio.copyfile_to_local(f'{mem_root}/up.txt', tmp_path / 'down.txt')
    assert down == tmp_path / 'down.txt' and down.read_text() == 'up'
    assert fileio.copyfile_to_local(f'{mem_root}/up.txt', tmp_path) == tmp_path / 'up.txt'
    assert fileio.copytree_to_local(f'{mem_root}/dir2', tmp_path / 'd2') == tmp_path / 'd2'
    assert (tmp_path / 'd2' / 'dir3' / 'text4.txt').read_text() == 'dir2/dir3/text4.txt'
    assert fileio.copytree_from_local(tmp_path / 'd2', f'{mem_root}/d2up') == \
        f'{mem_root}/d2up'
    assert fileio.get_text(f'{mem_root}/d2up/img.jpg') == 'dir2/img.jpg'

    with fileio.get_local_path(f'{mem_root}/dir2/img.jpg') as p:
        assert p.endswith('.jpg') and Path(p).read_text() == 'dir2/img.jpg'
    assert not os.path.exists(p)

    fileio.remove(f'{mem_root}/copy.txt')
    assert not fileio.exists(f'{mem_root}/copy.txt')
    with pytest.raises(FileNotFoundError, match='copy.txt'):
        fileio.remove(f'{mem_root}/copy.txt')
    with pytest.raises(IsADirectoryError, match='dir1'):
        fileio.remove(f'{mem_root}/dir1')
    fileio.rmtree(f'{mem_root}/dir2')
    assert not fileio.exists(f'{mem_root}/dir2')
    with pytest.raises(NotImplementedError):
        fileio.generate_presigned_url(f'{mem_root}/text1.txt')


def test_fsspec_file_protocol(tmp_path):
    pytest.importorskip('fsspec')
    url = f'file://{tmp_path}/sub/x.json'
    fileio.dump({'a': 1}, url)
    assert (tmp_path / 'sub' / 'x.json').read_text() == '{"a": 1}'
    assert fileio.load(url) == {'a': 1}
    with fileio.get_local_path(url) as p:  # local files are not copied
        assert p == str(tmp_path / 'sub' / 'x.json')
    assert (tmp_path / 'sub' / 'x.json').exists()
    assert set(fileio.list_dir_or_file(f'file://{tmp_path}', recursive=True)) == {
        'sub', 'sub/x.json'}
    assert os.listdir(tmp_path / 'sub') == ['x.json']  # atomic write left no temp file


def test_fsspec_backend_args_route_any_url(mem_root):
    args = {'backend': 'fsspec'}
    fileio.put(b'x', f'{mem_root}/f', backend_args=args)
    assert isinstance(fileio.get_file_backend(f'{mem_root}/f', backend_args=args),
                      FsspecBackend)
    assert fileio.get(f'{mem_root}/f', backend_args=args) == b'x'


def test_fsspec_missing_package_message(monkeypatch):
    monkeypatch.setitem(sys.modules, 'fsspec', None)
    with pytest.raises(ImportError, match=r'pip install "engine-fileio\[fsspec\]"'):
        FsspecBackend()


# ---------------------------------------------------------------- memcached
def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.fixture(scope='module')
def memcached_server():
    binary = shutil.which('memcached')
    if binary is None:
        pytest.skip('the memcached binary is not on PATH (apt-get install memcached)')
    pytest.importorskip('pymemcache')
    port = _free_port()
    cmd = [binary, '-l', '127.0.0.1', '-p', str(port), '-U', '0', '-m', '16']
    if os.geteuid() == 0:
        cmd += ['-u', 'root']
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(('127.0.0.1', port), timeout=0.2).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f'memcached did not start: {proc.stderr.read().decode()}')
            time.sleep(0.02)
    yield '127.0.0.1', port
    proc.terminate()
    proc.wait(timeout=5)
    proc.stderr.close()


def test_memcached_get(memcached_server, tmp_path):
    from pymemcache.client.base import Client
    host, port = memcached_server
    seeder = Client((host, port))
    seeder.set('img/0001.jpg', b'\x00\xffjpeg', noreply=False)
    seeder.close()
    b = MemcachedBackend(f'{host}:{port}', {'connect_timeout': 2})
    assert b.server_list_cfg == f'{host}:{port}' and b.client_cfg == {'connect_timeout': 2}
    assert b.get('img/0001.jpg') == b'\x00\xffjpeg'
    assert b.get('missing') is None
    with pytest.raises(NotImplementedError, match='MemcachedBackend does not support'):
        b.get_text('img/0001.jpg')
    cfg = tmp_path / 'server_list.conf'
    cfg.write_text(f'# servers\n{host}:{port}\n')
    args = {'backend': 'memcached', 'server_list_cfg': str(cfg), 'client_cfg': None}
    assert fileio.get('img/0001.jpg', backend_args=args) == b'\x00\xffjpeg'
    b.close()


def test_memcached_config_errors(monkeypatch, tmp_path):
    assert parse_server_list('h:1') == [('h', 1)]
    assert parse_server_list(('h', 2)) == [('h', 2)]
    assert parse_server_list(['a:1', ('b', 2)]) == [('a', 1), ('b', 2)]
    with pytest.raises(ValueError, match="'nohost'.*expected \"host:port\""):
        parse_server_list('nohost')
    bad = tmp_path / 'bad.conf'
    bad.write_text('h:x\n')
    with pytest.raises(ValueError, match='bad.conf'):
        parse_server_list(str(bad))
    with pytest.raises(TypeError, match='server_list_cfg must be'):
        parse_server_list(None)
    pytest.importorskip('pymemcache')
    with pytest.raises(TypeError, match='client_cfg must be a dict'):
        MemcachedBackend('h:1', '/path/to/client.conf')
    monkeypatch.setitem(sys.modules, 'pymemcache.client.hash', None)
    with pytest.raises(ImportError, match=r'pip install "engine-fileio\[memcached\]"'):
        MemcachedBackend('h:1', None, sys_path=str(tmp_path))
    assert sys.path[-1] == str(tmp_path)
    sys.path.remove(str(tmp_path))


# ---------------------------------------------------------------- Petrel
def test_petrel_missing_sdk_message(monkeypatch):
    monkeypatch.setitem(sys.modules, 'petrel_client', None)
    with pytest.raises(ImportError, match='petrel_client.*FsspecBackend'):
        fileio.PetrelBackend()
    with pytest.raises(ImportError, match='petrel_client'):
        fileio.get('s3://bucket/key')
    with pytest.raises(ImportError, match='petrel_client'):
        fileio.list_from_file('petrel://bucket/a.txt')


def test_petrel_path_normalisation_without_sdk():
    mapping = {'src': 'dst', 'a/': 'b/'}
    assert pb.map_path('s3://src/a/src.jpg', mapping) == 's3://dst/b/src.jpg'
    assert pb.map_path(Path('x'), None) == 'x'
    assert pb.format_path('s3://user\\data\\\\test.jpg') == 's3://user/data/test.jpg'
    assert pb.replace_prefix('petrel://bucket/x') == 's3://bucket/x'
    assert pb.normalize_path('petrel://src\\img.jpg', {'src': 'dst'}) == 's3://dst/img.jpg'
    assert pb.normalize_path('cluster:petrel://b/x', None) == 'cluster:s3://b/x'
    assert pb.join_petrel_path(None, 'petrel://path/of/file', 'another/path') == \
        'petrel://path/of/file/another/path'
    assert pb.join_petrel_path(None, 'petrel://path/of/file/', '/another/path') == \
        'petrel://path/of/file/another/path'
    assert pb.join_petrel_path({'old': 'new'}, 's3://old\\dir', 'old/x') == 's3://new/dir/new/x'


def test_petrel_backend_import_shape(monkeypatch):
    """`from petrel_client import client; client.Client(enable_mc=...)` is what gets called."""
    import types
    calls = []

    class Client:
        def __init__(self, enable_mc):
            calls.append(enable_mc)

    pkg = types.ModuleType('petrel_client')
    mod = types.ModuleType('petrel_client.client')
    mod.Client = Client
    pkg.client = mod
    monkeypatch.setitem(sys.modules, 'petrel_client', pkg)
    monkeypatch.setitem(sys.modules, 'petrel_client.client', mod)
    b = fileio.PetrelBackend(path_mapping={'src': 'dst'}, enable_mc=False)
    assert calls == [False] and b.path_mapping == {'src': 'dst'}
    assert b.join_path('petrel://path/of/file', '/another/path') == \
        'petrel://path/of/file/another/path'
    with pytest.raises(AssertionError, match='path_mapping should be a dict'):
        fileio.PetrelBackend(path_mapping=1)
    with pytest.raises(NotImplementedError, match='upgrade petrel_client'):
        b.isfile('s3://x')
    assert isinstance(fileio.get_file_backend('petrel://x'), fileio.PetrelBackend)
