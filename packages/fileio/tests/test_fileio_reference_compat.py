"""Behaviour the reference's own tests pin down.

Duplicate-registration messages start with the key ("<name> is already
registered"), PetrelBackend keeps the reference's private normalisation
methods and error wording, FileClient evicts clients of a prefix it re-points,
and local listings yield regular files only.
"""

import os
import sys
import warnings
from pathlib import Path
from shutil import SameFileError
from unittest.mock import MagicMock, patch

import pytest

from engine.fileio import (
    BaseStorageBackend,
    FileClient,
    LocalBackend,
    PetrelBackend,
    list_dir_or_file,
    register_backend,
)
from engine.fileio import backends as backends_mod
from engine.fileio import io as io_mod

PETREL_DIR = 'petrel://user/data'
EXPECTED_DIR = 's3://user/data'
PETREL_PATH = f'{PETREL_DIR}/test.jpg'
EXPECTED_PATH = f'{EXPECTED_DIR}/test.jpg'


@pytest.fixture
def clean_registries():
    saved = [(d, dict(d)) for d in (
        backends_mod.backends, backends_mod.prefix_to_backends, io_mod.backend_instances,
        FileClient._backends, FileClient._prefix_to_backends, FileClient._instances)]
    yield
    for d, content in saved:
        d.clear()
        d.update(content)


@pytest.fixture
def petrel(monkeypatch, clean_registries):
    """The reference's way to test Petrel without its SDK."""
    monkeypatch.setitem(sys.modules, 'petrel_client', MagicMock())
    monkeypatch.setitem(sys.modules, 'petrel_client.client', MagicMock())
    return PetrelBackend()


def _backend_class(value):
    class _Backend(BaseStorageBackend):
        def get(self, filepath):
            return value

        def get_text(self, filepath, encoding='utf-8'):
            return str(value)

    return _Backend


def _file_client(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', DeprecationWarning)
        return FileClient(*args, **kwargs)


def test_register_backend_reference_sequence(clean_registries):
    """FIO-02 as the reference's test writes it, messages matched by regex."""
    @register_backend('example')
    class ExampleBackend(BaseStorageBackend):
        def get(self, filepath):
            return filepath

        def get_text(self, filepath):
            return filepath

    assert 'example' in backends_mod.backends
    with pytest.raises(TypeError, match='name should be a string'):
        register_backend(1, ExampleBackend)
    with pytest.raises(TypeError, match='backend should be a class'):
        register_backend('example3', lambda: None)
    with pytest.raises(TypeError, match='not a subclass of BaseStorageBackend'):
        register_backend('example3', type('ExampleBackend2', (), {}))
    with pytest.raises(ValueError, match='example is already registered'):
        register_backend('example', ExampleBackend)
    register_backend('example', ExampleBackend, force=True)

    Backend3 = _backend_class(b'3')
    register_backend('example4', Backend3, prefixes=['prefix2', 'prefix3'])
    assert backends_mod.prefix_to_backends['prefix2'] is Backend3
    with pytest.raises(AssertionError):
        register_backend('example5', Backend3, prefixes=1)
    with pytest.raises(ValueError, match='prefix2 is already registered'):
        register_backend('example6', Backend3, prefixes='prefix2')
    assert 'example6' not in backends_mod.backends  # nothing registered on failure
    Backend4 = _backend_class(b'4')
    register_backend('example6', Backend4, prefixes='prefix2', force=True)
    assert backends_mod.prefix_to_backends['prefix2'] is Backend4


def test_file_client_duplicates_name_the_key(clean_registries):
    FileClient.register_backend('example', _backend_class(b'a'))
    with pytest.raises(KeyError, match='example is already registered'):
        FileClient.register_backend('example', _backend_class(b'b'))
    FileClient.register_backend('example2', _backend_class(b'c'), prefixes='ex_prefix')
    with pytest.raises(KeyError, match='ex_prefix is already registered'):
        FileClient.register_backend('example3', _backend_class(b'd'), prefixes='ex_prefix')


def test_file_client_force_over_a_prefix_evicts_its_cached_clients(clean_registries):
    """FIO-26: re-pointing a prefix with force=True must not leave the old client cached."""
    FileClient.register_backend('old', _backend_class(b'old'), prefixes='myprefix')
    before = _file_client(prefix='myprefix')
    assert before.get('x') == b'old'
    FileClient.register_backend('new', _backend_class(b'new'), prefixes='myprefix', force=True)
    after = _file_client(prefix='myprefix')
    assert after is not before and after.get('x') == b'new'
    assert _file_client(prefix='myprefix') is after  # and the new one is reused
    assert _file_client('old').get('x') == b'old'  # the name still serves the old class


def test_petrel_reference_normalisation_methods(petrel):
    """FIO-17: the reference's tests call _map_path, _format_path and _replace_prefix."""
    assert PetrelBackend(path_mapping=None)._map_path(PETREL_PATH) == PETREL_PATH
    mapped = PetrelBackend(path_mapping={'data/': 'petrel://user/data/'})
    assert mapped._map_path('data/test.jpg') == PETREL_PATH
    assert petrel._format_path('petrel://user\\data\\test.jpg') == PETREL_PATH
    assert petrel._replace_prefix(PETREL_PATH) == EXPECTED_PATH
    with pytest.raises(AssertionError):
        PetrelBackend(path_mapping=1)


def test_petrel_sdk_calls_get_the_normalised_path(petrel):
    """FIO-18/20: each operation calls the SDK once with the s3:// path."""
    client = petrel._client
    with patch.object(client, 'Get', return_value=b'petrel') as get:
        assert petrel.get(PETREL_PATH) == b'petrel'
        assert petrel.get_text(PETREL_PATH) == 'petrel'
        assert get.call_args_list == [((EXPECTED_PATH,),)] * 2
    with patch.object(client, 'put') as put:
        petrel.put(b'petrel', PETREL_PATH)
        petrel.put_text('petrel', PETREL_PATH)
        assert put.call_args_list == [((EXPECTED_PATH, b'petrel'),)] * 2
    with patch.object(client, 'contains', return_value=True) as contains:
        assert petrel.exists(PETREL_PATH) and petrel.isfile(PETREL_PATH)
        assert contains.call_args_list == [((EXPECTED_PATH,),)] * 2
    with patch.object(client, 'Get', return_value=b'petrel') as get, \
            patch.object(client, 'contains', return_value=True) as contains:
        with petrel.get_local_path(PETREL_PATH) as path:
            assert Path(path).read_bytes() == b'petrel'
        assert not os.path.isfile(path)
        get.assert_called_once_with(EXPECTED_PATH)
        contains.assert_called_once_with(EXPECTED_PATH)


def test_petrel_copy_and_remove_follow_the_reference(petrel, tmp_path):
    client = petrel._client
    dst = f'{PETREL_DIR}/test.bak.jpg'
    with patch.object(client, 'Get', return_value=b'petrel') as get, \
            patch.object(client, 'put') as put, \
            patch.object(client, 'isdir', return_value=False) as isdir:
        assert petrel.copyfile(PETREL_PATH, dst) == dst
        get.assert_called_once_with(EXPECTED_PATH)
        put.assert_called_once_with(f'{EXPECTED_DIR}/test.bak.jpg', b'petrel')
        isdir.assert_called_once_with(f'{EXPECTED_DIR}/test.bak.jpg')
        with pytest.raises(SameFileError, match='src and dst should not be same'):
            petrel.copyfile(PETREL_PATH, PETREL_PATH)
    with patch.object(client, 'Get', return_value=b'petrel'), \
            patch.object(client, 'put') as put, \
            patch.object(client, 'isdir', return_value=True):
        assert petrel.copyfile('petrel://user/other/test.jpg', PETREL_DIR) \
            == f'{PETREL_DIR}/test.jpg'
        put.assert_called_once_with(EXPECTED_PATH, b'petrel')

    (tmp_path / 'a.txt').write_text('a')
    with patch.object(petrel, 'exists', return_value=True):
        with pytest.raises(FileExistsError, match='dst should not exist'):
            petrel.copytree(PETREL_DIR, f'{PETREL_DIR}2')
        with pytest.raises(FileExistsError, match='dst should not exist'):
            petrel.copytree_from_local(tmp_path, PETREL_DIR)

    # rmtree removes every listed file through remove(), as the reference does
    removed = []
    with patch.object(petrel, 'list_dir_or_file', return_value=['a.txt', 'd/b.txt']), \
            patch.object(petrel, 'remove', side_effect=removed.append):
        petrel.rmtree(PETREL_DIR)
    assert removed == [f'{PETREL_DIR}/a.txt', f'{PETREL_DIR}/d/b.txt']

    with patch.object(client, 'delete') as delete, \
            patch.object(petrel, 'isdir', return_value=False) as isdir, \
            patch.object(petrel, 'exists', return_value=True) as exists:
        petrel.remove(PETREL_PATH)
        delete.assert_called_once_with(EXPECTED_PATH)
        isdir.assert_called_once_with(PETREL_PATH)
        exists.assert_called_once_with(PETREL_PATH)


def test_petrel_suffix_with_list_dir_message(petrel):
    """FIO-21: Petrel's wording, at call time on the backend and through FileClient."""
    with pytest.raises(TypeError, match='`list_dir` should be False when `suffix` is not None'):
        petrel.list_dir_or_file(PETREL_DIR, list_file=False, suffix='.txt')
    with pytest.raises(TypeError, match='`suffix` must be a string or tuple of strings'):
        petrel.list_dir_or_file(PETREL_DIR, list_dir=False, suffix=['.txt'])
    client = _file_client('petrel')
    with pytest.raises(TypeError, match='`list_dir` should be False when `suffix` is not None'):
        list(client.list_dir_or_file(PETREL_DIR, suffix='.txt'))
    # the local backend keeps its own wording through FileClient too
    with pytest.raises(TypeError, match='`suffix` should be None when `list_dir` is True'):
        list(_file_client('disk').list_dir_or_file('.', suffix='.txt'))


def test_local_listing_yields_regular_files_only(tmp_path):
    """FIO-12: a broken link or a fifo is not a file `get` could read (the reference skips them)."""
    (tmp_path / 'a.txt').write_text('a')
    (tmp_path / 'sub').mkdir()
    (tmp_path / 'sub' / 'b.txt').write_text('b')
    os.symlink(tmp_path / 'missing', tmp_path / 'broken.txt')
    os.symlink(tmp_path / 'a.txt', tmp_path / 'link.txt')  # a link to a file is a file
    if hasattr(os, 'mkfifo'):
        os.mkfifo(tmp_path / 'pipe.txt')
    expected = {'a.txt', 'link.txt', os.path.join('sub', 'b.txt')}
    assert set(LocalBackend().list_dir_or_file(tmp_path, list_dir=False, recursive=True)) \
        == expected
    assert set(list_dir_or_file(tmp_path, list_dir=False, suffix='.txt', recursive=True)) \
        == expected
    assert set(list_dir_or_file(tmp_path)) == {'a.txt', 'link.txt', 'sub'}


def test_put_refuses_text(tmp_path):
    """FIO-04/31: put writes bytes; a str is refused (TypeError) and no file appears."""
    from engine.fileio import put
    target = tmp_path / 'sub' / 'x.bin'
    with pytest.raises(TypeError, match='put_text'):
        LocalBackend().put('text', target)
    with pytest.raises(TypeError, match='put_text'):
        put('text', target)
    assert not target.exists()
    put(memoryview(b'ok'), target)  # bytes-like objects are fine
    assert target.read_bytes() == b'ok'


def test_yaml_dumps_dict_subclasses_and_numpy_values(tmp_path):
    """FIO-43: what the reference's full Dumper could write, the safe one writes as plain YAML.

    dict subclasses (OrderedDict keeps its order) are mappings, numpy arrays and
    scalars are lists and numbers, and all of it loads back; other objects are
    still refused.
    """
    from collections import OrderedDict, defaultdict

    import numpy as np

    from engine.fileio import dump, load

    class Sub(dict):
        pass

    obj = {'od': OrderedDict(b=1, a=2), 'sub': Sub(x=1), 'dd': defaultdict(list, k=[1]),
           'arr': np.arange(3), 'f': np.float32(1.5), 'i': np.int64(7)}
    text = dump(obj, file_format='yaml')
    assert 'od:\n  b: 1\n  a: 2\n' in text
    path = tmp_path / 'x.yaml'
    dump(obj, path)
    assert load(path) == {'od': {'b': 1, 'a': 2}, 'sub': {'x': 1}, 'dd': {'k': [1]},
                          'arr': [0, 1, 2], 'f': 1.5, 'i': 7}
    with pytest.raises(Exception, match='cannot represent an object'):
        dump({'o': object()}, file_format='yaml')


def test_petrel_downloads_leave_no_partial_file(petrel, tmp_path):
    """FIO-20 and the no-half-written-files rule: a failed download writes nothing."""
    with patch.object(petrel._client, 'Get', side_effect=OSError('connection reset')):
        with pytest.raises(OSError, match='connection reset'):
            petrel.copyfile_to_local(PETREL_PATH, tmp_path / 'x.jpg')
    assert list(tmp_path.iterdir()) == []
    with patch.object(petrel._client, 'Get', return_value=b'petrel') as get:
        dst = tmp_path / 'dir'
        dst.mkdir()
        assert petrel.copyfile_to_local(PETREL_PATH, dst) == dst / 'test.jpg'
        get.assert_called_once_with(EXPECTED_PATH)
    assert (dst / 'test.jpg').read_bytes() == b'petrel'
    with patch.object(petrel, 'list_dir_or_file', return_value=['a.txt', 'd/b.txt']), \
            patch.object(petrel, 'get', return_value=b'v'):
        assert petrel.copytree_to_local(PETREL_DIR, str(tmp_path / 'tree')) \
            == str(tmp_path / 'tree')
    assert (tmp_path / 'tree' / 'd' / 'b.txt').read_bytes() == b'v'
