"""The Runner's run flow, hooks and checkpoints (spec RUN-23..35)."""

from __future__ import annotations

import json
import os.path as osp
import re
import warnings

import pytest
import torch
import torch.nn as nn
from runner_toys import ToyModel, toy_runner_cfg
from torch.utils.data import DataLoader

from engine.config import Config
from engine.hooks import Hook
from engine.model import BaseModel
from engine.registry import HOOKS
from engine.runner import Runner


def _cfg(work_dir, **overrides) -> dict:
    """One epoch of 2 batches (batch 12), validation of one batch; no test pieces."""
    cfg = toy_runner_cfg(work_dir, test_dataloader=None, test_cfg=None, test_evaluator=None,
                         train_cfg=dict(by_epoch=True, max_epochs=1))
    cfg['train_dataloader']['batch_size'] = 12
    cfg['val_dataloader']['batch_size'] = 8
    cfg.update(overrides)
    return cfg


def _log(runner) -> str:
    with open(osp.join(runner.log_dir, f'{runner.timestamp}.log')) as f:
        return f.read()


class _Points(Hook):
    """Records the hook points it sees (and a few facts at some of them)."""

    def __init__(self, record: list, watch=None):
        self.record = record
        self.watch = watch

    def before_run(self, runner):
        self.record.append('before_run')

    def after_load_checkpoint(self, runner, checkpoint):
        self.record.append('after_load_checkpoint')

    def before_train(self, runner):
        self.record.append('before_train')
        if self.watch is not None:
            self.watch['weight'] = runner.model.linear2.weight.detach().clone()

    def before_val(self, runner):
        self.record.append('before_val')

    def before_test(self, runner):
        self.record.append('before_test')

    def after_run(self, runner):
        self.record.append('after_run')


class _InitRecorder(ToyModel):
    def __init__(self, record):
        super().__init__()
        self.record = record

    def init_weights(self):
        self.record.append('init_weights')


# ----------------------------------------------------------------- RUN-23
def test_train_order_init_weights_then_load_then_count_status(tmp_path):
    Runner(**_cfg(tmp_path / 'a')).train()
    record: list = []
    runner = Runner(**_cfg(tmp_path / 'b', model=_InitRecorder(record),
                           load_from=str(tmp_path / 'a' / 'epoch_1.pth'),
                           custom_hooks=[_Points(record)],
                           optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01),
                                              accumulative_counts=2)))
    runner.train()
    assert record[:5] == ['before_run', 'init_weights', 'after_load_checkpoint',
                          'before_train', 'before_val']
    assert record[-1] == 'after_run'
    # gradient accumulation knows the run's length
    assert runner.optim_wrapper._max_counts == runner.max_iters == 2


def test_train_without_train_pieces_or_val_step(tmp_path):
    runner = Runner(model=ToyModel(), work_dir=str(tmp_path), log_level='WARNING')
    with pytest.raises(RuntimeError, match='train_dataloader.*train_cfg.*optim'):
        runner.train()

    class NoValStep(nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(2, 1)

        def train_step(self, data, optim_wrapper):
            return dict(loss=torch.zeros(()))

    runner = Runner(**_cfg(tmp_path, model=NoValStep()))
    with pytest.raises(AssertionError, match='val_step'):
        runner.train()


# ------------------------------------------------------------ RUN-24 / 25
def test_val_and_test_flow_and_return_metrics(tmp_path):
    record: list = []
    cfg = toy_runner_cfg(tmp_path, custom_hooks=[_Points(record)])
    runner = Runner(**cfg)
    metrics = runner.val()
    assert set(metrics) == {'acc', 'mse'}
    assert record == ['before_run', 'before_val', 'after_run']
    record.clear()
    assert set(runner.test()) == {'acc', 'mse'}
    assert record == ['before_run', 'before_test', 'after_run']
    assert runner.train_loop is not None and runner.optim_wrapper is not None
    assert isinstance(runner.optim_wrapper, dict)  # val/test build no optimizer
    runner = Runner(model=ToyModel(), work_dir=str(tmp_path), log_level='WARNING')
    with pytest.raises(RuntimeError, match='test_dataloader'):
        runner.test()


def test_test_after_train_uses_the_trained_model_and_another_work_dir_needs_load_from(
        tmp_path):
    runner = Runner(**_cfg(tmp_path / 'train', test_dataloader=dict(
        dataset=dict(type='ToyDataset', size=8), batch_size=4), test_cfg=dict(),
        test_evaluator=dict(type='ToyMetric')))
    runner.train()
    trained = runner.test()
    fresh = Runner(model=ToyModel(), work_dir=str(tmp_path / 'test'), log_level='WARNING',
                   test_dataloader=dict(dataset=dict(type='ToyDataset', size=8), batch_size=4),
                   test_evaluator=dict(type='ToyMetric'),
                   load_from=str(tmp_path / 'train' / 'epoch_1.pth'))
    assert fresh.test()['mse'] == pytest.approx(trained['mse'])


# ----------------------------------------------------------------- RUN-26
def test_call_hook_calls_in_priority_order_and_passes_kwargs(tmp_path):
    seen = []

    class A(Hook):
        priority = 'LOW'

        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
            seen.append(('A', batch_idx, outputs))

    class B(Hook):
        priority = 'HIGH'

        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
            seen.append(('B', batch_idx, outputs))

    runner = Runner(model=ToyModel(), work_dir=str(tmp_path), log_level='WARNING',
                    default_hooks=dict(logger=None, checkpoint=None, timer=None,
                                       runtime_info=None),
                    custom_hooks=[A(), B()])
    runner.call_hook('after_train_iter', batch_idx=3, data_batch=None, outputs=dict(x=1))
    assert seen == [('B', 3, dict(x=1)), ('A', 3, dict(x=1))]
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'nope'.* in "):
        runner.call_hook('after_train_iter', batch_idx=0, nope=1)


# ------------------------------------------------------------ RUN-27..29
@HOOKS.register_module(force=True)
class Audit2AboveNormal(Hook):
    priority = 'ABOVE_NORMAL'


def test_priority_precedence_and_the_chosen_value_is_written_back(tmp_path):
    runner = Runner(model=ToyModel(), work_dir=str(tmp_path), log_level='WARNING')
    by_class = Audit2AboveNormal()
    runner.register_hook(by_class)
    assert by_class.priority == 'ABOVE_NORMAL'
    cfg = dict(type='Audit2AboveNormal', priority='LOWEST')
    runner.register_hook(cfg)
    assert cfg == dict(type='Audit2AboveNormal', priority='LOWEST')  # caller's dict kept
    assert runner.hooks[-1].priority == 'LOWEST'
    runner.register_hook(dict(type='Audit2AboveNormal', priority='LOWEST'), priority='HIGHEST')
    assert runner.hooks[0].priority == 'HIGHEST'
    with pytest.raises(ValueError):
        runner.register_hook(Audit2AboveNormal(), priority=101)


def test_default_hooks_merge_replace_add_and_remove(tmp_path):
    timer = HOOKS.build(dict(type='IterTimerHook'))
    runner = Runner(model=ToyModel(), work_dir=str(tmp_path), log_level='WARNING',
                    default_hooks=dict(timer=timer, sampler_seed=None,
                                       checkpoint=dict(type='CheckpointHook', interval=3),
                                       extra=dict(type='Audit2AboveNormal')))
    names = [type(h).__name__ for h in runner.hooks]
    assert names == ['RuntimeInfoHook', 'Audit2AboveNormal', 'IterTimerHook', 'LoggerHook',
                     'ParamSchedulerHook', 'CheckpointHook']
    assert runner.hooks[2] is timer and runner.hooks[-1].interval == 3
    plain = Runner(model=ToyModel(), work_dir=str(tmp_path), log_level='WARNING')
    assert plain.hooks[-1].interval == 1
    # a default hook's options without its type: the hook is replaced whole, so it is named
    with pytest.raises(KeyError, match=r"default_hooks\['checkpoint'\] has no 'type'.*"
                                       r"dict\(type='CheckpointHook', interval=2\)"):
        Runner(model=ToyModel(), work_dir=str(tmp_path), log_level='WARNING',
               default_hooks=dict(checkpoint=dict(interval=2)))
    assert [h.priority for h in plain.hooks] == ['VERY_HIGH', 'NORMAL', 'NORMAL',
                                                 'BELOW_NORMAL', 'LOW', 'VERY_LOW']


def test_spec_t14_custom_hook_priorities(tmp_path):
    for name in ('HNormal', 'HLow', 'HHigh'):
        HOOKS.register_module(name=f'Audit2{name}', force=True)(type(name, (Hook,), {}))
    runner = Runner(model=ToyModel(), work_dir=str(tmp_path), log_level='WARNING',
                    custom_hooks=[dict(type='Audit2HNormal'),
                                  dict(type='Audit2HLow', priority='LOWEST'),
                                  dict(type='Audit2HHigh', priority=0)])
    assert [type(h).__name__ for h in runner.hooks] == [
        'HHigh', 'RuntimeInfoHook', 'IterTimerHook', 'DistSamplerSeedHook', 'HNormal',
        'LoggerHook', 'ParamSchedulerHook', 'CheckpointHook', 'HLow']
    runner.register_hooks(default_hooks=dict(timer=None), custom_hooks=None)
    assert len(runner.hooks) == 9 + 5  # register_hooks adds (without the timer)


# ------------------------------------------------------------ RUN-30 / 31
def test_load_from_without_resume_loads_weights_and_starts_at_epoch_one(tmp_path):
    first = Runner(**_cfg(tmp_path / 'a'))
    first.train()
    ckpt = torch.load(tmp_path / 'a' / 'epoch_1.pth', weights_only=True)
    record: list = []
    watch: dict = {}
    runner = Runner(**_cfg(tmp_path / 'b', load_from=str(tmp_path / 'a' / 'epoch_1.pth'),
                           custom_hooks=[_Points(record, watch)], log_level='INFO'))
    runner.train()
    assert torch.equal(watch['weight'], ckpt['state_dict']['linear2.weight'])
    assert record.count('after_load_checkpoint') == 1
    assert record.index('after_load_checkpoint') == 1  # right after before_run
    log = _log(runner)
    assert f'Load checkpoint from {tmp_path / "a" / "epoch_1.pth"}' in log
    assert 'resumed epoch' not in log
    assert runner.epoch == 1 and runner.iter == 2  # trained from epoch 0 again
    # a later val() does not load again (_has_loaded)
    runner.val()
    assert record.count('after_load_checkpoint') == 1


def test_resume_with_an_empty_work_dir_starts_fresh(tmp_path, capsys):
    runner = Runner(**_cfg(tmp_path, resume=True))
    runner.train()
    assert 'Did not find last_checkpoint to be resumed.' in capsys.readouterr().out
    assert runner.epoch == 1 and osp.isfile(tmp_path / 'epoch_1.pth')


def test_resume_true_with_load_from_resumes_that_checkpoint(tmp_path):
    Runner(**_cfg(tmp_path / 'a', train_cfg=dict(by_epoch=True, max_epochs=2))).train()
    runner = Runner(**_cfg(tmp_path / 'b', train_cfg=dict(by_epoch=True, max_epochs=3),
                           resume=True, load_from=str(tmp_path / 'a' / 'epoch_1.pth'),
                           log_level='INFO'))
    runner.train()
    log = _log(runner)
    assert 'resumed epoch: 1, iter: 2' in log
    assert re.search(r'Epoch\(train\) +\[2\]\[2/2\]', log)
    assert not re.search(r'Epoch\(train\) +\[1\]\[', log)


def test_load_checkpoint_hook_sees_the_checkpoint_before_the_model(tmp_path):
    class Rewrite(Hook):
        def after_load_checkpoint(self, runner, checkpoint):
            checkpoint['state_dict'] = {k: torch.zeros_like(v)
                                        for k, v in checkpoint['state_dict'].items()}

    runner = Runner(model=ToyModel(), work_dir=str(tmp_path), log_level='WARNING',
                    custom_hooks=[Rewrite()])
    path = tmp_path / 'wrapped.pth'
    weights = {f'module.{k}': v + 1 for k, v in ToyModel().state_dict().items()}
    torch.save(dict(state_dict=weights, meta=dict(note='x')), path)
    checkpoint = runner.load_checkpoint(str(path))
    assert checkpoint['meta'] == dict(note='x')
    assert all(float(p.detach().abs().sum()) == 0 for p in runner.model.parameters())
    assert runner._has_loaded is True


def test_load_checkpoint_revise_keys_and_strict(tmp_path):
    runner = Runner(model=ToyModel(), work_dir=str(tmp_path), log_level='WARNING')
    path = tmp_path / 'prefixed.pth'
    source = ToyModel()
    torch.save(dict(state_dict={f'module.{k}': v for k, v in source.state_dict().items()}),
               path)
    runner.load_checkpoint(str(path))  # default revise_keys strip `module.`
    assert torch.equal(runner.model.linear1.weight, source.linear1.weight)
    with pytest.raises(RuntimeError, match='linear1.weight'):
        runner.load_checkpoint(str(path), revise_keys=[], strict=True)
    runner.load_checkpoint(str(path), revise_keys=[(r'^module\.', ''), (r'^linear1', 'x')])
    with pytest.raises(FileNotFoundError):
        runner.load_checkpoint(str(tmp_path / 'missing.pth'))


# ----------------------------------------------------------------- RUN-32
def _trained(tmp_path, **overrides) -> str:
    Runner(**_cfg(tmp_path / 'src', **overrides)).train()
    return str(tmp_path / 'src' / 'epoch_1.pth')


def test_resume_restores_counters_seed_hub_optimizer_and_schedulers(tmp_path):
    path = _trained(tmp_path)
    saved = torch.load(path, weights_only=True)
    runner = Runner(**_cfg(tmp_path / 'r', train_cfg=dict(by_epoch=True, max_epochs=2),
                           randomness=dict(seed=None), log_level='INFO'))
    runner.resume(path)
    assert (runner.epoch, runner.iter) == (1, 2)
    assert runner.seed == 42  # adopted from the checkpoint, without a warning
    assert runner.message_hub.get_scalar('train/loss').current() == pytest.approx(
        float(saved['message_hub']['log_scalars']['train/loss']['log_history'][-1]))
    assert runner.optim_wrapper.state_dict()['param_groups'] == \
        saved['optimizer']['param_groups']
    assert runner.param_schedulers[0].last_step == saved['param_schedulers'][0]['last_step']
    log = _log(runner)
    assert 'resumed epoch: 1, iter: 2' in log and 'random seed' not in log


def test_resume_warns_about_a_different_seed_and_dataset_meta(tmp_path):
    path = _trained(tmp_path)
    cfg = _cfg(tmp_path / 'r', randomness=dict(seed=7), log_level='INFO')
    cfg['train_dataloader']['dataset'] = dict(type='ToyDataset')
    runner = Runner(**cfg)
    runner.train_loop.dataloader.dataset.metainfo = dict(classes=('other',))
    runner.resume(path)
    log = _log(runner)
    assert 'The value of random seed in the checkpoint "42" is different' in log
    assert runner.seed == 42
    assert 'The dataset metainfo from the resumed checkpoint is different' in log


def test_resume_options_skip_optimizer_and_warn_without_schedulers(tmp_path):
    path = _trained(tmp_path)
    runner = Runner(**_cfg(tmp_path / 'r', param_scheduler=None, log_level='INFO'))
    runner.resume(path, resume_optimizer=False)
    assert isinstance(runner.optim_wrapper, dict)  # not built: nothing was restored
    assert ('`resume_param_scheduler` is True but `self.param_schedulers` is None, so skip '
            'resuming parameter schedulers') in _log(runner)
    runner = Runner(**_cfg(tmp_path / 'r2'))
    runner.resume(path, resume_param_scheduler=False)
    assert isinstance(runner.param_schedulers, dict)  # left as configured


def _checkpoint_with_gpu_ids(tmp_path, config_text: str) -> str:
    path = _trained(tmp_path)
    ckpt = torch.load(path, weights_only=True)
    ckpt['meta']['config'] = config_text
    out = str(tmp_path / 'with_gpu_ids.pth')
    torch.save(ckpt, out)
    return out


@pytest.mark.parametrize('text', ['gpu_ids = [0, 1]\n', 'gpu_ids = range(0, 8)\n',
                                  Config(dict(gpu_ids=[0, 1, 2])).pretty_text])
def test_resume_refuses_another_gpu_count_unless_lr_is_rescaled(tmp_path, text):
    path = _checkpoint_with_gpu_ids(tmp_path, text)
    runner = Runner(**_cfg(tmp_path / 'r'))
    with pytest.raises(RuntimeError, match='Cannot automatically rescale lr in resuming'):
        runner.resume(path)
    runner = Runner(**_cfg(tmp_path / 'r2', log_level='INFO',
                           auto_scale_lr=dict(base_batch_size=12, enable=True)))
    runner.resume(path)
    assert 'Number of GPU used for current experiment is not consistent' in _log(runner)


@pytest.mark.parametrize('text', ['gpu_ids = [0]\n', 'x = 1\n', 'gpu_ids = [\n',
                                  'gpu_ids = None\n', 'gpu_ids = range(0, 10**12)\n',
                                  'gpu_ids = range(0, 1)\n', 'x = 1\0\n',
                                  "gpu_ids = [open({marker!r}, 'w').close(), 1]\n"])
def test_resume_accepts_the_same_gpu_count_and_configs_it_cannot_read(tmp_path, text):
    marker = tmp_path / 'the_config_ran'
    path = _checkpoint_with_gpu_ids(tmp_path, text.format(marker=str(marker)))
    runner = Runner(**_cfg(tmp_path / 'r'))
    runner.resume(path)
    assert runner.iter == 2
    assert not marker.exists()  # the checkpoint's config text is read, never run


# ----------------------------------------------------------------- RUN-33
def test_save_checkpoint_meta_by_iteration_and_optional_parts(tmp_path):
    runner = Runner(**_cfg(tmp_path))
    runner.train()
    runner.save_checkpoint(str(tmp_path), 'by_iter.pth', by_epoch=False, meta=dict(note=1),
                           save_optimizer=False, save_param_scheduler=False)
    ckpt = torch.load(tmp_path / 'by_iter.pth', weights_only=True)
    meta = ckpt['meta']
    assert (meta['epoch'], meta['iter']) == (1, 3)  # runner.epoch, runner.iter + 1
    assert meta['note'] == 1 and meta['seed'] == runner.seed
    assert meta['experiment_name'] == runner.experiment_name
    assert re.fullmatch(r'\d{8}_\d{6}', meta['time'])
    assert meta['mmengine_version'] == meta['engine_version']
    assert 'optimizer' not in ckpt and 'param_schedulers' not in ckpt
    runner.save_checkpoint(str(tmp_path), 'by_epoch.pth')
    meta = torch.load(tmp_path / 'by_epoch.pth', weights_only=True)['meta']
    assert (meta['epoch'], meta['iter']) == (2, 2)  # runner.epoch + 1, runner.iter


def test_save_checkpoint_hooks_may_add_keys_and_errors(tmp_path):
    class AddKey(Hook):
        def before_save_checkpoint(self, runner, checkpoint):
            checkpoint['extra'] = torch.ones(1)

    runner = Runner(**_cfg(tmp_path, custom_hooks=[AddKey()]))
    with pytest.raises(TypeError, match='OptimWrapper'):
        runner.save_checkpoint(str(tmp_path), 'x.pth')  # optimizer not built yet
    runner.save_checkpoint(str(tmp_path), 'weights.pth', save_optimizer=False)
    ckpt = torch.load(tmp_path / 'weights.pth', weights_only=True)
    assert torch.equal(ckpt['extra'], torch.ones(1)) and 'param_schedulers' not in ckpt
    with pytest.raises(TypeError, match='meta'):
        runner.save_checkpoint(str(tmp_path), 'x.pth', meta=[1])


def test_save_checkpoint_file_client_args_is_deprecated_but_works(tmp_path):
    runner = Runner(**_cfg(tmp_path))
    runner.train()
    with pytest.warns(DeprecationWarning, match='file_client_args'):
        runner.save_checkpoint(str(tmp_path), 'old.pth',
                               file_client_args=dict(backend='disk'))
    assert torch.load(tmp_path / 'old.pth', weights_only=True)['meta']['epoch'] == 2
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', DeprecationWarning)
        with pytest.raises(ValueError, match='cannot be set at the same time'):
            runner.save_checkpoint(str(tmp_path), 'x.pth', file_client_args=dict(backend='disk'),
                                   backend_args=dict(backend='local'))
    runner.save_checkpoint(str(tmp_path), 'new.pth', backend_args=dict(backend='local'))
    assert osp.isfile(tmp_path / 'new.pth')


# ----------------------------------------------------------------- RUN-34
def test_dump_config_without_a_file_uses_the_timestamp(tmp_path):
    runner = Runner(model=ToyModel(), work_dir=str(tmp_path), log_level='WARNING',
                    cfg=dict(model=dict(type='ToyModel'), lr=0.5))
    dumped = Config.fromfile(str(tmp_path / f'{runner.timestamp}.py'))
    assert dumped.lr == 0.5 and dumped.model.type == 'ToyModel'


# ------------------------------------------- spec scenarios T01..T03 (RUN-06/33)
class _SpecToyModel(BaseModel):
    """The fixture of the spec's section 10 (seed §18.1)."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(1, 1)

    def forward(self, img, label, mode='tensor'):
        feat = self.linear(img)
        if mode == 'loss':
            return dict(loss1=(feat - label).pow(2), loss2=(feat - label).abs())
        return feat


def test_spec_t01_to_t03_default_run_layout_and_checkpoint(tmp_path, capsys):
    dataset = [(torch.ones(1, 1), torch.ones(1, 1))] * 50
    runner = Runner(model=_SpecToyModel(), work_dir=str(tmp_path),
                    train_dataloader=DataLoader(dataset, batch_size=2),
                    train_cfg=dict(by_epoch=True, max_epochs=1),
                    optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)))
    assert runner.train() is runner.model
    out = ' '.join(capsys.readouterr().out.split())
    assert 'Epoch(train) [1][10/25]' in out and 'Epoch(train) [1][20/25]' in out
    assert '[1][25/25]' not in out
    assert f'Exp name: {runner.experiment_name}' in out and 'Saving checkpoint at 1 epochs' in out
    assert re.search(r'\d{2}/\d{2} \d{2}:\d{2}:\d{2} - mmengine - INFO - Epoch\(train\)', out)

    ts = runner.timestamp
    assert re.fullmatch(r'\d{8}_\d{6}', ts)
    assert (tmp_path / 'last_checkpoint').read_text() == str(tmp_path / 'epoch_1.pth')
    assert (tmp_path / f'{ts}.py').is_file()
    assert (tmp_path / 'modules_statistic_results.json').is_file()
    log = (tmp_path / ts / f'{ts}.log').read_text()
    assert re.search(r'^\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2} - mmengine - INFO - ', log)
    assert log.count('Epoch(train) [1][') == 2
    for name in ('scalars.json', f'{ts}.json'):
        lines = [json.loads(line)
                 for line in (tmp_path / ts / 'vis_data' / name).read_text().splitlines()]
        assert [line['step'] for line in lines] == [10, 20]
        assert {'lr', 'loss', 'loss1', 'loss2', 'time', 'data_time', 'epoch'} <= set(lines[0])
        assert lines[0]['epoch'] == 1

    ckpt = torch.load(tmp_path / 'epoch_1.pth', weights_only=True)
    assert {'meta', 'state_dict', 'message_hub', 'optimizer'} <= set(ckpt)
    assert 'param_schedulers' not in ckpt
    meta = ckpt['meta']
    assert (meta['epoch'], meta['iter']) == (1, 25)
    assert meta['seed'] == runner.seed and meta['experiment_name'] == runner.experiment_name
    assert set(ckpt['state_dict']) == {'linear.weight', 'linear.bias'}
    assert all(v.device.type == 'cpu' for v in ckpt['state_dict'].values())
    assert 'train/loss' in ckpt['message_hub']['log_scalars']
    assert ('`save_param_scheduler` is True but `self.param_schedulers` is None, so skip '
            'saving parameter schedulers') in log
