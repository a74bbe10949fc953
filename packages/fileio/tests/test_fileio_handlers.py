"""Handlers, load/dump and text parsing (FIO-41..50)."""

import io
import pickle
import warnings
from pathlib import Path

import numpy as np
import pytest

import engine.fileio as fileio
from engine.fileio import (
    BaseFileHandler,
    JsonHandler,
    dict_from_file,
    dump,
    list_from_file,
    load,
    register_handler,
)
from engine.fileio import handlers as handlers_mod
from engine.fileio import io as fio

OBJ = [{'a': 'abc', 'b': 1}, 2, 'c']


@pytest.fixture(autouse=True)
def restore_handlers():
    saved = dict(handlers_mod.file_handlers)
    yield
    handlers_mod.file_handlers.clear()
    handlers_mod.file_handlers.update(saved)


def test_dump_to_str():
    assert dump(OBJ, file_format='json') == '[{"a": "abc", "b": 1}, 2, "c"]'
    assert dump(OBJ, file_format='yaml') == '- a: abc\n  b: 1\n- 2\n- c\n'
    data = dump(OBJ, file_format='pickle')
    assert isinstance(data, bytes) and pickle.loads(data) == OBJ
    assert data[:2] == b'\x80\x02'  # protocol 2 preset
    assert pickle.loads(dump(OBJ, file_format='pkl', protocol=4))[0] == OBJ[0]


@pytest.mark.parametrize('ext', ['json', 'yaml', 'yml', 'pkl', 'pickle'])
def test_roundtrip_by_extension(tmp_path, ext):
    p = tmp_path / f'test.{ext}'
    assert dump(OBJ, str(p)) is None
    assert load(str(p)) == OBJ
    p2 = tmp_path / 'deep' / f'path.{ext}'  # a Path, in a missing folder
    dump(OBJ, p2)
    assert load(p2) == OBJ


@pytest.mark.parametrize('fmt, mode', [('json', ''), ('yaml', ''), ('pickle', 'b')])
def test_roundtrip_by_file_object(tmp_path, fmt, mode):
    p = tmp_path / 'obj'
    with open(p, 'w' + mode) as f:
        assert dump(OBJ, f, file_format=fmt) is None
    with open(p, 'r' + mode) as f:
        assert load(f, file_format=fmt) == OBJ
    buf = io.StringIO() if not mode else io.BytesIO()
    dump(OBJ, buf, file_format=fmt)
    buf.seek(0)
    assert load(buf, file_format=fmt) == OBJ


def test_load_dump_errors(tmp_path):
    with pytest.raises(ValueError, match='file_format must be specified since file is None'):
        dump(OBJ)
    with pytest.raises(TypeError, match='Unsupported format: txt'):
        dump(OBJ, str(tmp_path / 'tmp.txt'))
    with pytest.raises(TypeError, match='Unsupported format: None'):
        load(io.StringIO('{}'))
    with pytest.raises(TypeError, match='Unsupported format: toml'):
        load('x.toml')
    with pytest.raises(TypeError, match='"file" must be a filename str or a file-object'):
        dump(OBJ, 123, file_format='json')
    with pytest.raises(TypeError, match='"file" must be a filepath str or a file-object'):
        load(123, file_format='json')
    with pytest.raises(FileNotFoundError, match='missing.json'):
        load(str(tmp_path / 'missing.json'))
    assert not (tmp_path / 'tmp.txt').exists()


def test_file_client_args_vs_backend_args(tmp_path):
    p = str(tmp_path / 'x.json')
    dump({'a': 1}, p)
    with pytest.raises(ValueError, match='cannot be set at the same time'):
        load(p, file_client_args={'backend': 'disk'}, backend_args={})
    with pytest.raises(ValueError, match='cannot be set at the same time'):
        dump({}, p, file_client_args={'backend': 'disk'}, backend_args={})
    with pytest.warns(DeprecationWarning) as record:
        assert load(p, file_client_args={'backend': 'disk'}) == {'a': 1}
        dump({'b': 2}, p, file_client_args={'backend': 'disk'})
    assert sum('use "backend_args" instead' in str(w.message) for w in record) == 2
    assert load(p, backend_args={'backend': 'local'}) == {'b': 2}
    with pytest.raises(KeyError, match="'nope'"):
        load(p, backend_args={'backend': 'nope'})


def test_json_fallback_for_sets_ranges_and_numpy():
    out = dump({'s': {3}, 'r': range(3), 'arr': np.arange(3, dtype=np.int64),
                'f': np.float32(0.5), 'i': np.int64(7), 'b': np.bool_(True),
                'm': np.zeros((2, 2))}, file_format='json', sort_keys=True)
    assert fileio.load(io.StringIO(out), file_format='json') == {
        's': [3], 'r': [0, 1, 2], 'arr': [0, 1, 2], 'f': 0.5, 'i': 7, 'b': True,
        'm': [[0.0, 0.0], [0.0, 0.0]]}
    with pytest.raises(TypeError, match="<class 'object'> is unsupported for json dump"):
        dump(object(), file_format='json')
    assert dump(object(), file_format='json', default=lambda o: 'custom') == '"custom"'


def test_yaml_loading_is_safe(tmp_path):
    evil = tmp_path / 'evil.yaml'
    evil.write_text("!!python/object/apply:os.system ['echo hacked > "
                    f"{tmp_path / 'pwned'}']\n")
    import yaml
    with pytest.raises(yaml.YAMLError):
        load(str(evil))
    assert not (tmp_path / 'pwned').exists()


def test_yaml_dump_tuples_and_sets_reload(tmp_path):
    p = tmp_path / 'x.yaml'
    dump({'t': (1, 2), 's': {1}}, p)
    assert load(p) == {'t': [1, 2], 's': {1}}
    with pytest.raises(Exception, match='cannot represent'):
        dump({'o': object()}, file_format='yaml')


def test_json_handler_accepts_kwargs():
    h = JsonHandler()
    assert h.dump_to_str({'a': 1}, indent=2) == '{\n  "a": 1\n}'
    assert h.load_from_fileobj(io.StringIO('{"a": 1.5}'), parse_float=str) == {'a': '1.5'}


def test_base_handler_is_abstract(tmp_path):
    class Partial(BaseFileHandler):
        def load_from_fileobj(self, file):
            return file.read()

    with pytest.raises(TypeError):
        Partial()
    h = handlers_mod.file_handlers['pkl']
    h.dump_to_path({'x': 1}, tmp_path / 'p.pkl')
    assert h.load_from_path(tmp_path / 'p.pkl') == {'x': 1}
    handlers_mod.file_handlers['json'].dump_to_path([1], tmp_path / 'j.json')
    assert handlers_mod.file_handlers['json'].load_from_path(tmp_path / 'j.json') == [1]


def test_register_handler_tutorial(tmp_path):
    @register_handler('txt')
    class TxtHandler1(BaseFileHandler):
        def load_from_fileobj(self, file):
            return file.read()

        def dump_to_fileobj(self, obj, file):
            file.write(str(obj))

        def dump_to_str(self, obj, **kwargs):
            return str(obj)

    assert isinstance(handlers_mod.file_handlers['txt'], TxtHandler1)
    assert fio.file_handlers is handlers_mod.file_handlers
    p = tmp_path / 'list.txt'
    p.write_text('a\nb\n')
    assert load(str(p)) == 'a\nb\n'

    @register_handler(['txt1', 'txt2'])
    class TxtHandler2(TxtHandler1):
        def dump_to_fileobj(self, obj, file):
            file.write('\n')
            file.write(str(obj))

    assert handlers_mod.file_handlers['txt1'] is handlers_mod.file_handlers['txt2']
    dump('content', str(tmp_path / 'x.txt2'))
    assert (tmp_path / 'x.txt2').read_text() == '\ncontent'

    with pytest.raises(TypeError, match='file_formats must be a str or a list of str'):
        register_handler(123)(TxtHandler1)
    with pytest.raises(TypeError, match='file_formats must be a str or a list of str'):
        register_handler(['ok', 1])(TxtHandler1)
    with pytest.raises(TypeError, match='handler must be a child of BaseFileHandler'):
        register_handler('bad')(dict)


def test_register_handler_passes_kwargs():
    @register_handler('cfgjson', indent=1)
    class Configured(JsonHandler):
        def __init__(self, indent):
            self.indent = indent

        def dump_to_str(self, obj, **kwargs):
            return super().dump_to_str(obj, indent=self.indent)

    assert dump({'a': 1}, file_format='cfgjson') == '{\n "a": 1\n}'


@pytest.fixture
def text_files(tmp_path):
    (tmp_path / 'a.txt').write_text('a\nb\nc\nd\ne\n')
    (tmp_path / 'b.txt').write_text('1 cat\n2 dog cow\n3\tpanda\n')
    return tmp_path


def test_list_from_file(text_files):
    a = text_files / 'a.txt'
    assert list_from_file(a) == ['a', 'b', 'c', 'd', 'e']
    assert list_from_file(str(a), offset=2) == ['c', 'd', 'e']
    assert list_from_file(a, max_num=2) == ['a', 'b']
    assert list_from_file(a, prefix='/mnt/') == ['/mnt/a', '/mnt/b', '/mnt/c', '/mnt/d',
                                                 '/mnt/e']
    assert list_from_file(a, offset=3, max_num=3) == ['d', 'e']
    assert list_from_file(a, offset=-1, max_num=-1) == ['a', 'b', 'c', 'd', 'e']
    assert list_from_file(a, offset=10) == []
    (text_files / 'crlf.txt').write_bytes(b'x\r\n\r\ny')
    assert list_from_file(text_files / 'crlf.txt') == ['x', '', 'y']
    (text_files / 'l1.txt').write_bytes('\u00e9\n'.encode('latin-1'))
    assert list_from_file(text_files / 'l1.txt', encoding='latin-1') == ['\u00e9']
    with pytest.warns(DeprecationWarning):
        assert list_from_file(a, file_client_args={'backend': 'disk'}, max_num=1) == ['a']
    with pytest.raises(ValueError, match='cannot be set at the same time'):
        list_from_file(a, file_client_args={}, backend_args={})
    assert list_from_file(a, backend_args={'backend': 'local'}, max_num=1) == ['a']


def test_dict_from_file(text_files):
    b = text_files / 'b.txt'
    assert dict_from_file(b) == {'1': 'cat', '2': ['dog', 'cow'], '3': 'panda'}
    assert dict_from_file(str(b), key_type=int) == {1: 'cat', 2: ['dog', 'cow'], 3: 'panda'}
    (text_files / 'dup.txt').write_text('k 1\nk 2\n')
    assert dict_from_file(text_files / 'dup.txt') == {'k': '2'}
    (text_files / 'bad.txt').write_text('1 cat\nlonely\n')
    with pytest.raises(AssertionError, match="bad.txt' line 2.*'lonely'"):
        dict_from_file(text_files / 'bad.txt')
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        assert dict_from_file(Path(b), backend_args={'backend': 'local'})['1'] == 'cat'


@pytest.mark.parametrize('name, content, error', [
    ('broken.json', b'{"a": 1,', 'JSONDecodeError'),
    ('broken.yaml', b'a: [1, 2\nb: 3\n', 'YAMLError'),
    ('broken.pkl', b'\x80\x04not a pickle', 'UnpicklingError'),
])
def test_a_file_that_does_not_parse_is_named_in_the_error(tmp_path, name, content, error):
    import json

    import yaml
    path = tmp_path / name
    path.write_bytes(content)
    kinds = dict(JSONDecodeError=json.JSONDecodeError, YAMLError=yaml.YAMLError,
                 UnpicklingError=pickle.UnpicklingError)
    with pytest.raises(kinds[error]) as info:
        load(str(path))
    assert str(path) in str(info.value)
    if error == 'JSONDecodeError':  # the parser's position survives
        assert info.value.pos == 8 and 'line 1 column 9' in str(info.value)


def test_handlers_read_and_write_utf8_whatever_the_locale(tmp_path):
    # Under a plain C locale, with Python's UTF-8 mode and locale coercion off, the
    # default text codec is ASCII: a handler must still read the UTF-8 it writes.
    import os
    import subprocess
    import sys

    data = tmp_path / 'classes.json'
    data.write_text('{"classes": ["猫", "café"]}', encoding='utf-8')
    code = (
        'import sys, locale\n'
        'from engine.fileio.handlers import JsonHandler, YamlHandler\n'
        'assert locale.getpreferredencoding(False).lower() in ("ansi_x3.4-1968", "ascii")\n'
        'loaded = JsonHandler().load_from_path(sys.argv[1])\n'
        'YamlHandler().dump_to_path(loaded, sys.argv[2], allow_unicode=True)\n'
        'again = YamlHandler().load_from_path(sys.argv[2])\n'
        'assert loaded == again == {"classes": ["\\u732b", "caf\\xe9"]}, (loaded, again)\n'
    )
    env = dict(os.environ, LC_ALL='C', LANG='C', PYTHONUTF8='0', PYTHONCOERCECLOCALE='0')
    proc = subprocess.run([sys.executable, '-c', code, str(data), str(tmp_path / 'c.yaml')],
                          env=env, capture_output=True, text=True, encoding='utf-8')
    assert proc.returncode == 0, proc.stderr
    assert '猫' in (tmp_path / 'c.yaml').read_text(encoding='utf-8')
