"""Path helpers, Timer/check_time, progress bars (UTIL-01..07, UTIL-14..20, TS-26, TS-28)."""

import io
import os
import time
from pathlib import Path

import pytest

from engine.utils import (
    ProgressBar,
    Timer,
    TimerError,
    check_file_exist,
    check_time,
    fopen,
    is_abs,
    is_filepath,
    makedirs_or_exist,
    mkdir_or_exist,
    scandir,
    symlink,
    track_iter_progress,
    track_parallel_progress,
    track_progress,
)


def test_check_file_exist(tmp_path):
    f = tmp_path / 'a.txt'
    f.write_text('x')
    check_file_exist(str(f))
    with pytest.raises(FileNotFoundError, match='does not exist'):
        check_file_exist(str(tmp_path / 'b.txt'))
    with pytest.raises(FileNotFoundError, match='^missing: '):
        check_file_exist(str(tmp_path), msg_tmpl='missing: {}')


def test_fopen_is_abs_is_filepath(tmp_path):
    f = tmp_path / 'a.txt'
    with fopen(f, 'w') as fh:
        fh.write('hi')
    with fopen(str(f)) as fh:
        assert fh.read() == 'hi'
    with pytest.raises(ValueError, match='`filepath` should be a string or a Path'):
        fopen(1)
    assert is_abs('/a/b') and is_abs('http://x') and is_abs('https://x') and is_abs('s3://b')
    assert not is_abs('a/b')
    assert is_filepath('x') and is_filepath(Path('x')) and not is_filepath(1)


def test_mkdir_or_exist(tmp_path, monkeypatch):
    target = tmp_path / 'a' / 'b'
    mkdir_or_exist(str(target))
    mkdir_or_exist(str(target))  # exists: no error
    assert target.is_dir()
    mkdir_or_exist('')
    monkeypatch.setenv('HOME', str(tmp_path))
    makedirs_or_exist('~/home_dir')
    assert (tmp_path / 'home_dir').is_dir()


def test_symlink_overwrites_even_broken_link(tmp_path):
    src1, src2, dst = tmp_path / 's1', tmp_path / 's2', tmp_path / 'link'
    src1.write_text('1')
    src2.write_text('2')
    symlink(str(tmp_path / 'gone'), str(dst))  # broken link
    symlink(str(src1), str(dst))
    assert dst.read_text() == '1'
    with pytest.raises(FileExistsError):
        symlink(str(src2), str(dst), overwrite=False)


def test_ts28_scandir(tmp_path):
    (tmp_path / 'a.TXT').write_text('')
    (tmp_path / '.hidden.txt').write_text('')
    (tmp_path / 'x' / 'y').mkdir(parents=True)
    (tmp_path / 'x' / 'b.txt').write_text('')
    (tmp_path / 'x' / 'y' / 'c.py').write_text('')
    assert sorted(scandir(tmp_path, '.txt', recursive=True)) == [os.path.join('x', 'b.txt')]
    assert sorted(scandir(str(tmp_path), '.txt', recursive=True, case_sensitive=False)) == \
        ['a.TXT', os.path.join('x', 'b.txt')]
    assert sorted(scandir(tmp_path)) == ['a.TXT']
    assert sorted(scandir(tmp_path, ('.py', '.txt'), recursive=True)) == \
        [os.path.join('x', 'b.txt'), os.path.join('x', 'y', 'c.py')]
    with pytest.raises(TypeError, match='"suffix" must be a string or tuple of strings'):
        list(scandir(tmp_path, suffix=['.py']))
    with pytest.raises(TypeError, match='"dir_path" must be a string or Path object'):
        list(scandir(1))


def test_ts26_timer(capsys):
    with pytest.raises(TimerError) as info:
        Timer(start=False).since_start()
    assert info.value.message == 'timer is not running'
    with pytest.raises(TimerError):
        Timer(start=False).since_last_check()
    with Timer(print_tmpl='it takes {:.1f} seconds'):
        time.sleep(0.1)
    assert capsys.readouterr().out == 'it takes 0.1 seconds\n'
    timer = Timer()
    assert timer.is_running
    time.sleep(0.02)
    first = timer.since_last_check()
    assert first >= 0.02
    assert timer.since_last_check() < first
    assert timer.since_start() >= 0.02


def test_check_time():
    assert check_time('test_check_time_id') == 0
    time.sleep(0.02)
    assert 0.02 <= check_time('test_check_time_id') < 1


def test_progress_bar_known_total():
    out = io.StringIO()
    bar = ProgressBar(3, bar_width=10, file=out)
    assert out.getvalue() == '[          ] 0/3, elapsed: 0s, ETA:'
    bar.update()
    text = out.getvalue()
    assert '] 1/3, ' in text and ' task/s, elapsed: ' in text and 'ETA:' in text
    assert bar.completed == 1 and bar.task_num == 3 and bar.bar_width == 10
    with pytest.raises(AssertionError):
        bar.update(0)


def test_progress_bar_unknown_total():
    out = io.StringIO()
    bar = ProgressBar(file=out)
    assert out.getvalue() == 'completed: 0, elapsed: 0s'
    bar.update(2)
    assert 'completed: 2, elapsed: 0s, ' in out.getvalue() and 'tasks/s' in out.getvalue()


def _square(x, offset=0):
    return x * x + offset


def test_track_progress_and_iter():
    out = io.StringIO()
    assert track_progress(_square, [1, 2, 3], file=out, offset=1) == [2, 5, 10]
    assert '3/3' in out.getvalue() and out.getvalue().endswith('\n')
    out = io.StringIO()
    assert track_progress(_square, (iter([1, 2]), 2), file=out) == [1, 4]
    assert list(track_iter_progress([1, 2], file=io.StringIO())) == [1, 2]
    assert list(track_iter_progress((iter('ab'), 2), file=io.StringIO())) == ['a', 'b']
    with pytest.raises(AssertionError):
        track_progress(_square, (iter([1]), '1'), file=io.StringIO())
    with pytest.raises(TypeError):
        track_progress(_square, iter([1]), file=io.StringIO())


def test_track_parallel_progress():
    out = io.StringIO()
    assert track_parallel_progress(_square, list(range(6)), nproc=2, file=out) == \
        [0, 1, 4, 9, 16, 25]
    assert '6/6' in out.getvalue()
    unordered = track_parallel_progress(_square, list(range(6)), nproc=2, keep_order=False,
                                        skip_first=True, file=io.StringIO())
    assert sorted(unordered) == [0, 1, 4, 9, 16, 25]
    with pytest.raises(TypeError, match='"initargs" must be a tuple'):
        track_parallel_progress(_square, [1], nproc=1, initargs=[1], file=io.StringIO())
