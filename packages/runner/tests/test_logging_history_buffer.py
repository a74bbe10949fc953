"""HistoryBuffer (LOG-02..05; scenarios T18, T19)."""
import copy
import math
import pickle

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.logging import HistoryBuffer


def test_init_and_data():
    values, counts = HistoryBuffer().data
    assert len(values) == 0 and len(counts) == 0
    values, counts = HistoryBuffer([1, 2, 3], [1, 2, 3]).data
    assert values.tolist() == [1, 2, 3] and counts.tolist() == [1, 2, 3]
    assert isinstance(values, np.ndarray)


def test_init_longer_than_max_length_warns_and_keeps_tail():
    match = r"The length of history buffer\(3\) exceeds the max_length\(2\)"
    with pytest.warns(UserWarning, match=match):
        buf = HistoryBuffer([1, 2, 3], [1, 2, 3], max_length=2)
    values, counts = buf.data
    assert values.tolist() == [2, 3] and counts.tolist() == [2, 3]


def test_init_length_mismatch():
    with pytest.raises(AssertionError):
        HistoryBuffer([1, 2, 3], [1, 2])


def test_update():
    buf = HistoryBuffer([1, 2, 3], [1, 1, 1])
    buf.update(4)
    assert [a.tolist() for a in buf.data] == [[1, 2, 3, 4], [1, 1, 1, 1]]
    buf.update(5, 2)
    assert [a.tolist() for a in buf.data] == [[1, 2, 3, 4, 5], [1, 1, 1, 1, 2]]
    buf.update(0.5)
    assert buf.current() == 0.5  # an int history accepts floats
    with pytest.raises(TypeError):
        buf.update("a")
    with pytest.raises(TypeError):
        buf.update(1, "a")


def test_update_keeps_last_max_length_values():
    buf = HistoryBuffer(max_length=50)
    reference = []
    for i in range(1000):
        buf.update(i * 0.5, 2)
        reference.append(i * 0.5)
        assert buf.data[0].tolist() == reference[-50:]
        tail = reference[-7:]
        assert math.isclose(buf.mean(7), sum(tail) / (2 * len(tail)))
    assert len(buf) == 50


def test_statistics_doc_example():
    buf = HistoryBuffer([1, 2, 3], [1, 1, 1])
    assert buf.min(2) == 2 and buf.min() == 1
    assert buf.max(2) == 3 and buf.max() == 3
    assert buf.mean(2) == 2.5 and buf.mean() == 2
    assert buf.mean(100) == 2  # window larger than the history = whole history
    assert HistoryBuffer([1, 2, 3], [2, 2, 2]).mean() == 1
    buf.update(4, 1)
    assert buf.current() == 4
    with pytest.raises(AssertionError):
        buf.mean(1.5)


def test_current_on_empty_buffer():
    with pytest.raises(ValueError):
        HistoryBuffer().current()


def test_updates_from_empty():
    buf = HistoryBuffer()
    buf.update(1)
    buf.update(2)
    assert buf.min() == 1 and buf.max() == 2 and buf.mean() == 1.5
    assert buf.statistics("mean") == 1.5


def test_statistics_dispatch():
    buf = HistoryBuffer([1, 2, 3], [1, 1, 1])
    assert buf.statistics("mean") == 2
    assert buf.statistics("mean", 2) == 2.5
    assert buf.statistics("max", window_size=2) == 3
    with pytest.raises(KeyError):
        buf.statistics("data")
    with pytest.raises(TypeError):
        buf.statistics("mean", 2, 3)


def test_register_statistics():
    def weighted_last_two(self):
        values, counts = self.data
        return float((values[-2:] * counts[-2:]).sum())

    registered = HistoryBuffer.register_statistics(weighted_last_two)
    try:
        assert registered is weighted_last_two
        assert HistoryBuffer([1, 2, 3], [1, 2, 3]).statistics("weighted_last_two") == 13
        with pytest.raises(AssertionError):
            HistoryBuffer.register_statistics(weighted_last_two)
    finally:
        HistoryBuffer._statistics_methods.pop("weighted_last_two")


def test_doc_loop_report_every_five_iterations():
    lr_buf, loss_buf = HistoryBuffer(), HistoryBuffer()
    reports = []
    for i in range(1, 11):
        lr_buf.update(i / 10 * 0.1)
        loss_buf.update(1 / i)
        if i % 5 == 0:
            reports.append((lr_buf.statistics("current"), loss_buf.statistics("mean", 5)))
    assert reports == [(pytest.approx(0.05), pytest.approx(0.45666666666666667)),
                       (pytest.approx(0.1), pytest.approx(0.12912698412698415))]


def test_copy_and_pickle_roundtrip():
    buf = HistoryBuffer([1, 2, 3], [1, 1, 2], max_length=5)
    for clone in (copy.deepcopy(buf), pickle.loads(pickle.dumps(buf))):
        assert [a.tolist() for a in clone.data] == [[1, 2, 3], [1, 1, 2]]
        assert clone.max_length == 5
        clone.update(9)
        assert buf.current() == 3


# Log lines read short windows while the values are still pending (not yet in
# the arrays); those reads must give what the arrays would give, types included.

_numbers = st.one_of(st.integers(-1000, 1000),
                     st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False))


@given(history=st.lists(st.tuples(_numbers, st.integers(1, 4)), min_size=1, max_size=40),
       flushed=st.integers(0, 40), window=st.integers(1, 50), max_length=st.integers(1, 60))
def test_statistics_of_pending_values_match_the_arrays(history, flushed, window, max_length):
    def build():
        buf = HistoryBuffer(max_length=max_length)
        for i, (value, count) in enumerate(history):
            buf.update(value, count)
            if i + 1 == flushed:
                len(buf)  # a read moves the pending values into the arrays
        return buf

    lazy, eager = build(), build()
    len(eager)
    for name in ('current', 'min', 'max', 'mean'):
        args = () if name == 'current' else (window,)
        got, want = getattr(lazy, name)(*args), getattr(eager, name)(*args)
        assert type(got) is type(want), name
        assert got == pytest.approx(want, rel=1e-12, abs=1e-9), name
    assert lazy.data[0].tolist() == eager.data[0].tolist()


def test_pending_reads_do_not_flush():
    buf = HistoryBuffer()
    for value in (1.0, 2.0, 3.0):
        buf.update(value)
    assert buf.mean(2) == 2.5 and buf.current() == 3.0 and buf.max(3) == 3.0
    assert len(buf._pending_values) == 3  # still pending: no NumPy work was done


def test_min_and_max_read_the_arrays_after_a_growing_flush():
    # 17 pending values move into grown arrays on the read: the statistic must
    # index the new arrays, not the ones it looked up before the flush
    values = [-3.0, 5.0, *range(15)]
    buf = HistoryBuffer()
    for value in values:
        buf.update(value)
    assert buf.min(18) == -3.0
    buf = HistoryBuffer()
    for value in values:
        buf.update(value)
    assert buf.max(18) == 14.0


# appender(): list.append of the pending values, each counting 1, mixed with
# update()'s explicit counts (the counts list only covers a prefix of the values)

@given(history=st.lists(st.tuples(_numbers, st.integers(1, 3), st.booleans()), min_size=1,
                        max_size=40),
       reads=st.sets(st.integers(0, 40)), window=st.integers(1, 50), max_length=st.integers(1, 60))
def test_appended_values_count_one_among_explicit_counts(history, reads, window, max_length):
    def build(use_appender):
        buf = HistoryBuffer(max_length=max_length)
        append = buf.appender()
        for i, (value, count, via_appender) in enumerate(history):
            if use_appender and via_appender and count == 1:
                append(value)
            else:
                buf.update(value, count)
            if i in reads:
                buf.mean(window)  # may read the pending lists or flush them
                len(buf)  # moves the pending values into the arrays: append stays valid
        return buf

    mixed, plain = build(True), build(False)
    for name in ('current', 'min', 'max', 'mean'):
        args = () if name == 'current' else (window,)
        got, want = getattr(mixed, name)(*args), getattr(plain, name)(*args)
        assert type(got) is type(want), name
        assert got == pytest.approx(want, rel=1e-12, abs=1e-9), name
    assert [a.tolist() for a in mixed.data] == [a.tolist() for a in plain.data]


def test_appended_values_before_an_explicit_count_keep_their_weight():
    buf = HistoryBuffer()
    append = buf.appender()
    append(1.0)
    append(3.0)
    buf.update(10.0, count=4)
    append(6.0)
    assert buf.mean(4) == pytest.approx(20.0 / 7)  # pending: (1 + 3 + 10 + 6) / (1 + 1 + 4 + 1)
    values, counts = buf.data
    assert values.tolist() == [1.0, 3.0, 10.0, 6.0] and counts.tolist() == [1, 1, 4, 1]
    assert buf.mean(4) == pytest.approx(20.0 / 7)  # the same from the arrays


def test_appended_values_are_bounded_by_reads_and_flush():
    buf = HistoryBuffer(max_length=100)
    append = buf.appender()
    for i in range(5000):
        append(float(i))
    assert buf.current() == 4999.0  # over 4096 waiting: the read moves them
    assert len(buf._pending_values) == 0 and len(buf) == 100
    for i in range(10):
        append(float(i))
    buf.flush()
    assert len(buf._pending_values) == 0 and buf.data[0][-1] == 9.0


def test_load_from_keeps_the_buffer_and_its_appender():
    buf = HistoryBuffer([5.0], [1])
    append = buf.appender()
    append(6.0)
    buf.load_from(HistoryBuffer([1.0, 2.0], [1, 2], max_length=10))
    append(3.0)
    values, counts = buf.data
    assert values.tolist() == [1.0, 2.0, 3.0] and counts.tolist() == [1, 2, 1]
    assert buf.max_length == 10
    buf.load_from(buf)  # itself: nothing to take, nothing lost
    assert buf.data[0].tolist() == [1.0, 2.0, 3.0]


def test_log_line_statistics_are_python_numbers_equal_to_the_numpy_ones():
    # what LogProcessor reads for each line: the same values as mean()/current(),
    # as plain numbers, whether the window is still pending or flushed into arrays
    buf = HistoryBuffer()
    for value in (1.0, 2.5, 4.0, 0.5):
        buf.update(value)
    assert type(buf._plain_mean(2)) is float and buf._plain_mean(2) == buf.mean(2).item() == 2.25
    assert buf._plain_current() == buf.current().item() == 0.5
    buf.update(3.0, count=3)  # a count other than one weighs the mean
    assert buf._plain_mean(2) == pytest.approx(buf.mean(2).item()) == pytest.approx(3.5 / 4)
    buf.flush()
    assert type(buf._plain_mean(10)) is float and buf._plain_mean(10) == buf.mean(10).item()
    assert buf._plain_current() == 3.0 and type(buf._plain_current()) is float
    ints = HistoryBuffer([1], [1])  # an integer history stays integer
    ints.update(3)
    ints.update(4)
    assert type(ints._plain_current()) is type(ints.current().item()) is int
    assert ints._plain_current() == 4 and ints._plain_mean(2) == 3.5
