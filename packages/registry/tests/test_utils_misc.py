"""engine.utils.misc and version helpers (UTIL-12/13, UTIL-21..33, TS-24, TS-25)."""

import os
import subprocess
import sys
import warnings

import pytest

from engine.utils import (
    PrerequisiteError,
    check_prerequisites,
    concat_list,
    deprecated_api_warning,
    digit_version,
    get_git_hash,
    has_method,
    import_modules_from_strings,
    is_list_of,
    is_method_overridden,
    is_seq_of,
    is_str,
    is_tuple_of,
    iter_cast,
    list_cast,
    requires_executable,
    requires_package,
    slice_list,
    to_1tuple,
    to_2tuple,
    to_3tuple,
    to_4tuple,
    to_ntuple,
    tuple_cast,
)


def test_ts24_import_modules_from_strings():
    import os.path as osp_mod

    osp, sys_ = import_modules_from_strings(['os.path', 'sys'])
    assert osp is osp_mod and sys_ is sys
    assert import_modules_from_strings('os') is os
    assert import_modules_from_strings(None) is None
    assert import_modules_from_strings([]) is None
    with pytest.raises(ImportError, match='Failed to import nope_xyz'):
        import_modules_from_strings(['nope_xyz'])
    with pytest.raises(TypeError, match='custom_imports must be a list but got type'):
        import_modules_from_strings(('os',))
    with pytest.raises(TypeError, match='is of type .* and cannot be imported'):
        import_modules_from_strings([1])
    with pytest.warns(UserWarning, match='nope_xyz failed to import and is ignored'):
        assert import_modules_from_strings(['nope_xyz', 'os'],
                                           allow_failed_imports=True) == [None, os]


def test_ts25_sequence_checks():
    assert is_seq_of(['a', 'b', 'c'], str)
    assert not is_seq_of(['a', 'b', 'c'], int)
    assert is_seq_of((1, 2.0), (int, float))
    assert is_seq_of('abc', str)  # a str is a sequence of str
    assert not is_seq_of(5, int)
    assert not is_list_of((1,), int) and is_list_of([1], int)
    assert is_tuple_of((1,), int) and not is_tuple_of([1], int)
    with pytest.raises(AssertionError):
        is_seq_of([1], int, seq_type='list')
    assert is_str('x') and not is_str(1)


def test_casts():
    it = iter_cast(['1', '2'], int)
    assert not isinstance(it, list) and list(it) == [1, 2]
    assert list_cast(['1', '2'], int) == [1, 2]
    assert tuple_cast(['1'], float) == (1.0,)
    with pytest.raises(TypeError, match='inputs must be an iterable object'):
        iter_cast(1, int)
    with pytest.raises(TypeError, match='"dst_type" must be a valid type'):
        iter_cast([1], 'int')


def test_slice_and_concat():
    assert slice_list([1, 2, 3, 4, 5, 6], [1, 2, 3]) == [[1], [2, 3], [4, 5, 6]]
    assert slice_list([1, 2, 3, 4], 2) == [[1, 2], [3, 4]]
    with pytest.raises(AssertionError):
        slice_list([1, 2, 3], 2)
    with pytest.raises(TypeError, match='"indices" must be an integer or a list of integers'):
        slice_list([1, 2], (1, 1))
    with pytest.raises(ValueError, match='sum of lens and list length does not match: 2 != 3'):
        slice_list([1, 2, 3], [1, 1])
    assert concat_list([[1, 2], [3], []]) == [1, 2, 3]


def test_to_ntuple():
    assert to_2tuple(3) == (3, 3)
    assert to_2tuple((1, 2, 3)) == (1, 2, 3)
    assert to_2tuple([1]) == [1] and to_2tuple('ab') == 'ab'
    assert to_1tuple(1) == (1,) and to_3tuple(0) == (0, 0, 0) and to_4tuple(1) == (1,) * 4
    assert to_ntuple(5)(None) == (None,) * 5


def test_requires_package(capsys):
    @requires_package(['os', 'non_package_xyz'])
    def func():
        return 1

    with pytest.raises(ImportError):
        func()
    with pytest.raises(RuntimeError, match='Prerequisites not meet'):
        func()
    assert 'Prerequisites "non_package_xyz" are required in method "func"' \
        in capsys.readouterr().out

    @requires_package('os')
    def ok():
        return 2

    assert ok() == 2


def test_requires_executable_and_custom_checker():
    @requires_executable('definitely-not-an-executable-xyz')
    def func():
        return 1

    with pytest.raises(PrerequisiteError):
        func()

    @check_prerequisites(['a', 'b'], checker=lambda name: name == 'a')
    def only_b_missing():
        return 1

    with pytest.raises(RuntimeError, match='"b" are required in method "only_b_missing"'):
        only_b_missing()


def test_deprecated_api_warning():
    @deprecated_api_warning({'old': 'new'}, cls_name='Thing')
    def func(new=0):
        return new

    with pytest.warns(DeprecationWarning,
                      match='"old" is deprecated in `Thing.func`, please use "new" instead'):
        assert func(old=3) == 3
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        assert func(new=4) == 4
    with pytest.raises(AssertionError), pytest.warns(DeprecationWarning):
        func(old=1, new=2)

    @deprecated_api_warning({'old': 'new'})
    def positional(old, other=1):
        return old

    with pytest.warns(DeprecationWarning, match='"old" is deprecated in `positional`'):
        assert positional(5) == 5


def test_has_method_and_is_method_overridden():
    class Base:
        def foo(self):
            pass

        attr = 1

    class Sub(Base):
        def foo(self):
            pass

    class Same(Base):
        pass

    assert has_method(Base(), 'foo') and not has_method(Base(), 'attr')
    assert not has_method(Base(), 'missing')
    assert is_method_overridden('foo', Base, Sub)
    assert is_method_overridden('foo', Base, Sub())
    assert not is_method_overridden('foo', Base, Same)
    with pytest.raises(AssertionError, match="base_class doesn't accept instance"):
        is_method_overridden('foo', Base(), Sub)


@pytest.mark.parametrize('version, expected', [
    ('1.2.3', (1, 2, 3, 0, 0, 0)),
    ('1.10.0a0', (1, 10, 0, 0, -3, 0)),
    ('2.0.0b2', (2, 0, 0, 0, -2, 2)),
    ('2.0.0rc1', (2, 0, 0, 0, -1, 1)),
    ('1.0.post1', (1, 0, 0, 0, 1, 1)),
    ('1.13.1+cu117', (1, 13, 1, 0, 0, 0)),
    ('2.1.0.dev20230101', (2, 1, 0, 0, -4, 0)),
    ('v1.5', (1, 5, 0, 0, 0, 0)),
])
def test_digit_version(version, expected):
    assert digit_version(version) == expected


def test_digit_version_ordering_and_errors():
    assert digit_version('1.2.3', length=2) == (1, 2, 0, 0)
    assert (digit_version('2.0.0a1') < digit_version('2.0.0b1') < digit_version('2.0.0rc1')
            < digit_version('2.0.0') < digit_version('2.0.0.post1'))
    assert digit_version('1.10.0') > digit_version('1.9.9')
    with pytest.raises(AssertionError):
        digit_version('not a version')
    with pytest.raises(AssertionError):
        digit_version('1.0.0parrots')


def test_get_git_hash(tmp_path, monkeypatch):
    if subprocess.run(['git', '--version'], capture_output=True).returncode != 0:
        pytest.skip('git is not installed')
    repo = tmp_path / 'repo'
    repo.mkdir()
    git = ['git', '-c', 'user.name=t', '-c', 'user.email=t@t']
    subprocess.run(['git', 'init', '-q'], cwd=repo, check=True)
    subprocess.run(git + ['commit', '-q', '--allow-empty', '-m', 'x'], cwd=repo, check=True)
    expected = subprocess.run(['git', 'rev-parse', 'HEAD'], cwd=repo, capture_output=True,
                              text=True, check=True).stdout.strip()
    monkeypatch.chdir(repo)
    assert get_git_hash() == expected
    assert get_git_hash(digits=7) == expected[:7]
    with pytest.raises(TypeError):
        get_git_hash(digits='7')
    monkeypatch.setenv('PATH', str(tmp_path / 'empty'))
    assert get_git_hash(fallback='nogit') == 'nogit'
