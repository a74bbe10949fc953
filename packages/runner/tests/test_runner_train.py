"""End-to-end runs of the Runner on a toy model: the quick-start flow,
checkpoint files and contents, logs, and exact resume."""

from __future__ import annotations

import io
import json
import os.path as osp
import re
import sys

import pytest
import torch
from runner_toys import toy_runner_cfg

from engine.hooks import Hook
from engine.model import BaseModel
from engine.optim import OptimWrapper, OptimWrapperDict
from engine.runner import Runner


def _scalar_lines(runner) -> list:
    path = osp.join(runner.log_dir, 'vis_data', 'scalars.json')
    with open(path) as f:
        return [json.loads(line) for line in f]


def _log_text(runner) -> str:
    with open(osp.join(runner.log_dir, f'{runner.timestamp}.log')) as f:
        return f.read()


def _tear(path) -> None:
    """Cut a checkpoint short, as a disk filling up mid-copy would."""
    path.write_bytes(path.read_bytes()[:200])


def test_quickstart_train_val_test(tmp_path):
    runner = Runner(**toy_runner_cfg(tmp_path, log_level='INFO'))
    model = runner.train()
    assert model is runner.model
    assert runner.epoch == 3 and runner.iter == 18  # 24 samples / batch 4 = 6 per epoch

    for epoch in (1, 2, 3):
        assert osp.isfile(tmp_path / f'epoch_{epoch}.pth')
    with open(tmp_path / 'last_checkpoint') as f:
        assert f.read() == str(tmp_path / 'epoch_3.pth')

    log = _log_text(runner)
    assert re.search(r'Epoch\(train\) +\[1\]\[2/6\] +lr: 5\.0000e-02 +eta: \S+ +time: \S+ '
                     r'+data_time: \S+ +memory: \d+ +loss: \S+', log) or \
        re.search(r'Epoch\(train\) +\[1\]\[2/6\]', log), log
    assert re.search(r'Epoch\(val\) \[1\]\[2/2\] +acc: \S+ +mse: \S+', log), log

    lines = _scalar_lines(runner)
    train_lines = [line for line in lines if 'loss' in line]
    assert [line['step'] for line in train_lines] == [2, 4, 6, 8, 10, 12, 14, 16, 18]
    assert all(line['lr'] == pytest.approx(0.05 if line['step'] <= 12 else 0.025)
               for line in train_lines)
    val_lines = [line for line in lines if 'acc' in line]
    assert [line['step'] for line in val_lines] == [1, 2, 3]

    metrics = runner.test()
    assert set(metrics) == {'acc', 'mse'}
    assert metrics['mse'] == pytest.approx(runner.val()['mse'])


def test_checkpoint_is_plain_data_and_has_the_documented_keys(tmp_path):
    runner = Runner(**toy_runner_cfg(tmp_path, train_cfg=dict(by_epoch=True, max_epochs=1)))
    runner.train()
    # torch's safe loader (the default since torch 2.6) must read it
    ckpt = torch.load(tmp_path / 'epoch_1.pth', weights_only=True)
    assert {'meta', 'state_dict', 'message_hub', 'optimizer', 'param_schedulers'} <= set(ckpt)
    meta = ckpt['meta']
    assert meta['epoch'] == 1 and meta['iter'] == 6 and meta['seed'] == 42
    assert meta['experiment_name'] == runner.experiment_name
    assert meta['dataset_meta'] == {'classes': ('toy',)}
    assert 'mmengine_version' in meta and isinstance(meta['cfg'], str)
    assert set(ckpt['state_dict']) == {'linear1.weight', 'linear1.bias',
                                       'linear2.weight', 'linear2.bias'}
    assert ckpt['param_schedulers'][0]['milestones'] == {2: 1} or \
        2 in ckpt['param_schedulers'][0]['milestones']


class _StopAfterEpoch(Hook):
    """Simulates a crash right after the checkpoint of epoch ``n`` is written."""

    priority = 'LOWEST'

    def __init__(self, n: int, by_iter: bool = False):
        self.n = n
        self.by_iter = by_iter

    def after_train_epoch(self, runner):
        if not self.by_iter and runner.epoch + 1 == self.n:
            raise KeyboardInterrupt('simulated crash')

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if self.by_iter and runner.iter + 1 == self.n:
            raise KeyboardInterrupt('simulated crash')


def _final_state(runner) -> dict:
    return dict(model={k: v.clone() for k, v in runner.model.state_dict().items()},
                optimizer=runner.optim_wrapper.state_dict(),
                schedulers=[s.state_dict() for s in runner.param_schedulers],
                losses=list(runner.message_hub.get_scalar('train/loss').data[0]))


def _assert_same_state(a: dict, b: dict) -> None:
    for key in a['model']:
        assert torch.equal(a['model'][key], b['model'][key]), key
    state_a, state_b = a['optimizer']['state'], b['optimizer']['state']
    assert state_a.keys() == state_b.keys()
    for index in state_a:
        for name, value in state_a[index].items():
            assert torch.equal(torch.as_tensor(value), torch.as_tensor(state_b[index][name]))
    assert a['optimizer']['param_groups'] == b['optimizer']['param_groups']
    assert a['schedulers'] == b['schedulers']
    assert list(a['losses']) == list(b['losses'])


@pytest.mark.parametrize('loop', ['epoch', 'iter', 'epoch_accumulate', 'epoch_mid',
                                  'epoch_last_batch'])
def test_resume_is_bit_exact(tmp_path, loop):
    overrides = {}
    if loop in ('epoch_mid', 'epoch_last_batch'):
        # an epoch-based run checkpointed by iteration: resumed inside an epoch (after
        # batch 2 of 6), or after an epoch's last batch but before its end-of-epoch hooks
        every = 4 if loop == 'epoch_mid' else 6
        overrides = dict(
            train_cfg=dict(by_epoch=True, max_epochs=4, val_interval=1),
            param_scheduler=[dict(type='MultiStepLR', milestones=[2], gamma=0.5),
                             dict(type='LinearLR', start_factor=0.5, by_epoch=False,
                                  begin=0, end=15)],
            default_hooks=dict(logger=dict(type='LoggerHook', interval=2),
                               checkpoint=dict(type='CheckpointHook', interval=every,
                                               by_epoch=False)))
        crash_at = 10 if loop == 'epoch_mid' else 12
    elif loop == 'iter':
        overrides = dict(
            train_cfg=dict(by_epoch=False, max_iters=16, val_interval=5),
            train_dataloader=dict(dataset=dict(type='ToyDataset'),
                                  sampler=dict(type='InfiniteSampler', shuffle=True),
                                  batch_size=4, num_workers=0),
            param_scheduler=dict(type='MultiStepLR', milestones=[8], gamma=0.5, by_epoch=False),
            default_hooks=dict(logger=dict(type='LoggerHook', interval=2),
                               checkpoint=dict(type='CheckpointHook', interval=5,
                                               by_epoch=False)))
        crash_at = 10
    else:
        overrides = dict(train_cfg=dict(by_epoch=True, max_epochs=4, val_interval=1))
        if loop == 'epoch_accumulate':
            overrides['optim_wrapper'] = dict(optimizer=dict(type='SGD', lr=0.05, momentum=0.9),
                                              accumulative_counts=2)
        crash_at = 2
    model_cfg = dict(type='ToyModel', dropout=0.3)  # dropout draws from torch's RNG
    overrides.setdefault('optim_wrapper', dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9)))
    overrides['optim_wrapper']['optimizer']['lr'] = 0.01

    uninterrupted = Runner(**toy_runner_cfg(tmp_path / 'a', model=model_cfg, **overrides))
    uninterrupted.train()

    by_iter = loop in ('iter', 'epoch_mid', 'epoch_last_batch')
    crashing = Runner(**toy_runner_cfg(tmp_path / 'b', model=dict(model_cfg), **overrides,
                                       custom_hooks=[_StopAfterEpoch(crash_at, by_iter)]))
    with pytest.raises(KeyboardInterrupt):
        crashing.train()

    resumed = Runner(**toy_runner_cfg(tmp_path / 'b', model=dict(model_cfg), resume=True,
                                      **overrides))
    resumed.train()
    assert resumed.iter == uninterrupted.iter
    _assert_same_state(_final_state(uninterrupted), _final_state(resumed))


class _TinyGAN(BaseModel):
    """The GAN tutorial's shape: each optimizer stepped by the model's own train_step."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.generator = torch.nn.Linear(2, 2)
        self.discriminator = torch.nn.Linear(2, 1)

    def train_step(self, data, optim_wrapper):
        data = self.data_preprocessor(data, True)
        real = torch.stack(data['inputs'])
        fake = self.generator(torch.randn_like(real))  # draws from the RNG a resume restores
        d_loss = self.discriminator(fake.detach()).mean() - self.discriminator(real).mean()
        optim_wrapper['discriminator'].update_params(d_loss)
        # frozen, so the generator's loss leaves no gradient on the discriminator
        # for the next step (gradients are not part of a checkpoint)
        self.discriminator.requires_grad_(False)
        g_loss = -self.discriminator(fake).mean()
        optim_wrapper['generator'].update_params(g_loss)
        self.discriminator.requires_grad_(True)
        return dict(loss_d=d_loss.detach(), loss_g=g_loss.detach())

    def forward(self, inputs, data_samples=None, mode='tensor'):
        return self.generator(torch.stack(inputs))


def _gan_runner(work_dir, **overrides) -> Runner:
    model = _TinyGAN()
    wrappers = OptimWrapperDict(
        generator=OptimWrapper(torch.optim.SGD(model.generator.parameters(), lr=0.1,
                                               momentum=0.9)),
        discriminator=OptimWrapper(torch.optim.Adam(model.discriminator.parameters(),
                                                    lr=0.01)))
    schedulers = dict(
        generator=dict(type='MultiStepLR', milestones=[4], gamma=0.5, by_epoch=False),
        discriminator=[dict(type='LinearLR', start_factor=0.25, by_epoch=False, end=6),
                       dict(type='ExponentialLR', gamma=0.9, by_epoch=False, begin=6)])
    cfg = toy_runner_cfg(
        work_dir, model=model, optim_wrapper=wrappers, param_scheduler=schedulers,
        val_dataloader=None, val_cfg=None, val_evaluator=None,
        train_cfg=dict(by_epoch=False, max_iters=10),
        train_dataloader=dict(dataset=dict(type='ToyDataset'),
                              sampler=dict(type='InfiniteSampler', shuffle=True),
                              batch_size=4, num_workers=0),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=5, by_epoch=False)))
    cfg.update(overrides)
    return Runner(**cfg)


def test_resume_restores_each_optimizers_own_schedulers(tmp_path):
    uninterrupted = _gan_runner(tmp_path / 'a')
    uninterrupted.train()

    crashing = _gan_runner(tmp_path / 'b', custom_hooks=[_StopAfterEpoch(7, by_iter=True)])
    with pytest.raises(KeyboardInterrupt):
        crashing.train()
    saved = torch.load(tmp_path / 'b' / 'iter_5.pth', weights_only=True)
    assert set(saved['param_schedulers']) == {'generator', 'discriminator'}
    # five steps taken; the exponential schedule only counts its own from iteration 6
    assert [(s['_global_step'], s['last_step'])
            for s in saved['param_schedulers']['discriminator']] == [(5, 5), (5, -1)]

    resumed = _gan_runner(tmp_path / 'b', resume=True)
    resumed.train()
    assert resumed.iter == 10
    for name in ('generator', 'discriminator'):
        assert ([s.state_dict() for s in resumed.param_schedulers[name]]
                == [s.state_dict() for s in uninterrupted.param_schedulers[name]]), name
    assert resumed.optim_wrapper.get_lr() == uninterrupted.optim_wrapper.get_lr()
    for key, value in uninterrupted.model.state_dict().items():
        assert torch.equal(value, resumed.model.state_dict()[key]), key



def test_resume_with_a_changed_dataloader_restarts_the_epoch_and_says_why(tmp_path, caplog):
    hooks = dict(checkpoint=dict(type='CheckpointHook', interval=4, by_epoch=False))
    cfg = toy_runner_cfg(tmp_path, train_cfg=dict(by_epoch=True, max_epochs=1),
                         default_hooks=hooks)
    Runner(**cfg).train()  # 6 batches of 4: iter_4.pth holds 4 batches of epoch 1
    cfg = toy_runner_cfg(tmp_path, train_cfg=dict(by_epoch=True, max_epochs=1),
                         resume=str(tmp_path / 'iter_4.pth'), default_hooks=hooks)
    cfg['train_dataloader']['batch_size'] = 8  # now 3 batches an epoch
    resumed = Runner(**cfg)
    with caplog.at_level('WARNING', logger='engine.runner.loops'):
        resumed.train()
    assert 'iteration 4 does not fall inside epoch 1 of 3 batches' in caplog.text
    assert resumed.iter == 4 + 3  # the whole epoch ran again

def test_resume_auto_picks_the_latest_checkpoint(tmp_path):
    Runner(**toy_runner_cfg(tmp_path, train_cfg=dict(by_epoch=True, max_epochs=2))).train()
    resumed = Runner(**toy_runner_cfg(tmp_path, train_cfg=dict(by_epoch=True, max_epochs=3),
                                      resume='auto', log_level='INFO'))
    resumed.train()
    log = _log_text(resumed)
    assert f"Auto resumed from the latest checkpoint {tmp_path / 'epoch_2.pth'}" in log
    assert 'resumed epoch: 2, iter: 12' in log
    assert resumed.epoch == 3 and resumed.iter == 18


@pytest.mark.parametrize('resume', [True, 'auto'])
def test_resume_auto_falls_back_to_intact_checkpoint(tmp_path, resume):
    cfg = toy_runner_cfg(tmp_path, train_cfg=dict(by_epoch=True, max_epochs=2))
    Runner(**cfg).train()
    _tear(tmp_path / 'epoch_2.pth')  # the newest one
    resumed = Runner(**toy_runner_cfg(tmp_path, train_cfg=dict(by_epoch=True, max_epochs=3),
                                      resume=resume, log_level='INFO'))
    resumed.train()
    log = _log_text(resumed)
    assert 'epoch_2.pth' in log and 'truncated or corrupt' in log
    assert 'Auto resumed from the latest checkpoint' in log and 'epoch_1.pth' in log
    assert resumed.epoch == 3


def test_resume_auto_with_every_checkpoint_torn_starts_over_and_says_so(tmp_path):
    cfg = toy_runner_cfg(tmp_path, train_cfg=dict(by_epoch=True, max_epochs=2))
    Runner(**cfg).train()
    _tear(tmp_path / 'epoch_1.pth')
    _tear(tmp_path / 'epoch_2.pth')
    restarted = Runner(**toy_runner_cfg(tmp_path, train_cfg=dict(by_epoch=True, max_epochs=2),
                                        resume=True, log_level='INFO'))
    restarted.train()
    log = _log_text(restarted)
    assert log.count('truncated or corrupt') == 2
    assert f'No intact checkpoint found in {tmp_path}; training starts from scratch' in log
    assert restarted.epoch == 2 and restarted.iter == 12  # both epochs ran again
    # and the torn files were replaced by whole ones
    assert torch.load(tmp_path / 'epoch_2.pth', weights_only=True)['meta']['epoch'] == 2



def test_resume_from_a_named_checkpoint(tmp_path):
    Runner(**toy_runner_cfg(tmp_path / 'a', train_cfg=dict(by_epoch=True, max_epochs=2))).train()
    # resume='<path>' resumes that checkpoint, not the latest one of its own work_dir
    cfg = toy_runner_cfg(tmp_path / 'b', train_cfg=dict(by_epoch=True, max_epochs=3),
                         resume=str(tmp_path / 'a' / 'epoch_1.pth'),
                         load_from=str(tmp_path / 'a' / 'epoch_2.pth'), log_level='INFO')
    resumed = Runner(**cfg)
    resumed.train()
    log = _log_text(resumed)
    assert 'resumed epoch: 1, iter: 6' in log and 'load_from=' in log and 'is ignored' in log
    assert resumed.epoch == 3 and resumed.iter == 18
    missing = toy_runner_cfg(tmp_path / 'c', resume=str(tmp_path / 'nope.pth'))
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        Runner(**missing).train()


@pytest.mark.parametrize('resume', ['', 2, ['a.pth']])
def test_resume_of_the_wrong_kind_is_rejected(tmp_path, resume):
    with pytest.raises(TypeError, match=re.escape(f"resume must be True/False, 'auto' or a "
                                                  f'checkpoint path, but got {resume!r}')):
        Runner(**toy_runner_cfg(tmp_path, resume=resume))

def _nan_after(n):
    from runner_toys import ToyModel

    from engine.registry import MODELS

    @MODELS.register_module(force=True)
    class ExplodingModel(ToyModel):
        calls = 0

        def forward(self, inputs, data_samples=None, mode='tensor'):
            out = super().forward(inputs, data_samples, mode)
            if mode == 'loss':
                ExplodingModel.calls += 1
                if ExplodingModel.calls > n:
                    out = dict(loss_a=out['loss'] * float('nan'), loss_b=out['loss'])
            return out

    ExplodingModel.calls = 0
    return dict(type='ExplodingModel')


def test_nonfinite_loss_stops_the_run_naming_iteration_and_terms(tmp_path):
    runner = Runner(**toy_runner_cfg(tmp_path, model=_nan_after(4)))
    with pytest.raises(FloatingPointError, match=r'iteration 4: loss_a=nan, loss_b=[0-9.]+, '
                                                 r'loss=nan'):
        runner.train()
    # the checkpoints written before are intact; nothing after the fault was saved
    assert not osp.exists(tmp_path / 'epoch_1.pth')


def test_nonfinite_loss_skip_keeps_weights_finite_and_counts(tmp_path):
    cfg = toy_runner_cfg(tmp_path, model=_nan_after(4),
                         train_cfg=dict(by_epoch=True, max_epochs=1, nonfinite_loss='skip'))
    runner = Runner(**cfg)
    runner.train()
    assert all(torch.isfinite(p).all() for p in runner.model.parameters())
    assert runner.message_hub.get_info('nonfinite_skips') == 2  # 6 batches, 2 after the 4th
    with pytest.raises(ValueError, match='nonfinite_loss'):
        Runner(**toy_runner_cfg(tmp_path, train_cfg=dict(by_epoch=True, max_epochs=1,
                                                         nonfinite_loss='maybe'))).train()


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_validation_shows_a_progress_bar_only_in_a_terminal(tmp_path, monkeypatch):
    runner = Runner(**toy_runner_cfg(tmp_path))
    plain = io.StringIO()
    monkeypatch.setattr(sys, 'stdout', plain)
    runner.val()
    assert '>>' not in plain.getvalue() and '2/2' not in plain.getvalue()
    terminal = _Terminal()
    monkeypatch.setattr(sys, 'stdout', terminal)
    runner.test()
    assert '2/2' in terminal.getvalue() and '>>' in terminal.getvalue()
