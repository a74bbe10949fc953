"""engine.logging (LOG-05, LOG-07, LOG-13/14, LOG-18/19): the seed's
register_statistics example, tensor counts, per-rank handlers and files, num_digits."""

from __future__ import annotations

import logging
import warnings
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from engine.logging import HistoryBuffer, LogProcessor, MessageHub, MMLogger


# ------------------------------------------------------------------ LOG-05
def test_seed_weighted_mean_example_runs_as_written():
    """§30.2.4 / §47.3, verbatim: the registered function reads the reference's
    ``_log_history`` / ``_count_history`` attributes. (C14: it divides by an
    array, so the result is an array, not the 2 the comment claims.)"""
    @HistoryBuffer.register_statistics
    def weighted_mean(self, window_size, weight):
        assert len(weight) == window_size
        return (self._log_history[-window_size:] * np.array(weight)).sum() / \
            self._count_history[-window_size:]

    try:
        history_buffer = HistoryBuffer([1, 2], [1, 1])
        result = history_buffer.statistics('weighted_mean', 2, [2, 1])
        np.testing.assert_array_equal(result, [4.0, 4.0])
    finally:
        HistoryBuffer._statistics_methods.pop('weighted_mean')


def test_reference_attribute_names_follow_updates_and_max_length():
    buf = HistoryBuffer([1, 2, 3], [1, 1, 2], max_length=4)
    buf.update(4.5)  # still pending: the attributes must include it
    buf.update(5, 3)
    assert buf._log_history.tolist() == [2, 3, 4.5, 5]
    assert buf._count_history.tolist() == [1, 2, 1, 3]
    assert (buf._log_history.tolist(), buf._count_history.tolist()) == \
        tuple(a.tolist() for a in buf.data)


# ------------------------------------------------------------------ LOG-07
def test_update_scalars_accepts_tensor_and_array_counts():
    hub = MessageHub('audit2_hub_counts')
    hub.update_scalars({'train/a': dict(value=torch.tensor(2.0), count=torch.tensor(4)),
                        'train/b': dict(value=1.0, count=np.array([3]))})
    assert hub.get_scalar('train/a').data[1].tolist() == [4]
    assert hub.get_scalar('train/b').data[1].tolist() == [3]
    assert hub.get_scalar('train/a').mean() == 0.5
    with pytest.raises(AssertionError, match='count must be int'):
        hub.update_scalars({'train/c': dict(value=1.0, count=torch.tensor(1.5))})
    with pytest.raises(AssertionError):
        hub.update_scalars({'train/c': dict(value=1.0, count=torch.tensor([1, 2]))})


# --------------------------------------------------------------- LOG-13/14
def _close(logger):
    for handler in logger.handlers:
        handler.close()


def test_rank0_handlers_and_levels(tmp_path):
    logger = MMLogger.get_instance('audit2_rank0_plain', log_level='WARNING')
    assert logger.parent is None
    assert [type(h).__name__ for h in logger.handlers] == ['_StdoutHandler']
    assert logger.handlers[0].level == logging.WARNING
    log_file = tmp_path / 'out.log'
    logger = MMLogger.get_instance('audit2_rank0_file', log_level='DEBUG', log_file=log_file)
    assert isinstance(logger.handlers[1], logging.FileHandler)
    assert [h.level for h in logger.handlers] == [logging.DEBUG, logging.DEBUG]
    logger.debug('a pathlib log_file works')
    _close(logger)
    assert log_file.read_text().endswith(' - mmengine - DEBUG - a pathlib log_file works\n')


def test_other_ranks_log_errors_only_and_write_files_only_when_distributed(
        tmp_path, monkeypatch, capsys):
    monkeypatch.setattr('engine.logging.logger._get_rank', lambda: 1)
    log_file = tmp_path / 'tmp.log'
    logger = MMLogger.get_instance('audit2_rank1', log_level='INFO', log_file=str(log_file))
    assert len(logger.handlers) == 1 and logger.handlers[0].level == logging.ERROR
    logger.info('rank 1 info')
    assert capsys.readouterr().out == ''
    assert not log_file.exists() and not (tmp_path / 'tmp_rank1.log').exists()

    logger = MMLogger.get_instance('audit2_rank1_dist', log_level='INFO',
                                   log_file=str(log_file), distributed=True)
    assert [h.level for h in logger.handlers] == [logging.ERROR, logging.INFO]
    logger.info('kept in the rank file')
    _close(logger)
    assert not log_file.exists()
    text = (tmp_path / 'tmp_rank1.log').read_text()
    assert text.endswith(' - mmengine - INFO - kept in the rank file\n')
    assert capsys.readouterr().out == ''


# --------------------------------------------------------------- LOG-18/19
def _runner(name):
    loop = SimpleNamespace(dataloader=list(range(25)))
    return SimpleNamespace(message_hub=MessageHub.get_instance(name), epoch=0, iter=9,
                           max_iters=25, train_loop=loop, val_loop=loop, test_loop=loop)


@pytest.fixture
def no_memory_field(monkeypatch):
    monkeypatch.setattr(LogProcessor, '_get_max_memory', staticmethod(lambda: None))


def test_num_digits(no_memory_field):
    runner = _runner('audit2_lp_digits')
    for i in range(1, 11):
        runner.message_hub.update_scalars(
            {'train/lr': 0.01, 'train/time': 0.5, 'train/data_time': 0.25, 'train/loss': i})
    runner.message_hub.update_info('eta', 61)
    _, line = LogProcessor(num_digits=2).get_log_after_iter(runner, 9, 'train')
    assert line == ('Epoch(train) [1][10/25]  lr: 1.00e-02  eta: 0:01:01  time: 0.50  '
                    'data_time: 0.25  loss: 5.50')


def test_grad_norm_is_window_averaged_other_scalars_are_current(no_memory_field):
    runner = _runner('audit2_lp_grad_norm')
    for i in range(1, 21):
        runner.message_hub.update_scalars(
            {'train/lr': 0.1, 'train/grad_norm': float(i), 'train/acc': float(i)})
    tag, line = LogProcessor(window_size=4).get_log_after_iter(runner, 9, 'train')
    assert tag['grad_norm'] == 18.5 and tag['acc'] == 20.0
    assert line.endswith('grad_norm: 18.5000  acc: 20.0000')


# ------------------------------------------------------------- LOG-10 / CKPT-10
def test_a_checkpoints_message_hub_entry_loads_into_a_hub(tmp_path):
    """Checkpoints store the hub's scalars as tensors (they must load with
    weights_only=True); MessageHub.load_state_dict takes that entry as it is."""
    from engine.runner import save_checkpoint
    from engine.runner.checkpoint import message_hub_to_plain

    hub = MessageHub('audit2_hub_ckpt_src')
    for value in (1.0, 2.0, 4.0):
        hub.update_scalar('train/loss', value)
    hub.update_scalar('train/lr', 0.1, resumed=False)
    hub.update_info('epoch', 3)
    path = tmp_path / 'epoch_3.pth'
    save_checkpoint({'message_hub': message_hub_to_plain(hub.state_dict())}, str(path))
    entry = torch.load(path, weights_only=True)['message_hub']

    restored = MessageHub('audit2_hub_ckpt_dst')
    with warnings.catch_warnings():
        warnings.simplefilter('error', UserWarning)  # nothing is skipped
        restored.load_state_dict(entry)
    assert restored.get_scalar('train/loss').data[0].tolist() == [1.0, 2.0, 4.0]
    assert restored.get_scalar('train/loss').max_length == 1000000
    assert restored.get_info('epoch') == 3
    assert 'train/lr' not in restored.log_scalars
    restored.update_scalar('train/loss', 5.0)  # resumed flag restored as True
    assert restored.get_scalar('train/loss').mean(2) == 4.5
