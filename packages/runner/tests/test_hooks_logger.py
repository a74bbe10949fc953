"""LoggerHook driven by a real Runner (HOOK-14, HOOK-15)."""

from __future__ import annotations

import json
import os
import os.path as osp
import re

import pytest
from runner_toys import toy_runner_cfg

from engine.hooks import LoggerHook
from engine.runner import Runner


def _loader(size: int, batch_size: int) -> dict:
    return dict(dataset=dict(type='ToyDataset', size=size),
                sampler=dict(type='DefaultSampler', shuffle=False),
                batch_size=batch_size, num_workers=0)


def cfg_25_batches(work_dir, logger: dict, epochs: int = 1, val: bool = False, **overrides):
    """50 samples, batch 2: 25 train batches per epoch (spec §10 fixture)."""
    cfg = toy_runner_cfg(work_dir, train_dataloader=_loader(50, 2),
                         train_cfg=dict(by_epoch=True, max_epochs=epochs),
                         optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
                         param_scheduler=None, default_hooks=dict(logger=logger,
                                                                  checkpoint=None),
                         log_level='INFO')
    if val:
        cfg.update(val_dataloader=_loader(8, 2))  # 4 val batches
    else:
        cfg.update(val_dataloader=None, val_cfg=None, val_evaluator=None)
    cfg.update(overrides)
    return cfg


def _log(runner) -> str:
    with open(osp.join(runner.log_dir, f'{runner.timestamp}.log')) as f:
        return f.read()


def _json_lines(path) -> list:
    with open(path) as f:
        return [json.loads(line) for line in f]


def test_interval_and_ignore_last(tmp_path):
    runner = Runner(**cfg_25_batches(tmp_path / 'a', dict(type='LoggerHook', interval=10)))
    runner.train()
    log = _log(runner)
    assert re.findall(r'Epoch\(train\) +\[1\]\[(\d+)/25\]', log) == ['10', '20']
    # the JSON scalar file of this run holds the same two steps
    lines = _json_lines(osp.join(runner.log_dir, 'vis_data', f'{runner.timestamp}.json'))
    assert [line['step'] for line in lines] == [10, 20]
    assert {'lr', 'loss', 'time', 'data_time', 'epoch'} <= set(lines[0])
    assert lines[0]['epoch'] == 1
    scalars = _json_lines(osp.join(runner.log_dir, 'vis_data', 'scalars.json'))
    assert [line['step'] for line in scalars] == [10, 20]

    runner = Runner(**cfg_25_batches(tmp_path / 'b', dict(type='LoggerHook', interval=10,
                                                          ignore_last=False)))
    runner.train()
    assert re.findall(r'Epoch\(train\) +\[1\]\[(\d+)/25\]', _log(runner)) == ['10', '20', '25']


def test_interval_exp_name(tmp_path):
    runner = Runner(**cfg_25_batches(tmp_path / 'a', dict(type='LoggerHook', interval=10)))
    runner.train()
    # default interval_exp_name=1000: only at the end of the epoch
    assert _log(runner).count(f'Exp name: {runner.experiment_name}') == 1

    runner = Runner(**cfg_25_batches(tmp_path / 'b', dict(type='LoggerHook', interval=10,
                                                          interval_exp_name=10)))
    runner.train()
    assert _log(runner).count(f'Exp name: {runner.experiment_name}') == 3  # 10, 20, last


def test_lines_across_epochs_and_an_interval_changed_mid_run(tmp_path):
    # 25 batches an epoch, 3 epochs: the exp-name interval counts global
    # iterations (7, 14, ... straddle epochs), the log interval batches
    from engine.hooks import Hook

    class Tighten(Hook):
        priority = 'LOWEST'

        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
            if runner.iter + 1 == 60:  # from iteration 61 on, a line every iteration
                runner.hooks[[type(h) for h in runner.hooks].index(LoggerHook)].interval = 1

    logger = dict(type='LoggerHook', interval=10, interval_exp_name=7, ignore_last=False)
    runner = Runner(**cfg_25_batches(tmp_path, logger, epochs=3, custom_hooks=[Tighten()]))
    runner.train()
    log = _log(runner)
    lines = re.findall(r'Epoch\(train\) +\[(\d)\]\[(\d+)/25\]', log)
    expected = [(1, 10), (1, 20), (1, 25), (2, 10), (2, 20), (2, 25), (3, 10)]
    expected += [(3, b) for b in range(11, 26)]  # iterations 61-75
    assert [(int(e), int(b)) for e, b in lines] == expected
    exp_lines = log.count(f'Exp name: {runner.experiment_name}')
    assert exp_lines == len([i for i in range(1, 76) if i % 7 == 0 or i % 25 == 0])


def test_val_lines_and_log_metric_by_epoch(tmp_path):
    logger = dict(type='LoggerHook', interval=2)
    runner = Runner(**cfg_25_batches(tmp_path / 'a', logger, epochs=2, val=True))
    runner.train()
    log = _log(runner)
    # per-iteration lines at 2 and 4, then the epoch summary (with the metrics)
    assert re.findall(r'Epoch\(val\) +\[1\]\[(\d+)/4\] ', log) == ['2', '4', '4']
    assert re.search(r'Epoch\(val\) +\[2\]\[4/4\] +acc: \d+\.\d{4} +mse: \d+\.\d{4}', log)
    lines = _json_lines(osp.join(runner.log_dir, 'vis_data', f'{runner.timestamp}.json'))
    val_lines = [line for line in lines if 'acc' in line]
    assert [line['step'] for line in val_lines] == [1, 2]  # steps are epochs
    assert all('time' not in k for line in val_lines for k in line)

    logger['log_metric_by_epoch'] = False
    runner = Runner(**cfg_25_batches(tmp_path / 'b', logger, epochs=2, val=True))
    runner.train()
    lines = _json_lines(osp.join(runner.log_dir, 'vis_data', f'{runner.timestamp}.json'))
    assert [line['step'] for line in lines if 'acc' in line] == [25, 50]  # steps are iters


def _open_files_under(folder) -> list:
    fd_dir = '/proc/self/fd'
    paths = []
    for fd in os.listdir(fd_dir):
        try:
            path = os.readlink(osp.join(fd_dir, fd))
        except OSError:
            continue
        if path.startswith(str(folder)):
            paths.append(path)
    return paths


@pytest.mark.skipif(not osp.isdir('/proc/self/fd'), reason='needs /proc')
def test_scalar_files_are_released_when_the_run_ends(tmp_path):
    runner = Runner(**cfg_25_batches(tmp_path, dict(type='LoggerHook', interval=5), val=True))
    runner.train()
    vis_data = osp.join(runner.log_dir, 'vis_data')
    scalars = osp.join(vis_data, 'scalars.json')
    assert len(_json_lines(scalars)) == 5 + 1  # every 5th of 25 iterations, the val line
    assert _open_files_under(vis_data) == []  # the logger keeps its .log file, as it should
    runner.val()  # logs again after the release
    assert len(_json_lines(scalars)) == 7
    assert _open_files_under(vis_data) == []


def test_test_metrics_dumped_as_json(tmp_path):
    cfg = toy_runner_cfg(tmp_path, train_dataloader=None, train_cfg=None, optim_wrapper=None,
                         param_scheduler=None, val_dataloader=None, val_cfg=None,
                         val_evaluator=None, log_level='INFO')
    runner = Runner(**cfg)
    metrics = runner.test()
    with open(osp.join(runner.log_dir, f'{runner.timestamp}.json')) as f:
        dumped = json.load(f)
    assert dumped['acc'] == pytest.approx(metrics['acc'], abs=1e-6)
    assert dumped['mse'] == pytest.approx(metrics['mse'], abs=1e-6)
    assert re.search(r'Epoch\(test\) +\[2/2\] +acc: \d+\.\d{4}', _log(runner))
    assert runner.train_loop is None


def test_test_metrics_file_that_cannot_be_written_leaves_no_temp_file(tmp_path):
    cfg = toy_runner_cfg(tmp_path, train_dataloader=None, train_cfg=None, optim_wrapper=None,
                         param_scheduler=None, val_dataloader=None, val_cfg=None,
                         val_evaluator=None)
    runner = Runner(**cfg)
    os.mkdir(osp.join(runner.log_dir, f'{runner.timestamp}.json'))  # in the file's way
    with pytest.raises(IsADirectoryError, match=f'{runner.timestamp}.json'):
        runner.test()
    assert [name for name in os.listdir(runner.log_dir) if name.endswith('.tmp')] == []


def test_out_dir_upload(tmp_path):
    work_dir = tmp_path / 'runs' / 'exp1'
    out = tmp_path / 'remote'
    logger = dict(type='LoggerHook', interval=10, out_dir=str(out))
    runner = Runner(**cfg_25_batches(work_dir, logger))
    runner.train()
    final = out / 'exp1'
    ts = runner.timestamp
    assert (final / f'{ts}.log').is_file()
    assert (final / 'vis_data' / 'scalars.json').is_file()
    assert (final / 'vis_data' / f'{ts}.json').is_file()
    assert _json_lines(final / 'vis_data' / 'scalars.json')[0]['step'] == 10
    log = _log(runner)
    assert f'Text logs will be saved to {final} after the training process.' in log
    assert f'has been uploaded to {final / f"{ts}.log"}' in log
    assert (work_dir / ts / f'{ts}.log').is_file()  # keep_local=True

    # keep_local=False removes the uploaded local files; suffixes filter what goes
    logger = dict(type='LoggerHook', interval=10, out_dir=str(out), keep_local=False,
                  out_suffix='.log')
    runner = Runner(**cfg_25_batches(tmp_path / 'runs' / 'exp2', logger))
    runner.train()
    ts = runner.timestamp
    assert (out / 'exp2' / f'{ts}.log').is_file()
    assert not (out / 'exp2' / 'vis_data').exists()
    assert not os.path.exists(osp.join(runner.log_dir, f'{ts}.log'))
    assert os.path.exists(osp.join(runner.log_dir, 'vis_data', 'scalars.json'))


def test_out_dir_upload_through_deprecated_file_client_args(tmp_path):
    out = tmp_path / 'remote'
    with pytest.warns(DeprecationWarning):
        logger = LoggerHook(interval=10, out_dir=str(out),
                            file_client_args=dict(backend='disk'))  # FileClient's name
    runner = Runner(**cfg_25_batches(tmp_path / 'runs' / 'exp3', logger))
    runner.train()
    assert (out / 'exp3' / f'{runner.timestamp}.log').is_file()


def test_constructor_errors():
    with pytest.raises(ValueError, match='out_dir'), pytest.warns(DeprecationWarning):
        LoggerHook(file_client_args=dict(backend='local'))
    with pytest.raises(ValueError, match='cannot be set at the same time'), \
            pytest.warns(DeprecationWarning):
        LoggerHook(out_dir='x', file_client_args=dict(backend='local'),
                   backend_args=dict(backend='local'))
    with pytest.raises(TypeError, match='out_dir'):
        LoggerHook(out_dir=3)
    hook = LoggerHook(out_dir=('a', 'b'))
    assert hook.interval == 10 and hook.ignore_last and hook.interval_exp_name == 1000
    assert hook.out_suffix == ('.json', '.log', '.py', '.yaml')


def test_tensorboard_scalars_are_on_disk_when_train_returns(tmp_path):
    # The SummaryWriter buffers events (up to 2 minutes) and drops them when the
    # process exits without close(): each log line flushes the visualizer.
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    runner = Runner(**cfg_25_batches(
        tmp_path, dict(type='LoggerHook', interval=10), val=True,
        visualizer=dict(type='Visualizer', name='tb_flush',
                        vis_backends=[dict(type='TensorboardVisBackend')])))
    runner.train()
    (event_file,) = [osp.join(root, name) for root, _, names in os.walk(tmp_path)
                     for name in names if name.startswith('events.out.tfevents')]
    events = EventAccumulator(event_file)
    events.Reload()
    assert [e.step for e in events.Scalars('loss')] == [10, 20]
    assert len(events.Scalars('mse')) == 1  # the validation metric, flushed too


@pytest.mark.parametrize('option, value', [('interval', '10'), ('interval', 2.5),
                                           ('interval_exp_name', True)])
def test_non_int_interval_is_rejected_naming_the_option(option, value):
    with pytest.raises(TypeError, match=f'LoggerHook: {option} must be an int, but got '
                                        f'{value!r}'):
        LoggerHook(**{option: value})
    hook = LoggerHook(interval=50.0)  # a whole float, as configs sometimes write it
    assert hook.interval == 50 and type(hook.interval) is int
