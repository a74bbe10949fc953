"""Runner construction: config-driven builds, lazy building, hook registration
and the errors a bad setup gets."""

from __future__ import annotations

import copy
import os.path as osp

import pytest
import torch
import torch.nn as nn
from runner_toys import ToyDataset, ToyMetric, ToyModel, toy_runner_cfg
from torch.utils.data import DataLoader

from engine.config import Config
from engine.evaluator import Evaluator
from engine.hooks import Hook
from engine.optim import OptimWrapper, OptimWrapperDict
from engine.registry import HOOKS, LOOPS, RUNNERS
from engine.runner import EpochBasedTrainLoop, IterBasedTrainLoop, Runner, ValLoop
from engine.runner import TestLoop as _TestLoop  # not a pytest class


def _hook_names(runner) -> list:
    return [type(h).__name__ for h in runner.hooks]


def test_only_model_and_hooks_are_built_eagerly(tmp_path):
    runner = Runner(**toy_runner_cfg(tmp_path))
    assert isinstance(runner.model, ToyModel)
    assert isinstance(runner._train_loop, dict)
    assert isinstance(runner.optim_wrapper, dict)
    assert isinstance(runner.param_schedulers, dict)
    # touching a loop property builds it (and its dataloader)
    assert isinstance(runner.train_loop, EpochBasedTrainLoop)
    assert isinstance(runner.train_dataloader, DataLoader)
    assert runner.max_epochs == 3 and runner.max_iters == 18 and runner.epoch == 0
    assert isinstance(runner.val_loop, ValLoop) and isinstance(runner.test_loop, _TestLoop)
    assert isinstance(runner.val_evaluator, Evaluator)


def test_test_only_runner_needs_only_test_pieces(tmp_path):
    cfg = toy_runner_cfg(tmp_path)
    runner = Runner(model=cfg['model'], work_dir=cfg['work_dir'],
                    test_dataloader=cfg['test_dataloader'], test_cfg=dict(),
                    test_evaluator=cfg['test_evaluator'])
    assert set(runner.test()) == {'acc', 'mse'}
    with pytest.raises(RuntimeError, match='train_dataloader'):
        runner.train()
    with pytest.raises(RuntimeError, match='val_dataloader'):
        runner.val()


def test_from_cfg_with_a_config_file_and_base(tmp_path):
    (tmp_path / 'base.py').write_text(
        "model = dict(type='ToyModel')\n"
        "train_dataloader = dict(dataset=dict(type='ToyDataset'),\n"
        "    sampler=dict(type='DefaultSampler', shuffle=True), batch_size=6, num_workers=0)\n"
        "train_cfg = dict(by_epoch=True, max_epochs=2)\n"
        "optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.01))\n"
        "log_level = 'WARNING'\n")
    (tmp_path / 'exp.py').write_text(
        "_base_ = './base.py'\n"
        f"work_dir = {str(tmp_path / 'work')!r}\n"
        "train_cfg = dict(max_epochs=1)\n"
        "randomness = dict(seed=7)\n")
    cfg = Config.fromfile(str(tmp_path / 'exp.py'))
    runner = Runner.from_cfg(cfg)
    assert runner.experiment_name.startswith('exp_')
    assert runner.seed == 7
    runner.train()
    assert osp.isfile(tmp_path / 'work' / 'epoch_1.pth')
    # the merged config is dumped beside the checkpoints and reloads equal
    dumped = Config.fromfile(str(tmp_path / 'work' / 'exp.py'))
    assert dumped.train_cfg.max_epochs == 1 and dumped.model.type == 'ToyModel'
    # the seed's §6.2 spelling and the registry path build the same thing
    assert Runner.build_from_cfg is not None
    cfg2 = copy.deepcopy(cfg)
    cfg2.work_dir = str(tmp_path / 'work2')
    assert type(RUNNERS.build(cfg2)) is Runner


def test_from_cfg_names_the_missing_key(tmp_path):
    with pytest.raises(KeyError, match='work_dir'):
        Runner.from_cfg(dict(model=dict(type='ToyModel')))


def test_custom_runner_type_through_registry(tmp_path):
    @RUNNERS.register_module(force=True)
    class QuietRunner(Runner):
        env_seen = None

        def setup_env(self, env_cfg):
            QuietRunner.env_seen = env_cfg
            super().setup_env(env_cfg)

    cfg = Config(dict(runner_type='QuietRunner', model=dict(type='ToyModel'),
                      work_dir=str(tmp_path), env_cfg=dict(dist_cfg=dict(backend='gloo'))))
    runner = RUNNERS.build(cfg)
    assert type(runner).__name__ == 'QuietRunner'
    assert QuietRunner.env_seen == dict(dist_cfg=dict(backend='gloo'))


@pytest.mark.parametrize('group,missing', [
    ('train', dict(train_cfg=None)),
    ('train', dict(optim_wrapper=None, param_scheduler=None)),
    ('val', dict(val_evaluator=None)),
    ('val', dict(val_dataloader=None)),
    ('test', dict(test_dataloader=None)),
])
def test_incomplete_groups_raise_value_error_naming_the_parts(tmp_path, group, missing):
    cfg = toy_runner_cfg(tmp_path, **missing)
    with pytest.raises(ValueError, match=f'{group}_dataloader'):
        Runner(**cfg)


def test_scheduler_without_optimizer_and_bad_scheduler_type(tmp_path):
    cfg = toy_runner_cfg(tmp_path, train_dataloader=None, train_cfg=None, optim_wrapper=None)
    with pytest.raises(ValueError, match='param_scheduler should be None'):
        Runner(**cfg)
    with pytest.raises(TypeError, match='param_scheduler'):
        Runner(**toy_runner_cfg(tmp_path, param_scheduler=3))
    with pytest.raises(AssertionError, match='type'):
        Runner(**toy_runner_cfg(tmp_path, param_scheduler=[dict(milestones=[1])]))


def test_loop_config_errors(tmp_path):
    runner = Runner(**toy_runner_cfg(tmp_path, train_cfg=dict(by_epoch=True)))
    with pytest.raises(KeyError, match='max_epochs'):
        runner.train()
    runner = Runner(**toy_runner_cfg(tmp_path, train_cfg=dict(by_epoch=False)))
    with pytest.raises(KeyError, match='max_iters'):
        runner.train()
    runner = Runner(**toy_runner_cfg(
        tmp_path, train_cfg=dict(type='EpochBasedTrainLoop', by_epoch=True, max_epochs=1)))
    with pytest.raises(RuntimeError, match='Only one of `type` or `by_epoch`'):
        runner.train()
    with pytest.raises(TypeError, match='dict'):
        Runner(**toy_runner_cfg(tmp_path, train_cfg=3))


def test_iter_based_loop_and_custom_loop(tmp_path):
    runner = Runner(**toy_runner_cfg(tmp_path, train_cfg=dict(by_epoch=False, max_iters=5,
                                                               val_interval=2)))
    assert isinstance(runner.train_loop, IterBasedTrainLoop)
    assert runner.max_epochs == 1 and runner.max_iters == 5

    @LOOPS.register_module(force=True)
    class TwiceLoop(EpochBasedTrainLoop):
        """Each batch trained twice: the documented way to customise (§31.4)."""

        def run_iter(self, idx, data_batch):
            super().run_iter(idx, data_batch)
            super().run_iter(idx, data_batch)

    runner = Runner(**toy_runner_cfg(tmp_path / 'custom',
                                     train_cfg=dict(type='TwiceLoop', max_epochs=1)))
    runner.train()
    assert runner.iter == 12


def test_default_hooks_and_their_order(tmp_path):
    runner = Runner(**toy_runner_cfg(tmp_path))
    assert _hook_names(runner) == ['RuntimeInfoHook', 'IterTimerHook', 'DistSamplerSeedHook',
                                   'LoggerHook', 'ParamSchedulerHook', 'CheckpointHook']
    runner = Runner(**toy_runner_cfg(tmp_path, default_hooks=dict(timer=None)))
    assert 'IterTimerHook' not in _hook_names(runner)
    with pytest.raises(AssertionError, match='not a default hook'):
        Runner(**toy_runner_cfg(tmp_path, default_hooks=dict(no_such_hook=None)))


def test_unknown_hook_type_names_the_registry(tmp_path):
    with pytest.raises(KeyError, match='LogerHook'):
        Runner(**toy_runner_cfg(tmp_path, custom_hooks=[dict(type='LogerHook')]))


class _Recorder(Hook):
    def __init__(self, name, calls):
        self.name = name
        self.calls = calls

    def before_run(self, runner):
        self.calls.append(self.name)


def test_priorities_and_registration_order(tmp_path):
    calls = []
    hooks = [_Recorder('normal-1', calls), dict(type='_PriorityRecorder', priority='HIGHEST'),
             _Recorder('normal-2', calls)]

    @HOOKS.register_module(force=True)
    class _PriorityRecorder(_Recorder):
        def __init__(self):
            super().__init__('highest', calls)

    runner = Runner(**toy_runner_cfg(tmp_path, custom_hooks=hooks))
    runner.register_hook(_Recorder('lowest', calls), priority='LOWEST')
    runner.register_hook(_Recorder('above', calls), priority=40)
    runner.call_hook('before_run')
    assert calls == ['highest', 'above', 'normal-1', 'normal-2', 'lowest']
    with pytest.raises(TypeError, match='Hook or dict'):
        runner.register_hook('LoggerHook')
    # a single dict is accepted as custom_hooks (the seed's §7.2 does that)
    runner = Runner(**toy_runner_cfg(tmp_path, custom_hooks=dict(type='_PriorityRecorder')))
    assert '_PriorityRecorder' in _hook_names(runner)


def test_custom_hook_points_reach_only_hooks_defining_them(tmp_path):
    seen = []

    class ValLoader2Hook(Hook):
        def before_valloader2_iter(self, runner, batch_idx):
            seen.append(batch_idx)

    runner = Runner(**toy_runner_cfg(tmp_path, custom_hooks=[ValLoader2Hook()]))
    runner.call_hook('before_valloader2_iter', batch_idx=3)
    assert seen == [3]
    with pytest.raises(TypeError, match='ValLoader2Hook'):
        runner.call_hook('before_valloader2_iter', wrong_arg=1)


def test_hook_call_order_of_a_training_run(tmp_path):
    points = []

    class Spy(Hook):
        pass

    for point in ('before_run', 'before_train', 'before_train_epoch', 'before_train_iter',
                  'after_train_iter', 'after_train_epoch', 'before_val', 'before_val_epoch',
                  'before_val_iter', 'after_val_iter', 'after_val_epoch', 'after_val',
                  'after_train', 'after_run', 'before_save_checkpoint'):
        setattr(Spy, point, (lambda p: lambda self, runner, **kw: points.append(p))(point))
    cfg = toy_runner_cfg(tmp_path, custom_hooks=[Spy()],
                         train_cfg=dict(by_epoch=True, max_epochs=1))
    cfg['train_dataloader']['batch_size'] = 12
    cfg['val_dataloader']['batch_size'] = 8
    Runner(**cfg).train()
    assert points == ['before_run', 'before_train', 'before_train_epoch',
                      'before_train_iter', 'after_train_iter',
                      'before_train_iter', 'after_train_iter',
                      'after_train_epoch', 'before_save_checkpoint',
                      'before_val', 'before_val_epoch', 'before_val_iter', 'after_val_iter',
                      'after_val_epoch', 'after_val', 'after_train', 'after_run']


def test_validation_schedule_with_val_begin_and_dynamic_intervals(tmp_path):
    epochs = []

    class ValSpy(Hook):
        def after_val_epoch(self, runner, metrics=None):
            epochs.append(runner.epoch)

    cfg = toy_runner_cfg(tmp_path, custom_hooks=[ValSpy()],
                         train_cfg=dict(by_epoch=True, max_epochs=5, val_begin=2))
    cfg['train_dataloader']['batch_size'] = 24
    Runner(**cfg).train()
    assert epochs == [2, 3, 4, 5]
    epochs.clear()
    cfg = toy_runner_cfg(tmp_path / 'dyn', custom_hooks=[ValSpy()],
                         train_cfg=dict(by_epoch=True, max_epochs=8,
                                        dynamic_intervals=[(3, 2)]))
    cfg['train_dataloader']['batch_size'] = 24
    Runner(**cfg).train()
    assert epochs == [1, 2, 4, 6, 8]


def test_build_optim_wrapper_forms(tmp_path):
    runner = Runner(**toy_runner_cfg(tmp_path))
    sgd = torch.optim.SGD(runner.model.parameters(), lr=0.1)
    wrapper = runner.build_optim_wrapper(dict(optimizer=sgd))
    assert isinstance(wrapper, OptimWrapper) and wrapper.optimizer is sgd
    assert runner.build_optim_wrapper(wrapper) is wrapper
    built = runner.build_optim_wrapper(dict(optimizer=dict(type='SGD', lr=0.1),
                                            accumulative_counts=2))
    assert isinstance(built, OptimWrapper)
    both = runner.build_optim_wrapper(dict(a=wrapper, b=built))
    assert isinstance(both, OptimWrapperDict)
    with pytest.raises(ValueError, match="optim_wrapper\\['b'\\]"):
        runner.build_optim_wrapper(dict(a=wrapper, b=3))
    with pytest.raises(TypeError, match='optim_wrapper'):
        runner.build_optim_wrapper(3)


def test_build_evaluator_forms(tmp_path):
    runner = Runner(**toy_runner_cfg(tmp_path))
    for form in (dict(type='ToyMetric'), [dict(type='ToyMetric')], [ToyMetric()],
                 dict(metrics=ToyMetric()), dict(metrics=[ToyMetric()])):
        evaluator = runner.build_evaluator(form)
        assert isinstance(evaluator, Evaluator)
        assert isinstance(evaluator.metrics[0], ToyMetric)
    with pytest.raises(TypeError, match='evaluator'):
        runner.build_evaluator(3)


def test_build_dataloader_from_dict_and_object(tmp_path):
    loader = Runner.build_dataloader(
        dict(dataset=dict(type='ToyDataset', size=10), sampler=dict(type='DefaultSampler',
                                                                   shuffle=False),
             batch_size=4), seed=1)
    assert isinstance(loader.dataset, ToyDataset) and len(loader) == 3
    batch = next(iter(loader))
    assert isinstance(batch, dict) and len(batch['inputs']) == 4  # pseudo_collate keeps lists
    same = DataLoader(ToyDataset())
    assert Runner.build_dataloader(same) is same
    with pytest.raises(TypeError, match='dataloader'):
        Runner.build_dataloader(3)


def test_auto_scale_lr(tmp_path):
    runner = Runner(**toy_runner_cfg(tmp_path, auto_scale_lr=dict(base_batch_size=8,
                                                                   enable=True),
                                     param_scheduler=None,
                                     train_cfg=dict(by_epoch=True, max_epochs=1)))
    runner.train()
    # real batch 4 (one process) against a base of 8: lr halves
    assert runner.optim_wrapper.get_lr()['lr'][0] == pytest.approx(0.025)
    runner = Runner(**toy_runner_cfg(tmp_path, auto_scale_lr=dict(enable=True)))
    with pytest.raises(AssertionError, match='base_batch_size'):
        runner.train()


def test_gan_with_two_optimizers(tmp_path):
    """The GAN tutorial's shape: two optimizers in an OptimWrapperDict, the model
    stepping each in its own train_step."""
    from engine.model import BaseModel

    class TinyGAN(BaseModel):
        def __init__(self):
            super().__init__()
            self.generator = nn.Linear(2, 2)
            self.discriminator = nn.Linear(2, 1)

        def train_step(self, data, optim_wrapper):
            data = self.data_preprocessor(data, True)  # onto the model's device
            real = torch.stack(data['inputs'])
            fake = self.generator(torch.randn_like(real))
            with optim_wrapper['discriminator'].optim_context(self.discriminator):
                d_loss = (self.discriminator(fake.detach()).mean()
                          - self.discriminator(real).mean())
                optim_wrapper['discriminator'].update_params(d_loss)
            with optim_wrapper['generator'].optim_context(self.generator):
                g_loss = -self.discriminator(fake).mean()
                optim_wrapper['generator'].update_params(g_loss)
            return dict(loss_d=d_loss.detach(), loss_g=g_loss.detach())

        def forward(self, inputs, data_samples=None, mode='tensor'):
            return self.generator(torch.stack(inputs))

    model = TinyGAN()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    optim = dict(generator=dict(optimizer=dict(type='Adam', lr=1e-3)),
                 discriminator=dict(optimizer=dict(type='Adam', lr=1e-3)))
    from engine.optim import build_optim_wrapper
    wrappers = OptimWrapperDict(
        generator=build_optim_wrapper(model.generator, optim['generator']),
        discriminator=build_optim_wrapper(model.discriminator, optim['discriminator']))
    cfg = toy_runner_cfg(tmp_path, model=model, optim_wrapper=wrappers,
                         param_scheduler=None, val_dataloader=None, val_cfg=None,
                         val_evaluator=None, train_cfg=dict(by_epoch=True, max_epochs=1))
    runner = Runner(**cfg)
    runner.train()
    after = {k: v.cpu() for k, v in model.state_dict().items()}
    assert all(not torch.equal(before[k], after[k]) for k in before)
    hub = runner.message_hub
    assert hub.get_scalar('train/loss_d') is not None and hub.get_scalar('train/loss_g')
    assert set(runner.optim_wrapper.get_lr()) == {'generator.lr', 'discriminator.lr'}
    ckpt = torch.load(tmp_path / 'epoch_1.pth', weights_only=True)
    assert set(ckpt['optimizer']) == {'generator', 'discriminator'}


class _WorkerSignalProbe(torch.utils.data.Dataset):
    """Each item reports, from inside the worker, who handles SIGTERM there and
    whether the user's worker_init_fn ran."""

    def __len__(self):
        return 2

    def __getitem__(self, index):
        import signal
        handler = signal.getsignal(signal.SIGTERM)
        return getattr(handler, '__name__', str(handler)), torch.initial_seed()


def _user_init(worker_id):
    torch.manual_seed(1234 + worker_id)


def test_loader_objects_get_the_worker_sigterm_setup_once_and_keep_their_init():
    from engine.runner.builders import build_dataloader, start_worker

    loader = DataLoader(_WorkerSignalProbe(), batch_size=1, num_workers=1,
                        worker_init_fn=_user_init, collate_fn=lambda batch: batch[0])
    assert build_dataloader(build_dataloader(loader)) is loader
    assert loader.worker_init_fn.func is start_worker  # wrapped once, not twice
    assert loader.worker_init_fn.keywords == dict(init_fn=_user_init)
    # in the worker: SIGTERM is deferred, and the user's init ran after that set-up
    assert list(loader) == [('_end_worker_later', 1234)] * 2
    plain = DataLoader(_WorkerSignalProbe(), num_workers=0)
    assert build_dataloader(plain).worker_init_fn is None  # no workers, nothing to set up


def test_persistent_workers_started_before_the_runner_are_restarted_with_the_setup():
    import signal

    from engine.runner.builders import build_dataloader

    loader = DataLoader(_WorkerSignalProbe(), batch_size=1, num_workers=1,
                        persistent_workers=True, collate_fn=lambda batch: batch[0])
    # user code iterates the loader first: its worker keeps SIGTERM's default action
    assert [handler for handler, _ in loader] == [str(signal.SIG_DFL)] * 2
    assert build_dataloader(loader) is loader
    # a persistent worker would be reused as it is: it is replaced by one set up
    assert [handler for handler, _ in loader] == ['_end_worker_later'] * 2
    assert [handler for handler, _ in loader] == ['_end_worker_later'] * 2
