"""The fileio test scenarios (T-01..T-20) run as the seed writes them."""

import io
import os
import pickle
import shutil
import sys
import warnings
from pathlib import Path
from unittest.mock import MagicMock, patch

import pytest

from engine.fileio import (
    BaseFileHandler,
    BaseStorageBackend,
    FileClient,
    HTTPBackend,
    LocalBackend,
    PetrelBackend,
    copy_if_symlink_fails,
    copyfile,
    copytree,
    dict_from_file,
    dump,
    exists,
    get,
    get_file_backend,
    get_local_path,
    get_text,
    isdir,
    isfile,
    join_path,
    list_dir_or_file,
    list_from_file,
    load,
    put,
    put_text,
    register_backend,
    register_handler,
    remove,
    rmtree,
)
from engine.fileio import backends as backends_mod
from engine.fileio import io as io_mod
from engine.fileio.handlers import file_handlers


@pytest.fixture
def petrel(monkeypatch, clean_registries):
    """The seed's way to test Petrel without its SDK: a MagicMock module.

    Cached backends built with the mock are dropped afterwards (clean_registries).
    """
    monkeypatch.setitem(sys.modules, 'petrel_client', MagicMock())
    monkeypatch.setitem(sys.modules, 'petrel_client.client', MagicMock())


@pytest.fixture
def clean_registries():
    saved = [(d, dict(d)) for d in (
        backends_mod.backends, backends_mod.prefix_to_backends, file_handlers,
        io_mod.backend_instances, FileClient._backends, FileClient._prefix_to_backends,
        FileClient._instances)]
    yield
    for d, content in saved:
        d.clear()
        d.update(content)


@pytest.fixture
def text_files(tmp_path):
    (tmp_path / 'a.txt').write_text('a\nb\nc\nd\ne\n')
    (tmp_path / 'b.txt').write_text('1 cat\n2 dog cow\n3 panda\n')
    return tmp_path


def _check_list(path, **kw):
    assert list_from_file(path, **kw) == ['a', 'b', 'c', 'd', 'e']
    assert list_from_file(path, offset=2, **kw) == ['c', 'd', 'e']
    assert list_from_file(path, max_num=2, **kw) == ['a', 'b']
    assert list_from_file(path, prefix='/mnt/', **kw) == [
        '/mnt/a', '/mnt/b', '/mnt/c', '/mnt/d', '/mnt/e']
    assert list_from_file(path, offset=3, max_num=3, **kw) == ['d', 'e']


def test_t01_t02_parse_local(text_files):
    _check_list(str(text_files / 'a.txt'))
    _check_list(text_files / 'a.txt')
    b = str(text_files / 'b.txt')
    assert dict_from_file(b) == {'1': 'cat', '2': ['dog', 'cow'], '3': 'panda'}
    assert dict_from_file(b, key_type=int) == {1: 'cat', 2: ['dog', 'cow'], 3: 'panda'}
    (text_files / 'c.txt').write_text('1 cat\n\n')
    with pytest.raises(AssertionError):
        dict_from_file(str(text_files / 'c.txt'))


def test_t03_parse_remote(petrel):
    with patch.object(PetrelBackend, 'get_text', return_value='a\nb\nc\nd\ne'):
        _check_list('s3://bucket-name/a.txt')
        _check_list('s3://bucket-name/a.txt', backend_args={'backend': 'petrel'})
        with pytest.warns(DeprecationWarning):
            _check_list('s3://bucket-name/a.txt', file_client_args={'prefix': 's3'})
    with patch.object(PetrelBackend, 'get_text', return_value='1 cat\n2 dog cow\n3 panda'):
        assert dict_from_file('s3://bucket-name/b.txt', key_type=int) == {
            1: 'cat', 2: ['dog', 'cow'], 3: 'panda'}
    with patch.object(HTTPBackend, 'get_text', return_value='a\nb\nc\nd\ne'):
        _check_list('http://path/of/a.txt')
        _check_list('https://path/of/a.txt')


def test_t04_t05_dump_and_load_round_trips(tmp_path):
    obj = [{'a': 'abc', 'b': 1}, 2, 'c']
    assert dump(obj, file_format='json') == '[{"a": "abc", "b": 1}, 2, "c"]'
    assert dump(obj, file_format='yaml') in ('- a: abc\n  b: 1\n- 2\n- c\n',
                                            '- {a: abc, b: 1}\n- 2\n- c\n')
    assert pickle.loads(dump(obj, file_format='pickle')) == obj
    for ext in ('json', 'yaml', 'yml', 'pkl', 'pickle'):
        path = tmp_path / f'out.{ext}'
        assert dump(obj, str(path)) is None
        assert load(str(path)) == obj
        assert load(path) == obj
        mode = 'b' if ext.startswith('p') else ''
        with open(tmp_path / f'f.{ext}', 'w' + mode) as f:
            assert dump(obj, f, file_format=ext) is None
        with open(tmp_path / f'f.{ext}', 'r' + mode) as f:
            assert load(f, file_format=ext) == obj
    # E9: the tutorial's `data = dump(data, f, file_format='yaml')` leaves None.
    with open(tmp_path / 'g.yaml', 'w') as f:
        assert dump({'a': 1}, f, file_format='yaml') is None


def test_t06_dump_and_load_errors(tmp_path):
    with pytest.raises(ValueError, match='file_format must be specified'):
        dump([1])
    with pytest.raises(TypeError, match='Unsupported format: txt'):
        dump([1], str(tmp_path / 'tmp.txt'))
    with pytest.raises(TypeError, match='Unsupported format'):
        load(io.StringIO('{}'))
    with pytest.raises(TypeError, match='"file" must be a filename str or a file-object'):
        dump([1], 123, file_format='json')
    with pytest.raises(TypeError, match='"file" must be a filepath str or a file-object'):
        load(123, file_format='json')
    assert not os.path.exists(tmp_path / 'tmp.txt')


def test_t07_tutorial_handlers(tmp_path, clean_registries):

    @register_handler('txt')
    class TxtHandler1(BaseFileHandler):

        def load_from_fileobj(self, file):
            return file.read()

        def dump_to_fileobj(self, obj, file):
            file.write(str(obj))

        def dump_to_str(self, obj, **kwargs):
            return str(obj)

    @register_handler(['txt1', 'txt2'])
    class TxtHandler2(BaseFileHandler):

        def load_from_fileobj(self, file):
            return file.read()

        def dump_to_fileobj(self, obj, file):
            file.write('\n')
            file.write(str(obj))

        def dump_to_str(self, obj, **kwargs):
            return str(obj)

    (tmp_path / 'list.txt').write_text('some\ncontent')
    assert load(str(tmp_path / 'list.txt')) == 'some\ncontent'
    dump('content', str(tmp_path / 'x.txt2'))
    assert (tmp_path / 'x.txt2').read_text() == '\ncontent'
    assert isinstance(file_handlers['txt1'], TxtHandler2)
    with pytest.raises(TypeError, match='file_formats must be a str or a list of str'):
        register_handler(123)(TxtHandler1)
    with pytest.raises(TypeError, match='handler must be a child of BaseFileHandler'):
        register_handler('foo')(object)


def test_t08_file_client_args_warns_then_conflicts(tmp_path):
    path = str(tmp_path / 'x.json')
    dump({'a': 1}, path)
    with pytest.warns(DeprecationWarning, match='backend_args'):
        with pytest.raises(ValueError, match='cannot be set at the same time'):
            load(path, file_client_args={'backend': 'disk'}, backend_args={})
    with pytest.warns(DeprecationWarning, match='backend_args'):
        with pytest.raises(ValueError, match='cannot be set at the same time'):
            dump({'a': 1}, path, file_client_args={'backend': 'disk'}, backend_args={})
    with pytest.warns(DeprecationWarning, match='backend_args'):
        with pytest.raises(ValueError, match='cannot be set at the same time'):
            list_from_file(path, file_client_args={'backend': 'disk'}, backend_args={})
    with pytest.warns(DeprecationWarning, match='backend_args'):
        assert load(path, file_client_args={'backend': 'disk'}) == {'a': 1}
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        assert load(path, backend_args={'backend': 'local'}) == {'a': 1}


def test_t09_put_get_exists(tmp_path):
    p = tmp_path / 'test.txt'
    put(b'hello world', p)
    assert get(p) == b'hello world' and get_text(p) == 'hello world'
    q = tmp_path / 'not_existed_dir' / 't.txt'
    put_text('disk', q)
    assert get_text(q) == 'disk'
    assert exists(tmp_path) and isdir(tmp_path) and not isfile(tmp_path)
    assert exists(p) and isfile(p) and not isdir(p)
    assert not exists(tmp_path / 'missing') and not isfile(tmp_path / 'missing')
    assert isinstance(get_file_backend(p), LocalBackend)
    assert LocalBackend().get(str(p)) == b'hello world'


def test_t10_join_path(petrel):
    assert join_path('/path/of/dir1', 'dir2', 'path/of/file') == '/path/of/dir1/dir2/path/of/file'
    backend = PetrelBackend()
    assert backend.join_path('petrel://path/of/file', '/another/path') == \
        'petrel://path/of/file/another/path'
    assert backend.join_path('petrel://path/of/file', 'another/path') == \
        'petrel://path/of/file/another/path'


def test_t11_t12_copy(tmp_path):
    src = tmp_path / 'test.txt'
    src.write_text('text')
    assert copyfile(src, tmp_path / 'test.txt.bak') == tmp_path / 'test.txt.bak'
    assert (tmp_path / 'test.txt.bak').read_text() == 'text'
    (tmp_path / 'dir').mkdir()
    assert copyfile(src, tmp_path / 'dir') == join_path(tmp_path / 'dir', 'test.txt')
    with pytest.raises(shutil.SameFileError):
        copyfile(src, src)
    (tmp_path / 'dir1').mkdir()
    (tmp_path / 'dir1' / 'text3.txt').write_text('text3')
    (tmp_path / 'dir2').mkdir()
    assert copytree(tmp_path / 'dir1', tmp_path / 'dir100') == tmp_path / 'dir100'
    assert (tmp_path / 'dir100' / 'text3.txt').read_text() == 'text3'
    with pytest.raises(FileExistsError):
        copytree(tmp_path / 'dir1', tmp_path / 'dir2')


def test_t13_remove(tmp_path):
    f = tmp_path / 'f.txt'
    f.write_text('x')
    remove(f)
    assert not exists(f)
    with pytest.raises(FileNotFoundError):
        remove(f)
    with pytest.raises(IsADirectoryError):
        remove(tmp_path)
    (tmp_path / 'd' / 'e').mkdir(parents=True)
    rmtree(tmp_path / 'd')
    assert not exists(tmp_path / 'd')


def test_t14_copy_if_symlink_fails(tmp_path):
    f = tmp_path / 'f.txt'
    f.write_text('x')
    d = tmp_path / 'd'
    d.mkdir()
    assert copy_if_symlink_fails(f, tmp_path / 'link') is True
    assert os.path.islink(tmp_path / 'link')
    assert copy_if_symlink_fails(d, tmp_path / 'dlink') is True
    with patch('os.symlink', side_effect=OSError('no links here')):
        assert copy_if_symlink_fails(f, tmp_path / 'copy') is False
        assert copy_if_symlink_fails(d, tmp_path / 'dcopy') is False
    for p in ('copy', 'dcopy'):
        assert os.path.exists(tmp_path / p) and not os.path.islink(tmp_path / p)


def test_t15_list_dir_or_file(tmp_path):
    for rel in ('text1.txt', 'text2.txt', 'dir1/text3.txt', 'dir2/img.jpg',
                'dir2/dir3/text4.txt'):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(rel)
    (tmp_path / '.hidden').write_text('skipped')
    d = tmp_path
    j = os.path.join
    assert set(list_dir_or_file(d)) == {'dir1', 'dir2', 'text1.txt', 'text2.txt'}
    assert set(list_dir_or_file(d, list_file=False)) == {'dir1', 'dir2'}
    assert set(list_dir_or_file(d, list_file=False, recursive=True)) == {
        'dir1', 'dir2', j('dir2', 'dir3')}
    assert set(list_dir_or_file(d, list_dir=False)) == {'text1.txt', 'text2.txt'}
    assert set(list_dir_or_file(d, list_dir=False, suffix=('.txt', '.jpg'))) == {
        'text1.txt', 'text2.txt'}
    files = {'text1.txt', 'text2.txt', j('dir1', 'text3.txt'), j('dir2', 'img.jpg'),
             j('dir2', 'dir3', 'text4.txt')}
    assert set(list_dir_or_file(d, list_dir=False, recursive=True)) == files
    assert set(list_dir_or_file(d, recursive=True)) == files | {
        'dir1', 'dir2', j('dir2', 'dir3')}
    assert set(list_dir_or_file(d, list_dir=False, suffix='.jpg', recursive=True)) == {
        j('dir2', 'img.jpg')}
    with pytest.raises(TypeError, match='`suffix` should be None when `list_dir` is True'):
        list(list_dir_or_file(d, list_file=False, suffix='.txt'))
    with pytest.raises(TypeError):
        list(list_dir_or_file(d, suffix='.txt'))
    with pytest.raises(TypeError, match='`suffix` must be a string or tuple of strings'):
        list(list_dir_or_file(d, list_dir=False, suffix=['.txt']))


def test_t16_get_local_path(tmp_path):
    p = tmp_path / 'f.txt'
    p.write_text('x')
    with get_local_path(Path(p)) as q:
        assert q == str(p)
    assert p.exists()
    with patch.object(HTTPBackend, 'get', return_value=b'hello world'):
        with HTTPBackend().get_local_path('http://path/of/file.jpg') as local:
            assert os.path.isfile(local)
            with open(local, 'rb') as f:
                assert f.read() == b'hello world'
        assert not os.path.isfile(local)
        with pytest.raises(RuntimeError):
            with get_local_path('https://path/of/file') as local:
                assert os.path.isfile(local)
                raise RuntimeError('boom')
        assert not os.path.isfile(local)


def test_t17_get_file_backend(tmp_path, petrel, clean_registries):
    with pytest.raises(ValueError, match='uri should not be None'):
        get_file_backend(None)
    assert isinstance(get_file_backend(tmp_path), LocalBackend)
    assert isinstance(get_file_backend('https://x/y'), HTTPBackend)
    assert isinstance(get_file_backend('http://x/y'), HTTPBackend)
    assert isinstance(get_file_backend('petrel://x/y'), PetrelBackend)
    assert isinstance(get_file_backend('s3://x/y'), PetrelBackend)
    assert isinstance(get_file_backend(backend_args={'backend': 'local'}), LocalBackend)
    assert isinstance(get_file_backend(backend_args={'backend': 'petrel'}), PetrelBackend)
    args = {'backend': 'http'}
    assert isinstance(get_file_backend(str(tmp_path), backend_args=args), HTTPBackend)
    assert args == {'backend': 'http'}
    io_mod.backend_instances.clear()
    b1 = get_file_backend(tmp_path, enable_singleton=True)
    assert get_file_backend(str(tmp_path), enable_singleton=True) is b1
    assert io_mod.backend_instances[':{}'] is b1
    assert get_file_backend(tmp_path, enable_singleton=False) is not b1
    pargs = {'path_mapping': {'src': 'dst'}, 'enable_mc': True}
    b2 = get_file_backend('petrel://x', backend_args=pargs, enable_singleton=True)
    assert io_mod.backend_instances[
        'petrel:{"path_mapping": {"src": "dst"}, "enable_mc": true}'] is b2
    assert get_file_backend('petrel://y', backend_args=pargs, enable_singleton=True) is b2
    assert get_file_backend('petrel://y', backend_args={'enable_mc': False},
                            enable_singleton=True) is not b2
    with pytest.raises(KeyError):
        get_file_backend(backend_args={'backend': 'nope'})
    with pytest.raises(AssertionError):
        io_mod._parse_uri_prefix(123)
    assert io_mod._parse_uri_prefix(Path('/a')) == ''
    assert io_mod._parse_uri_prefix('clusterName:s3://x') == 's3'


def test_t18_file_client(petrel, clean_registries):
    with pytest.warns(DeprecationWarning):
        with pytest.raises(ValueError):
            FileClient('hadoop')
    with pytest.warns(DeprecationWarning):
        assert FileClient('disk').name == 'HardDiskBackend'
        assert FileClient().name == 'HardDiskBackend'
        first = FileClient(backend='petrel')
        assert FileClient(backend='petrel') is first
        assert FileClient(backend='petrel', prefix='s3') is not first  # E11
        assert FileClient(prefix='s3').name == 'PetrelBackend'
        assert FileClient(backend='disk', prefix='s3').name == 'HardDiskBackend'
        assert FileClient.infer_client(uri='s3://user_data').name == 'PetrelBackend'
        assert FileClient.infer_client({'backend': 'disk'}).name == 'HardDiskBackend'
        assert FileClient.infer_client(uri='/local/path').name == 'HardDiskBackend'
        with pytest.raises(AssertionError):
            FileClient('petrel', path_mapping=1)
    assert FileClient.parse_uri_prefix('s3://path/of/your/file') == 's3'
    assert FileClient.parse_uri_prefix('clusterName:s3://x') == 's3'
    assert FileClient.parse_uri_prefix('https://x') == 'https'
    assert FileClient.parse_uri_prefix('/local/path') is None
    with pytest.raises(AssertionError):
        FileClient.parse_uri_prefix(None)
    with pytest.raises(AssertionError):
        FileClient.infer_client()


def test_t18_file_client_io(tmp_path):
    with pytest.warns(DeprecationWarning):
        client = FileClient('disk')
    target = tmp_path / 'sub' / 'x.txt'
    client.put_text('hi', target)
    assert client.get_text(target) == 'hi' and client.get(target) == b'hi'
    assert client.exists(target) and client.isfile(target) and client.isdir(tmp_path)
    assert client.join_path(str(tmp_path), 'a') == os.path.join(str(tmp_path), 'a')
    with client.get_local_path(target) as p:
        assert p == str(target)
    assert list(client.list_dir_or_file(tmp_path / 'sub')) == ['x.txt']
    with pytest.raises(TypeError):
        list(client.list_dir_or_file(tmp_path, suffix='.txt'))
    client.remove(target)
    assert not client.exists(target)
    assert not hasattr(client, 'copyfile') and not hasattr(client, 'rmtree')


def test_t19_register_backend(tmp_path, clean_registries):

    class NewBackend(BaseStorageBackend):

        def get(self, filepath):
            return b'new'

        def get_text(self, filepath, encoding='utf-8'):
            return 'new'

    assert register_backend('new', NewBackend) is None
    with pytest.raises(ValueError, match='already registered'):
        register_backend('new', NewBackend)
    register_backend('new', NewBackend, force=True)

    @register_backend('new2', prefixes='new2')
    class New2(NewBackend):
        pass

    assert isinstance(get_file_backend('new2://x'), New2)
    assert get_text('new2://x') == 'new'
    with pytest.raises(ValueError, match='already registered'):
        register_backend('new3', NewBackend, prefixes='new2')
    assert 'new3' not in backends_mod.backends  # nothing changes when a prefix clashes
    with pytest.raises(TypeError, match='name should be a string'):
        register_backend(1, NewBackend)
    with pytest.raises(TypeError, match='backend should be a class'):
        register_backend('x', 'not a class')
    with pytest.raises(TypeError, match='not a subclass of BaseStorageBackend'):
        register_backend('x', object)
    with pytest.raises(AssertionError):
        register_backend('x', NewBackend, prefixes=1)

    class A(NewBackend):
        pass

    class B(NewBackend):

        def get(self, filepath):
            return b'B'

    with pytest.warns(DeprecationWarning):
        FileClient.register_backend('example', A)
        with pytest.raises(KeyError):
            FileClient.register_backend('example', A)
        with pytest.raises(TypeError):
            FileClient.register_backend(1, A)
        FileClient.register_backend('dummy', A)
        old = FileClient(backend='dummy')
        FileClient.register_backend('dummy', B, force=True)
        new = FileClient(backend='dummy')
        assert new is not old and new is FileClient(backend='dummy')
        assert new.get('x') == b'B'

        @FileClient.register_backend('example4', prefixes='example4_prefix')
        class C(B):
            pass

        assert FileClient(prefix='example4_prefix').get('x') == b'B'
        with pytest.raises(KeyError):
            FileClient.register_backend('example5', A, prefixes='example4_prefix')


def test_t20_abstract_and_optional_backends(tmp_path, monkeypatch):

    class OnlyGet(BaseStorageBackend):

        def get(self, filepath):
            return b''

    with pytest.raises(TypeError):
        OnlyGet()
    assert LocalBackend().name == 'LocalBackend'
    with pytest.warns(DeprecationWarning):
        assert LocalBackend().allow_symlink is True
    from engine.fileio import LmdbBackend
    lmdb = pytest.importorskip('lmdb')
    env = lmdb.open(str(tmp_path / 'db'), map_size=1 << 20)
    with env.begin(write=True) as txn:
        txn.put(b'key', b'value')
    env.close()
    backend = LmdbBackend(tmp_path / 'db')
    assert backend.db_path == str(tmp_path / 'db')
    assert backend.get('key') == b'value'
    assert backend.get('missing') is None
    with pytest.raises(NotImplementedError):
        backend.get_text('key')
    backend.close()
    monkeypatch.setitem(sys.modules, 'lmdb', None)
    with pytest.raises(ImportError, match='lmdb'):
        LmdbBackend(tmp_path / 'db')


def test_fio40_presigned_url_only_petrel(tmp_path, petrel):
    with pytest.raises(NotImplementedError):
        io_mod.generate_presigned_url(str(tmp_path / 'x'))
    with pytest.raises(NotImplementedError):
        HTTPBackend().put(b'x', 'http://x')
    backend = PetrelBackend()
    backend._client.generate_presigned_url.return_value = 'https://signed'
    assert backend.generate_presigned_url('petrel://b/k') == 'https://signed'
    backend._client.generate_presigned_url.assert_called_once_with(
        's3://b/k', 'get_object', 3600)


def test_yaml_reads_tuples_tagged_by_the_original(tmp_path):
    p = tmp_path / 't.yaml'
    p.write_text('a: !!python/tuple [1, 2]\n')
    assert load(str(p)) == {'a': (1, 2)}
    yaml = pytest.importorskip('yaml')
    with pytest.raises(yaml.YAMLError):
        load(io.StringIO('a: !!python/object/apply:os.system ["true"]\n'), file_format='yaml')


def test_seed_19_1_tutorial_as_written(tmp_path, monkeypatch, clean_registries):
    """§19.1.1 and the §19.1.2 PickleHandler example, run in a scratch cwd."""
    monkeypatch.chdir(tmp_path)
    obj = {'a': [1, 2], 'b': 'c'}
    dump(obj, 'test.json')
    dump(obj, 'test.yaml')
    dump(obj, 'test.pkl')
    data = load('test.json')
    data = load('test.yaml')
    data = load('test.pkl')
    with open('test.json') as f:
        data = load(f, file_format='json')
    assert data == obj
    json_str = dump(data, file_format='json')
    assert json_str == '{"a": [1, 2], "b": "c"}'
    dump(data, 'out.pkl')
    assert load('out.pkl') == obj
    with open('test.yaml', 'w') as f:
        data = dump(data, f, file_format='yaml')
    assert data is None and load('test.yaml') == obj

    class PickleHandler(BaseFileHandler):

        def load_from_fileobj(self, file, **kwargs):
            return pickle.load(file, **kwargs)

        def load_from_path(self, filepath, **kwargs):
            return super().load_from_path(filepath, mode='rb', **kwargs)

        def dump_to_str(self, obj, **kwargs):
            kwargs.setdefault('protocol', 2)
            return pickle.dumps(obj, **kwargs)

        def dump_to_fileobj(self, obj, file, **kwargs):
            kwargs.setdefault('protocol', 2)
            pickle.dump(obj, file, **kwargs)

        def dump_to_path(self, obj, filepath, **kwargs):
            super().dump_to_path(obj, filepath, mode='wb', **kwargs)

    # A handler class without str_like=False is text-like: give it a binary twin.
    PickleHandler.str_like = False
    register_handler('pkl2')(PickleHandler)
    dump(obj, 'x.pkl2')
    assert load('x.pkl2') == obj
    handler = PickleHandler()
    handler.dump_to_path(obj, 'y.pkl2')
    assert handler.load_from_path('y.pkl2') == obj


def test_seed_19_1_2_s3_load_and_dump(petrel):
    """§19.1.2: load/dump on s3:// go through PetrelBackend (SDK mocked, store in a dict)."""
    store = {}
    with patch.object(PetrelBackend, 'put', lambda self, obj, p: store.__setitem__(p, obj)), \
            patch.object(PetrelBackend, 'put_text',
                         lambda self, obj, p, encoding='utf-8': store.__setitem__(p, obj)), \
            patch.object(PetrelBackend, 'get', lambda self, p: store[p]), \
            patch.object(PetrelBackend, 'get_text',
                         lambda self, p, encoding='utf-8': store[p]):
        data = [{'a': 1}, 'b']
        dump(data, 's3://bucket-name/out.pkl')
        dump(data, 's3://bucket-name/test.json')
        dump(data, 's3://bucket-name/test.yaml')
        assert isinstance(store['s3://bucket-name/out.pkl'], bytes)
        assert store['s3://bucket-name/test.json'] == '[{"a": 1}, "b"]'
        assert load('s3://bucket-name/out.pkl') == data
        assert load('s3://bucket-name/test.json') == data
        assert load('s3://bucket-name/test.yaml') == data
