"""The exact progress-bar lines (UTIL-14), on a controlled clock."""

import io

import pytest

import engine.utils.timer as timer_module
from engine.utils import ProgressBar, track_progress


class _Clock:
    def __init__(self, now=100.0):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = _Clock()
    monkeypatch.setattr(timer_module.time, 'time', fake)
    monkeypatch.setenv('COLUMNS', '200')  # a wide terminal: bar_width is not cut
    return fake


def test_util14_known_total_lines(clock):
    out = io.StringIO()
    bar = ProgressBar(3, bar_width=10, file=out)
    assert out.getvalue() == '[          ] 0/3, elapsed: 0s, ETA:'
    clock.now += 2
    bar.update()
    assert out.getvalue().split('ETA:', 1)[1] == \
        '\r[>>>       ] 1/3, 0.5 task/s, elapsed: 2s, ETA:     4s'
    clock.now += 4
    bar.update(2)
    assert out.getvalue().endswith('\r[>>>>>>>>>>] 3/3, 0.5 task/s, elapsed: 6s, ETA:     0s')


def test_util14_unknown_total_lines(clock):
    out = io.StringIO()
    bar = ProgressBar(file=out)
    clock.now += 2
    bar.update(2)
    assert out.getvalue() == 'completed: 0, elapsed: 0scompleted: 2, elapsed: 2s, 1.0 tasks/s'


def test_util14_bar_width_is_capped_by_the_terminal(clock, monkeypatch):
    monkeypatch.setenv('COLUMNS', '60')
    out = io.StringIO()
    bar = ProgressBar(2, bar_width=50, file=out)
    assert bar.terminal_width == 60
    clock.now += 1
    bar.update()
    line = out.getvalue().rsplit('\r', 1)[1]
    # the bar leaves room for the text: 60 - len('\r[{}] 1/2, ... ETA:     1s') + 2 columns
    assert line == '[>>>>>>>        ] 1/2, 1.0 task/s, elapsed: 1s, ETA:     1s'
    monkeypatch.setenv('COLUMNS', '1')
    bar.update()
    assert out.getvalue().rsplit('\r', 1)[1].startswith('[>>] 2/2, ')  # never below 2


def test_util15_track_progress_ends_with_a_newline(clock):
    out = io.StringIO()
    assert track_progress(str, [1, 2], bar_width=4, file=out) == ['1', '2']
    # no time passed on the fake clock: the speed is infinite
    assert out.getvalue().endswith('\r[>>>>] 2/2, inf task/s, elapsed: 0s, ETA:     0s\n')
