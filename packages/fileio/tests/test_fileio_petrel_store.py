"""PetrelBackend end to end against an in-memory object store.

The Petrel SDK is not on PyPI, so ``petrel_client.client.Client`` is replaced
by a small store with the SDK's method names and semantics (flat keys, folders
implied by ``/``, ``list`` returning direct children with folders ending in
``/``). Every PetrelBackend method then runs its own code for real.
"""

from __future__ import annotations

import sys
import types
from shutil import SameFileError

import pytest

from engine.fileio.backends import PetrelBackend


class ObjectStore:
    """Flat ``key -> bytes`` store shaped like ``petrel_client.client.Client``."""

    def __init__(self, enable_mc: bool = True) -> None:
        self.objects: dict = {}

    def Get(self, key):  # noqa: N802 (the SDK's name)
        if key not in self.objects:
            raise FileNotFoundError(key)
        return memoryview(self.objects[key])

    def put(self, key, data):
        self.objects[key] = bytes(data)

    def contains(self, key):
        return key in self.objects

    def isdir(self, key):
        prefix = key.rstrip('/') + '/'
        return any(k.startswith(prefix) for k in self.objects)

    def delete(self, key):
        del self.objects[key]

    def list(self, prefix):
        children = []
        for key in sorted(self.objects):
            if key.startswith(prefix):
                head, sep, _ = key[len(prefix):].partition('/')
                entry = head + sep
                if entry not in children:
                    children.append(entry)
        return iter(children)

    def generate_presigned_url(self, key, client_method, expires_in):
        return f'https://signed.example/{key}?method={client_method}&expires={expires_in}'


@pytest.fixture
def backend(monkeypatch):
    module = types.ModuleType('petrel_client')
    client = types.ModuleType('petrel_client.client')
    client.Client = ObjectStore
    module.client = client
    monkeypatch.setitem(sys.modules, 'petrel_client', module)
    monkeypatch.setitem(sys.modules, 'petrel_client.client', client)
    return PetrelBackend(path_mapping={'./data/': 's3://bucket/data/'})


def test_put_get_and_queries_through_the_path_mapping(backend):
    backend.put(b'\x00bytes', './data/a/x.bin')
    backend.put_text('héllo', 's3://bucket/data/a/b/y.txt')
    store = backend._client.objects
    assert set(store) == {'s3://bucket/data/a/x.bin', 's3://bucket/data/a/b/y.txt'}
    assert backend.get('./data/a/x.bin') == b'\x00bytes'  # memoryview turned into bytes
    assert backend.get_text('./data/a/b/y.txt') == 'héllo'
    assert backend.exists('./data/a') and backend.isdir('./data/a')
    assert not backend.isfile('./data/a')
    assert backend.isfile('./data/a/x.bin') and not backend.isdir('./data/a/x.bin')
    assert not backend.exists('./data/missing')
    assert backend.join_path('./data/a', 'b', 'y.txt') == 's3://bucket/data/a/b/y.txt'
    with backend.get_local_path('./data/a/x.bin') as local:
        with open(local, 'rb') as f:
            assert f.read() == b'\x00bytes'
    assert backend.generate_presigned_url('./data/a/x.bin').startswith(
        'https://signed.example/s3://bucket/data/a/x.bin?method=get_object')


def test_listing_files_and_folders_recursively_with_suffixes(backend):
    for key in ('r/a.py', 'r/b.txt', 'r/sub/c.py', 'r/sub/deeper/d.py'):
        backend.put(b'x', f's3://bucket/{key}')
    root = 's3://bucket/r'
    assert sorted(backend.list_dir_or_file(root)) == ['a.py', 'b.txt', 'sub']
    assert sorted(backend.list_dir_or_file(root, list_dir=False, suffix='.py',
                                           recursive=True)) == [
        'a.py', 'sub/c.py', 'sub/deeper/d.py']
    assert sorted(backend.list_dir_or_file(root, list_file=False, recursive=True)) == [
        'sub', 'sub/deeper']
    with pytest.raises(TypeError, match='suffix'):
        list(backend.list_dir_or_file(root, list_dir=True, suffix='.py'))


def test_copies_within_the_store_and_to_and_from_disk(backend, tmp_path):
    backend.put(b'1', 's3://bucket/src/one.txt')
    backend.put(b'2', 's3://bucket/src/deep/two.txt')
    backend.put(b'dir marker', 's3://bucket/dst/keep.txt')
    # into an existing folder: the source's name is kept
    assert backend.copyfile('s3://bucket/src/one.txt', 's3://bucket/dst') == \
        's3://bucket/dst/one.txt'
    assert backend.get('s3://bucket/dst/one.txt') == b'1'
    with pytest.raises(SameFileError, match='same file'):
        backend.copyfile('s3://bucket/src/one.txt', 's3://bucket/src/one.txt')
    backend.copytree('s3://bucket/src', 's3://bucket/copy')
    assert backend.get('s3://bucket/copy/deep/two.txt') == b'2'
    with pytest.raises(FileExistsError):
        backend.copytree('s3://bucket/src', 's3://bucket/copy')

    out = backend.copytree_to_local('s3://bucket/src', tmp_path / 'local')
    assert (tmp_path / 'local' / 'deep' / 'two.txt').read_bytes() == b'2'
    assert backend.copyfile_to_local('s3://bucket/src/one.txt', out) == out / 'one.txt'
    backend.copytree_from_local(tmp_path / 'local', 's3://bucket/back')
    assert backend.get('s3://bucket/back/deep/two.txt') == b'2'
    backend.copyfile_from_local(tmp_path / 'local' / 'one.txt', 's3://bucket/back')
    assert backend.get('s3://bucket/back/one.txt') == b'1'
    assert backend.copy_if_symlink_fails('s3://bucket/src', 's3://bucket/linked') is False
    assert backend.isfile('s3://bucket/linked/deep/two.txt')


def test_remove_and_rmtree(backend):
    backend.put(b'1', 's3://bucket/t/one.txt')
    backend.put(b'2', 's3://bucket/t/sub/two.txt')
    with pytest.raises(IsADirectoryError, match='directory'):
        backend.remove('s3://bucket/t/sub')
    backend.remove('s3://bucket/t/one.txt')
    with pytest.raises(FileNotFoundError, match='no such file'):
        backend.remove('s3://bucket/t/one.txt')
    backend.rmtree('s3://bucket/t')
    assert backend._client.objects == {}


def test_an_old_sdk_without_a_method_is_named(backend, monkeypatch):
    monkeypatch.delattr(ObjectStore, 'isdir')  # a petrel_client release without isdir
    with pytest.raises(NotImplementedError, match='no `isdir` method'):
        backend.isdir('s3://bucket/x')
