"""LogProcessor (LOG-18..21) and HistoryBuffer input shapes (LOG-02):
the reference's helper names and calling conventions, which subclasses and
downstream code rely on."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from engine.logging import HistoryBuffer, LogProcessor, MessageHub


def _runner(name, epoch=1, iter=10):
    loop = lambda n: SimpleNamespace(dataloader=[0] * n)  # noqa: E731
    hub = MessageHub.get_instance(name)
    for i in range(10):
        hub.update_scalar('train/loss', 10 - i)
        hub.update_scalar('val/acc', i * 0.1)
    return SimpleNamespace(message_hub=hub, epoch=epoch, iter=iter, max_iters=50,
                           train_loop=loop(20), val_loop=loop(10), test_loop=loop(5))


def test_parse_windows_size_reference_name():
    runner = _runner('audit2_lp_parse')
    proc = LogProcessor()
    proc.custom_cfg = [dict(data_src='loss', window_size='epoch'),
                       dict(data_src='loss', window_size='global'),
                       dict(data_src='loss', window_size=100)]
    parsed = proc._parse_windows_size(runner, 1)
    assert [cfg['window_size'] for cfg in parsed] == [2, 11, 100]
    assert proc.custom_cfg[0]['window_size'] == 'epoch'  # parsed on a copy
    proc.custom_cfg = [dict(data_src='loss', window_size=[])]
    with pytest.raises(TypeError):
        proc._parse_windows_size(runner, 1)


def test_get_iter_and_get_epoch():
    runner = _runner('audit2_lp_iter_epoch')
    proc = LogProcessor()
    assert proc._get_iter(runner) == 11
    assert proc._get_iter(runner, 1) == 2
    proc.by_epoch = False
    assert proc._get_iter(runner, 1) == 11  # global iteration when not by epoch
    assert proc._get_epoch(runner, 'train') == 2
    assert proc._get_epoch(runner, 'val') == 1
    with pytest.raises(ValueError, match="'test'"):
        proc._get_epoch(runner, 'test')


def test_get_max_memory_takes_the_runner():
    memory = LogProcessor()._get_max_memory(_runner('audit2_lp_memory'))
    if torch.cuda.is_available():
        assert isinstance(memory, int) and memory >= 0
    else:
        assert memory is None


def test_custom_statistics_are_called_by_keyword():
    """Like the reference, ``statistics(method_name=..., **args)``: a buffer
    subclass (or a statistic) that takes ``method_name`` by keyword works."""
    calls = []

    class RecordingBuffer(HistoryBuffer):
        def statistics(self, *args, **kwargs):
            calls.append((args, kwargs))
            return super().statistics(*args, **kwargs)

    runner = _runner('audit2_lp_keyword')
    runner.message_hub.log_scalars['train/time'] = RecordingBuffer([1.0, 3.0, 2.0], [1, 1, 1])
    proc = LogProcessor(custom_cfg=[
        dict(data_src='time', method_name='mean', window_size=2),
        dict(data_src='time', method_name='max', log_name='time_max')])
    tag = proc._collect_scalars(proc._parse_windows_size(runner, 9), runner, 'train')
    assert list(tag) == ['loss', 'time', 'time_max']
    assert tag['time'] == 2.5 and tag['time_max'] == 3.0
    assert calls == [((), dict(method_name='mean', window_size=2)),
                     ((), dict(method_name='max'))]
    assert list(proc._collect_scalars([], runner, 'val')) == ['acc']


def test_headers_use_inner_iterations_by_epoch_and_global_ones_by_iter(monkeypatch):
    monkeypatch.setattr(LogProcessor, '_get_max_memory', staticmethod(lambda *args: None))
    runner = _runner('audit2_lp_headers')
    _, line = LogProcessor().get_log_after_iter(runner, 1, 'train')
    assert line.startswith('Epoch(train) [2][2/20]  ')
    _, line = LogProcessor(by_epoch=False).get_log_after_iter(runner, 1, 'train')
    assert line.startswith('Iter(train) [11/50]  ')
    _, line = LogProcessor(by_epoch=False).get_log_after_iter(runner, 1, 'val')
    assert line.startswith('Iter(val) [2/10]')
    _, line = LogProcessor().get_log_after_epoch(runner, 5, 'test')
    assert line == 'Epoch(test) [5/5]'


# ------------------------------------------------------------------ LOG-02
@pytest.mark.parametrize('make', [np.array, torch.tensor])
def test_history_from_a_row_array_or_tensor_is_flat(make):
    values = make([[-1] + [1] * 9])  # shape (1, 10)
    counts = make([[-1] + [1] * 9])
    buf = HistoryBuffer(values, counts, max_length=10)
    assert len(buf) == 10
    buf.update(1)
    log_history, count_history = buf.data
    assert log_history.tolist() == [1] * 10 and count_history.tolist() == [1] * 10
    with pytest.raises(TypeError):
        buf.update(make([1, 2]))
