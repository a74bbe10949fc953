"""LocalBackend and the functional API on local files (FIO-03..12, 30..39)."""

import io
import os
import os.path as osp
import shutil
from pathlib import Path

import pytest

import engine.fileio as fileio
from engine.fileio import LocalBackend
from engine.fileio import io as fio


@pytest.fixture
def tree(tmp_path):
    """{text1.txt, text2.txt, dir1/text3.txt, dir2/img.jpg, dir2/dir3/text4.txt}"""
    (tmp_path / 'dir1').mkdir()
    (tmp_path / 'dir2' / 'dir3').mkdir(parents=True)
    for rel, text in [('text1.txt', 'text1'), ('text2.txt', 'text2'),
                      ('dir1/text3.txt', 'text3'), ('dir2/img.jpg', 'img'),
                      ('dir2/dir3/text4.txt', 'text4')]:
        (tmp_path / rel).write_text(text)
    return tmp_path


def test_get_put_roundtrip_bytes_and_text(tmp_path):
    b = LocalBackend()
    p = tmp_path / 'f.txt'
    assert b.put(b'hello world', p) is None
    assert b.get(p) == b'hello world'
    assert b.get(str(p)) == b'hello world'
    assert b.get_text(p) == 'hello world'
    b.put_text('h\u00e9llo', p, encoding='latin-1')
    assert p.read_bytes() == 'h\u00e9llo'.encode('latin-1')
    assert b.get_text(p, encoding='latin-1') == 'h\u00e9llo'
    with pytest.raises(FileNotFoundError):
        b.get(tmp_path / 'missing')


def test_put_creates_parents_and_overwrites(tmp_path):
    b = LocalBackend()
    p = tmp_path / 'a' / 'b' / 'c.bin'
    b.put(b'one', p)
    b.put(b'two', p)
    assert p.read_bytes() == b'two'
    b.put_text('disk', tmp_path / 'not_existed_dir' / 't.txt')
    assert (tmp_path / 'not_existed_dir' / 't.txt').read_text() == 'disk'


def test_put_to_bare_filename_writes_in_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    fileio.put_text('x', 'bare.txt')
    assert (tmp_path / 'bare.txt').read_text() == 'x'
    assert os.listdir(tmp_path) == ['bare.txt']


class Boom(Exception):
    pass


def test_put_is_atomic_when_write_fails(tmp_path, monkeypatch):
    """A failure mid-write keeps the old target and leaves no temp file."""
    target = tmp_path / 'ckpt.bin'
    target.write_bytes(b'old contents')

    calls = []

    class FailingWriter(io.BufferedWriter):
        def write(self, data):
            calls.append(len(data))
            super().write(bytes(data[:3]))  # part of the data hits the disk ...
            super().flush()
            raise Boom('disk full')  # ... then the write fails

    def failing_open(fd, mode='r', *args, **kwargs):
        assert 'b' in mode  # text is layered on top by the caller
        return FailingWriter(io.FileIO(fd, mode))

    monkeypatch.setattr(os, 'fdopen', failing_open)
    with pytest.raises(Boom):
        fileio.put(b'new contents that never fully land', target)
    with pytest.raises(Boom):
        fileio.put_text('new text', target)
    with pytest.raises(Boom):
        fileio.dump({'a': 1}, str(tmp_path / 'ckpt.json'))
    monkeypatch.undo()
    assert calls, 'the failing writer was not used'
    assert target.read_bytes() == b'old contents'
    assert sorted(os.listdir(tmp_path)) == ['ckpt.bin']


def test_put_is_atomic_when_serialisation_fails(tmp_path):
    """dump through a path: a handler error leaves the old file untouched."""
    target = tmp_path / 'out.json'
    fileio.dump({'ok': 1}, target)
    with pytest.raises(TypeError, match='unsupported for json dump'):
        fileio.dump({'bad': object()}, target)
    assert fileio.load(target) == {'ok': 1}
    assert os.listdir(tmp_path) == ['out.json']


def test_put_text_with_an_unknown_encoding_leaves_no_temp_file(tmp_path):
    target = tmp_path / 'notes.txt'
    target.write_text('old')
    with pytest.raises(LookupError, match='no-such-codec'):
        LocalBackend().put_text('new', target, encoding='no-such-codec')
    assert target.read_text() == 'old'
    assert os.listdir(tmp_path) == ['notes.txt']


def test_put_keeps_umask_permissions_and_writes_through_symlinks(tmp_path):
    plain = tmp_path / 'plain.txt'
    with open(plain, 'w') as f:
        f.write('x')
    ours = tmp_path / 'ours.txt'
    fileio.put_text('x', ours)
    assert (os.stat(ours).st_mode & 0o777) == (os.stat(plain).st_mode & 0o777)

    real = tmp_path / 'real.txt'
    real.write_text('old')
    link = tmp_path / 'link.txt'
    os.symlink(real, link)
    fileio.put_text('new', link)
    assert osp.islink(link) and real.read_text() == 'new'


def test_put_onto_directory_raises(tmp_path):
    (tmp_path / 'd').mkdir()
    with pytest.raises(IsADirectoryError, match='d'):
        fileio.put(b'x', tmp_path / 'd')
    assert os.listdir(tmp_path) == ['d'] and os.listdir(tmp_path / 'd') == []


def test_exists_isdir_isfile(tmp_path):
    b = LocalBackend()
    f = tmp_path / 'f'
    f.write_text('x')
    missing = tmp_path / 'missing'
    assert (b.exists(tmp_path), b.isdir(tmp_path), b.isfile(tmp_path)) == (True, True, False)
    assert (b.exists(f), b.isdir(f), b.isfile(f)) == (True, False, True)
    assert (b.exists(missing), b.isdir(missing), b.isfile(missing)) == (False, False, False)
    assert fileio.exists(f) and fileio.isfile(str(f)) and fileio.isdir(tmp_path)
    assert not fileio.exists(missing)


def test_join_path():
    assert LocalBackend().join_path('/path/of/dir1', 'dir2', 'path/of/file') == \
        '/path/of/dir1/dir2/path/of/file'
    assert fileio.join_path('/path/of/dir1', 'dir2', 'path/of/file') == \
        '/path/of/dir1/dir2/path/of/file'
    out = fileio.join_path(Path('/a'), 'b')
    assert out == '/a/b' and isinstance(out, str)


def test_get_local_path_local_is_identity(tmp_path):
    p = tmp_path / 'f.txt'
    p.write_text('x')
    with LocalBackend().get_local_path(p) as q:
        assert q is p
    with fileio.get_local_path(p) as q:
        assert q == str(p)
    assert p.exists()


def test_copyfile(tmp_path):
    src = tmp_path / 'test.txt'
    src.write_text('content')
    dst = tmp_path / 'test.txt.bak'
    out = fileio.copyfile(src, dst)
    assert out == dst and isinstance(out, Path)
    assert dst.read_text() == 'content'
    d = tmp_path / 'dir'
    d.mkdir()
    out = fileio.copyfile(src, d)
    assert out == fileio.join_path(d, 'test.txt') and isinstance(out, str)
    assert (d / 'test.txt').read_text() == 'content'
    src.write_text('changed')
    assert fileio.copyfile(str(src), str(dst)) == str(dst)
    assert dst.read_text() == 'changed'
    with pytest.raises(shutil.SameFileError):
        fileio.copyfile(src, src)
    with pytest.raises(shutil.SameFileError):
        fileio.copyfile(src, tmp_path)  # copying into its own folder
    for fn in (fileio.copyfile_from_local, fileio.copyfile_to_local):
        target = tmp_path / f'{fn.__name__}.txt'
        assert fn(src, target) == target and target.read_text() == 'changed'


def test_copyfile_keeps_mode(tmp_path):
    src = tmp_path / 'run.sh'
    src.write_text('#!/bin/sh\n')
    os.chmod(src, 0o755)
    dst = fileio.copyfile(src, tmp_path / 'copy.sh')
    assert os.stat(dst).st_mode & 0o777 == 0o755


def test_copytree(tree):
    out = fileio.copytree(tree / 'dir1', tree / 'dir100')
    assert out == tree / 'dir100'
    assert (tree / 'dir100' / 'text3.txt').read_text() == 'text3'
    with pytest.raises(FileExistsError):
        fileio.copytree(tree / 'dir1', tree / 'dir2')
    assert fileio.copytree_from_local(str(tree / 'dir1'), str(tree / 'a')) == str(tree / 'a')
    assert fileio.copytree_to_local(tree / 'dir2', tree / 'b') == tree / 'b'
    assert (tree / 'b' / 'dir3' / 'text4.txt').read_text() == 'text4'


def test_remove_and_rmtree(tree):
    fileio.remove(tree / 'text1.txt')
    assert not fileio.exists(tree / 'text1.txt')
    with pytest.raises(FileNotFoundError, match='text1.txt'):
        fileio.remove(tree / 'text1.txt')
    with pytest.raises(IsADirectoryError, match='dir1'):
        fileio.remove(tree / 'dir1')
    fileio.rmtree(tree / 'dir2')
    assert not fileio.exists(tree / 'dir2')
    os.symlink(tree / 'gone', tree / 'dangling')
    fileio.remove(tree / 'dangling')
    assert not osp.lexists(tree / 'dangling')


def test_copy_if_symlink_fails(tree, monkeypatch):
    assert fileio.copy_if_symlink_fails(tree / 'text1.txt', tree / 'l1') is True
    assert osp.islink(tree / 'l1')
    assert fileio.copy_if_symlink_fails(tree / 'dir1', tree / 'l2') is True
    assert osp.islink(tree / 'l2')

    def no_symlink(*args, **kwargs):
        raise OSError('symlinks not allowed here')

    monkeypatch.setattr(os, 'symlink', no_symlink)
    assert fileio.copy_if_symlink_fails(tree / 'text1.txt', tree / 'c1') is False
    assert (tree / 'c1').is_file() and not osp.islink(tree / 'c1')
    assert (tree / 'c1').read_text() == 'text1'
    assert fileio.copy_if_symlink_fails(tree / 'dir1', tree / 'c2') is False
    assert (tree / 'c2').is_dir() and not osp.islink(tree / 'c2')
    assert (tree / 'c2' / 'text3.txt').read_text() == 'text3'


@pytest.mark.parametrize('kwargs, expected', [
    ({}, {'dir1', 'dir2', 'text1.txt', 'text2.txt'}),
    ({'list_file': False}, {'dir1', 'dir2'}),
    ({'list_file': False, 'recursive': True}, {'dir1', 'dir2', osp.join('dir2', 'dir3')}),
    ({'list_dir': False}, {'text1.txt', 'text2.txt'}),
    ({'list_dir': False, 'suffix': '.txt'}, {'text1.txt', 'text2.txt'}),
    ({'list_dir': False, 'suffix': ('.txt', '.jpg')}, {'text1.txt', 'text2.txt'}),
    ({'list_dir': False, 'recursive': True},
     {'text1.txt', 'text2.txt', osp.join('dir1', 'text3.txt'), osp.join('dir2', 'img.jpg'),
      osp.join('dir2', 'dir3', 'text4.txt')}),
    ({'list_dir': False, 'recursive': True, 'suffix': '.jpg'}, {osp.join('dir2', 'img.jpg')}),
    ({'recursive': True},
     {'dir1', 'dir2', osp.join('dir2', 'dir3'), 'text1.txt', 'text2.txt',
      osp.join('dir1', 'text3.txt'), osp.join('dir2', 'img.jpg'),
      osp.join('dir2', 'dir3', 'text4.txt')}),
])
def test_list_dir_or_file(tree, kwargs, expected):
    assert set(fileio.list_dir_or_file(tree, **kwargs)) == expected
    assert set(LocalBackend().list_dir_or_file(str(tree), **kwargs)) == expected


def test_list_dir_or_file_recursive_yields_dir_before_contents(tree):
    out = list(fileio.list_dir_or_file(tree, recursive=True))
    assert out.index('dir2') < out.index(osp.join('dir2', 'dir3')) < \
        out.index(osp.join('dir2', 'dir3', 'text4.txt'))


def test_list_dir_or_file_skips_dot_files_not_dot_dirs(tree):
    (tree / '.hidden').write_text('x')
    (tree / '.git').mkdir()
    (tree / '.git' / 'HEAD').write_text('x')
    out = set(fileio.list_dir_or_file(tree, recursive=True))
    assert '.hidden' not in out
    assert '.git' in out and osp.join('.git', 'HEAD') in out


def test_list_dir_or_file_misuse(tree):
    with pytest.raises(TypeError, match='`suffix` should be None when `list_dir` is True'):
        list(fileio.list_dir_or_file(tree, suffix='.txt'))
    with pytest.raises(TypeError, match='`suffix` should be None'):
        list(fileio.list_dir_or_file(tree, list_file=False, suffix='.txt'))
    with pytest.raises(TypeError, match='must be a string or tuple of strings'):
        list(fileio.list_dir_or_file(tree, list_dir=False, suffix=['.txt']))
    with pytest.raises(TypeError, match='`suffix` should be None'):
        LocalBackend().list_dir_or_file(tree, suffix='.txt')  # eagerly, at call time
    with pytest.raises(FileNotFoundError):
        list(fileio.list_dir_or_file(tree / 'missing'))


def test_functional_api_uses_singleton_local_backend(tmp_path):
    fileio.put(b'x', tmp_path / 'a')
    assert isinstance(fio.backend_instances[':{}'], LocalBackend)
    assert fileio.get_file_backend(tmp_path, enable_singleton=True) is \
        fio.backend_instances[':{}']
