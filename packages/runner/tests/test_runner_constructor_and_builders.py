"""The Runner's construction and builders (spec RUN-01..22, RUN-36/37)."""

from __future__ import annotations

import inspect
import json
import logging
import os
import os.path as osp

import numpy as np
import pytest
import torch
import torch.nn as nn
from runner_toys import ToyDataset, ToyMetric, ToyModel, toy_runner_cfg
from torch.utils.data import BatchSampler, DataLoader

from engine.config import Config
from engine.dataset import DefaultSampler
from engine.evaluator import Evaluator
from engine.hooks import Hook, LoggerHook
from engine.logging import LogProcessor, MessageHub, MMLogger
from engine.model import BaseDataPreprocessor
from engine.optim import OptimWrapper, OptimWrapperDict
from engine.registry import DATA_SAMPLERS, HOOKS, LOG_PROCESSORS, DefaultScope
from engine.runner import BaseLoop, Runner, set_random_seed
from engine.visualization import Visualizer


def _train_only(tmp_path, **overrides) -> dict:
    cfg = toy_runner_cfg(tmp_path, val_dataloader=None, val_cfg=None, val_evaluator=None,
                         test_dataloader=None, test_cfg=None, test_evaluator=None,
                         train_cfg=dict(by_epoch=True, max_epochs=1))
    cfg.update(overrides)
    return cfg


# ----------------------------------------------------------------- RUN-01
def test_constructor_signature_and_documented_defaults():
    params = inspect.signature(Runner).parameters
    assert list(params) == [
        'model', 'work_dir', 'train_dataloader', 'val_dataloader', 'test_dataloader',
        'train_cfg', 'val_cfg', 'test_cfg', 'auto_scale_lr', 'optim_wrapper',
        'param_scheduler', 'val_evaluator', 'test_evaluator', 'default_hooks', 'custom_hooks',
        'data_preprocessor', 'load_from', 'resume', 'launcher', 'env_cfg', 'log_processor',
        'log_level', 'visualizer', 'default_scope', 'randomness', 'experiment_name', 'cfg']
    assert params['model'].default is inspect.Parameter.empty
    assert params['work_dir'].default is inspect.Parameter.empty
    assert params['resume'].default is False and params['launcher'].default == 'none'
    assert params['env_cfg'].default == {'dist_cfg': {'backend': 'nccl'}}
    assert params['randomness'].default == {'seed': None}
    assert params['log_level'].default == 'INFO'
    assert params['default_scope'].default == 'engine'  # spec README, decision 1


def test_documented_defaults_are_never_mutated(tmp_path):
    class EditingRunner(Runner):
        def setup_env(self, env_cfg):
            env_cfg['cudnn_benchmark'] = False  # a subclass may edit what it gets
            super().setup_env(env_cfg)

    EditingRunner(model=ToyModel(), work_dir=str(tmp_path), log_level='WARNING')
    params = inspect.signature(Runner).parameters
    assert params['env_cfg'].default == {'dist_cfg': {'backend': 'nccl'}}
    assert params['randomness'].default == {'seed': None}


def test_work_dir_is_absolute_and_created(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = Runner(model=ToyModel(), work_dir='nested/run', log_level='WARNING')
    assert runner.work_dir == str(tmp_path / 'nested' / 'run')
    assert osp.isdir(runner.work_dir)


def test_data_preprocessor_goes_into_a_model_dict_without_one(tmp_path):
    runner = Runner(model=dict(type='ToyModel'), work_dir=str(tmp_path), log_level='WARNING',
                    data_preprocessor=dict(type='BaseDataPreprocessor'))
    assert isinstance(runner.model.data_preprocessor, BaseDataPreprocessor)
    # the model's own data_preprocessor wins; a built model is left as it is
    model = ToyModel()
    runner = Runner(model=model, work_dir=str(tmp_path), log_level='WARNING',
                    data_preprocessor=dict(type='NoSuchPreprocessor'))
    assert runner.model is model


# ----------------------------------------------------------------- RUN-02
def test_cfg_is_copied_and_the_global_instances_share_the_experiment_name(tmp_path):
    cfg = Config(dict(a=dict(b=1)))
    runner = Runner(model=ToyModel(), work_dir=str(tmp_path), cfg=cfg, log_level='WARNING',
                    experiment_name='audit2_names')
    cfg.a.b = 2
    assert runner.cfg.a.b == 1
    name = runner.experiment_name
    assert MMLogger.get_current_instance().instance_name == name
    assert MessageHub.get_current_instance().instance_name == name
    assert runner.visualizer.instance_name == name
    assert DefaultScope.get_current_instance().instance_name == name
    assert DefaultScope.get_current_instance().scope_name == 'engine'
    assert runner.default_scope is DefaultScope.get_current_instance()
    assert Runner(model=ToyModel(), work_dir=str(tmp_path), cfg=dict(a=1),
                  log_level='WARNING').cfg.a == 1
    assert Runner(model=ToyModel(), work_dir=str(tmp_path), log_level='WARNING').cfg == {}


def test_registry_statistics_are_dumped_and_logged_at_debug(tmp_path):
    runner = Runner(model=ToyModel(), work_dir=str(tmp_path), log_level='DEBUG')
    with open(tmp_path / 'modules_statistic_results.json') as f:
        stats = json.load(f)
    hooks = stats['registries']['HOOKS'][0]
    assert 'LoggerHook' in [name for names in hooks.values() if isinstance(names, list)
                            for name in names]
    with open(osp.join(runner.log_dir, f'{runner.timestamp}.log')) as f:
        log = f.read()
    assert ' - DEBUG - ' in log and 'scan_date' in log


# ----------------------------------------------------------------- RUN-03
def test_group_errors_name_every_part_and_its_value(tmp_path):
    with pytest.raises(ValueError, match=r'train_dataloader, train_cfg, optim_wrapper should '
                                         r'be either all None or not None.*train_cfg=None'):
        Runner(**toy_runner_cfg(tmp_path, train_cfg=None))
    # a loop config or an evaluator without its loader is an error (C4 leniency is only
    # for loader + evaluator without a cfg)
    with pytest.raises(ValueError, match='val_dataloader=None'):
        Runner(**toy_runner_cfg(tmp_path, val_dataloader=None))
    with pytest.raises(ValueError, match='test_evaluator=None'):
        Runner(**toy_runner_cfg(tmp_path, test_evaluator=None))
    with pytest.raises(ValueError, match='test_dataloader=None'):
        Runner(**toy_runner_cfg(tmp_path, test_dataloader=None, test_evaluator=None))


def test_loader_and_evaluator_without_a_loop_cfg_get_the_default_loop(tmp_path):
    runner = Runner(**toy_runner_cfg(tmp_path, val_cfg=None, test_cfg=None))
    assert set(runner.val()) == set(runner.test()) == {'acc', 'mse'}


@pytest.mark.parametrize('scheduler', [
    dict(type='MultiStepLR', milestones=[1]),
    [dict(type='MultiStepLR', milestones=[1]), dict(type='StepLR', step_size=1)],
    dict(a=dict(type='MultiStepLR', milestones=[1]), b=[dict(type='StepLR', step_size=1)]),
])
def test_param_scheduler_shapes_accepted(tmp_path, scheduler):
    Runner(**toy_runner_cfg(tmp_path, param_scheduler=scheduler))


@pytest.mark.parametrize('scheduler,error', [
    ('MultiStepLR', TypeError),
    ([3], TypeError),
    (dict(a=3), TypeError),
    (dict(a=[dict(milestones=[1])]), AssertionError),
])
def test_param_scheduler_shapes_rejected(tmp_path, scheduler, error):
    with pytest.raises(error):
        Runner(**toy_runner_cfg(tmp_path, param_scheduler=scheduler))


# ----------------------------------------------------------------- RUN-05
def test_from_cfg_defaults_for_absent_keys(tmp_path):
    class Recording(Runner):
        seen: dict = {}

        def setup_env(self, env_cfg):
            Recording.seen['env_cfg'] = env_cfg
            super().setup_env(env_cfg)

    runner = Recording.from_cfg(dict(model=dict(type='ToyModel'), work_dir=str(tmp_path),
                                     log_level='WARNING'))
    assert type(runner) is Recording  # from_cfg builds the class it is called on
    assert Recording.seen['env_cfg'] == dict(dist_cfg=dict(backend='nccl'))  # C11
    assert runner.launcher == 'none' and runner.distributed is False
    assert runner._resume is False and runner._load_from is None
    assert isinstance(runner.seed, int)
    assert DefaultScope.get_current_instance().scope_name == 'engine'
    assert Runner.build_from_cfg.__func__ is Runner.from_cfg.__func__


def test_from_cfg_copies_the_config_and_passes_it_as_cfg(tmp_path):
    cfg = Config(dict(model=dict(type='ToyModel'), work_dir=str(tmp_path),
                      log_level='WARNING', custom_key=dict(x=1)))
    runner = Runner.from_cfg(cfg)
    assert runner.cfg.custom_key.x == 1
    cfg.custom_key.x = 2
    assert runner.cfg.custom_key.x == 1
    assert 'data_preprocessor' not in cfg.model  # the caller's model dict is untouched


# ----------------------------------------------------------------- RUN-06
def test_experiment_name_and_log_dir(tmp_path):
    runner = Runner(model=ToyModel(), work_dir=str(tmp_path), log_level='WARNING',
                    experiment_name='audit2_exp')
    assert runner.experiment_name.startswith('audit2_exp_' + runner.timestamp)
    assert runner.log_dir == osp.join(str(tmp_path), runner.timestamp)
    assert osp.isdir(runner.log_dir)
    import re
    assert re.fullmatch(r'\d{8}_\d{6}', runner.timestamp)


def test_a_failed_construction_leaves_no_name_clash_for_the_next_runner(tmp_path, monkeypatch):
    import time
    monkeypatch.setattr(time, 'time', lambda: 1764400000.0)  # both in the same second
    with pytest.raises(TypeError, match='window_sise'):
        Runner(model=ToyModel(), work_dir=str(tmp_path), log_level='WARNING',
               experiment_name='clash', log_processor=dict(window_sise=5))
    runner = Runner(model=ToyModel(), work_dir=str(tmp_path), log_level='WARNING',
                    experiment_name='clash')
    # the failed one got as far as the registry scope named after the experiment
    assert runner.experiment_name == f'clash_{runner.timestamp}_1'
    assert runner.message_hub.instance_name == runner.experiment_name


def test_experiment_name_from_the_config_file_name(tmp_path):
    path = tmp_path / 'my_config.py'
    path.write_text(f"model = dict(type='ToyModel')\nwork_dir = {str(tmp_path / 'w')!r}\n"
                    "log_level = 'WARNING'\n")
    runner = Runner.from_cfg(Config.fromfile(str(path)))
    assert runner.experiment_name.startswith('my_config_' + runner.timestamp)
    assert osp.isfile(tmp_path / 'w' / 'my_config.py')  # RUN-34: dumped under its name


# ------------------------------------------------------------ RUN-07 / 08
def test_setup_env_cudnn_benchmark_and_deterministic_wins(tmp_path):
    before = torch.backends.cudnn.benchmark
    try:
        Runner(model=ToyModel(), work_dir=str(tmp_path), log_level='WARNING',
               env_cfg=dict(cudnn_benchmark=True))
        assert torch.backends.cudnn.benchmark is True
        runner = Runner(model=ToyModel(), work_dir=str(tmp_path), log_level='WARNING',
                        env_cfg=dict(cudnn_benchmark=True),
                        randomness=dict(seed=42, deterministic=True))
        assert torch.backends.cudnn.benchmark is False
        assert torch.backends.cudnn.deterministic is True
        assert torch.are_deterministic_algorithms_enabled()
        assert runner.seed == 42 and runner.deterministic is True
        assert torch.initial_seed() == 42
    finally:
        torch.use_deterministic_algorithms(False)
        torch.backends.cudnn.deterministic = False
        torch.backends.cudnn.benchmark = before


def test_setup_env_raises_the_open_file_limit(tmp_path):
    resource = pytest.importorskip('resource')
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = min(soft + 16, hard) if hard != resource.RLIM_INFINITY else soft + 16
    try:
        Runner(model=ToyModel(), work_dir=str(tmp_path), log_level='WARNING',
               env_cfg=dict(resource_limit=target))
        assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] == max(target, soft)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_random_seed_drawn_when_none_and_diff_rank_seed(tmp_path):
    runner = Runner(model=ToyModel(), work_dir=str(tmp_path), log_level='WARNING')
    assert isinstance(runner.seed, int) and runner.deterministic is False
    assert torch.initial_seed() == runner.seed
    # one process is rank 0: diff_rank_seed adds 0
    runner = Runner(model=ToyModel(), work_dir=str(tmp_path), log_level='WARNING',
                    randomness=dict(seed=5, diff_rank_seed=True))
    assert runner.seed == 5
    assert set_random_seed(7) == 7 and torch.initial_seed() == 7
    assert isinstance(set_random_seed(), int)
    assert set_random_seed(np.int64(9)) == 9 and type(set_random_seed(np.int64(9))) is int
    with pytest.raises(TypeError, match="seed should be an int or None, but got '42'"):
        Runner(model=ToyModel(), work_dir=str(tmp_path), randomness=dict(seed='42'))


def test_environment_log_block(tmp_path):
    runner = Runner(model=ToyModel(), work_dir=str(tmp_path), log_level='INFO',
                    env_cfg=dict(dist_cfg=dict(backend='gloo')), cfg=dict(marker=123),
                    randomness=dict(seed=3, diff_rank_seed=False))
    with open(osp.join(runner.log_dir, f'{runner.timestamp}.log')) as f:
        log = f.read()
    block = log[log.index('-' * 60):]
    for line in ('System environment:', '    sys.platform: ', '    Python: ',
                 'Runtime environment:', "    dist_cfg: {'backend': 'gloo'}", '    seed: 3',
                 '    diff_rank_seed: False', '    Distributed launcher: none',
                 '    Distributed training: False', '    GPU number: 1'):
        assert line in block, line
    assert block.index('System environment:') < block.index('Runtime environment:')
    assert 'Config:\nmarker = 123' in log


# ------------------------------------------------------------ RUN-10..12
def test_build_logger_message_hub_and_visualizer_defaults(tmp_path):
    runner = Runner(model=ToyModel(), work_dir=str(tmp_path), log_level='WARNING')
    assert runner.logger.instance_name == runner.experiment_name
    assert runner.logger.name == 'mmengine'
    assert osp.isfile(osp.join(runner.log_dir, f'{runner.timestamp}.log'))
    other = runner.build_logger(name='audit2_other_logger', log_level='ERROR',
                                log_file=str(tmp_path / 'other.log'))
    assert isinstance(other, MMLogger) and other.instance_name == 'audit2_other_logger'

    hub = runner.build_message_hub(dict(name='audit2_hub'))
    assert isinstance(hub, MessageHub) and hub.instance_name == 'audit2_hub'
    assert runner.message_hub.instance_name == runner.experiment_name
    with pytest.raises(TypeError, match='message_hub'):
        runner.build_message_hub('hub')

    vis = runner.visualizer
    assert vis.instance_name == runner.experiment_name
    assert vis._vis_backends and type(next(iter(vis._vis_backends.values()))).__name__ \
        == 'LocalVisBackend'
    built = runner.build_visualizer(dict(type='Visualizer', name='audit2_vis'))
    assert isinstance(built, Visualizer) and built.instance_name == 'audit2_vis'
    assert runner.build_visualizer(built) is built
    with pytest.raises(TypeError, match='visualizer'):
        runner.build_visualizer(['Visualizer'])


def test_visualizer_dict_gets_the_log_dir_as_save_dir(tmp_path):
    runner = Runner(model=ToyModel(), work_dir=str(tmp_path), log_level='WARNING',
                    visualizer=dict(type='Visualizer',
                                    vis_backends=[dict(type='LocalVisBackend')]))
    assert runner.visualizer.instance_name == runner.experiment_name
    runner.visualizer.add_scalars(dict(a=1.0), step=1)
    assert osp.isfile(osp.join(runner.log_dir, 'vis_data', 'scalars.json'))


# ------------------------------------------------------------ RUN-13 / 14
def test_build_model_forms(tmp_path):
    runner = Runner(model=ToyModel(), work_dir=str(tmp_path), log_level='WARNING')
    module = nn.Linear(1, 1)
    assert runner.build_model(module) is module
    assert isinstance(runner.build_model(dict(type='ToyModel')), ToyModel)
    with pytest.raises(TypeError, match='nn.Module'):
        runner.build_model('ToyModel')
    assert runner.model_name == 'ToyModel'


def test_wrap_model_without_distribution_reverts_sync_bn(tmp_path):
    model = nn.Sequential(nn.Linear(2, 2), nn.SyncBatchNorm(2))
    runner = Runner(model=model, work_dir=str(tmp_path), log_level='INFO')
    assert not any(isinstance(m, nn.SyncBatchNorm) for m in runner.model.modules())
    assert any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in runner.model.modules())
    with open(osp.join(runner.log_dir, f'{runner.timestamp}.log')) as f:
        assert 'Distributed training is not used, all SyncBatchNorm (SyncBN) layers' in f.read()


def test_wrap_model_returns_a_wrapper_and_refuses_a_second_wrapper_config(tmp_path):
    runner = Runner(model=ToyModel(), work_dir=str(tmp_path), log_level='WARNING')
    wrapped = nn.DataParallel(ToyModel())
    assert runner.wrap_model(None, wrapped) is wrapped
    with pytest.raises(TypeError, match='model_wrapper_cfg'):
        runner.wrap_model(dict(type='MMDistributedDataParallel'), wrapped)
    runner = Runner(model=wrapped, work_dir=str(tmp_path), log_level='WARNING')
    assert runner.model is wrapped and runner.model_name == 'ToyModel'


# ----------------------------------------------------------------- RUN-15
@DATA_SAMPLERS.register_module(force=True)
class Audit2BatchSampler(BatchSampler):
    def __init__(self, sampler, batch_size, drop_last=True):
        super().__init__(sampler, batch_size, drop_last)


def test_build_dataloader_seeds_sampler_and_workers(tmp_path):
    loader = Runner.build_dataloader(
        dict(dataset=dict(type='ToyDataset', size=10),
             sampler=dict(type='DefaultSampler', shuffle=True), batch_size=4,
             num_workers=0, drop_last=True), seed=11)
    assert isinstance(loader.sampler, DefaultSampler) and loader.sampler.seed == 11
    assert loader.drop_last is True and len(loader) == 2
    assert loader.worker_init_fn.keywords['seed'] == 11
    # diff_rank_seed: the sampler draws its own (shared) seed, workers keep the rank seed
    loader = Runner.build_dataloader(
        dict(dataset=dict(type='ToyDataset', size=10),
             sampler=dict(type='DefaultSampler', shuffle=True), batch_size=4),
        seed=11, diff_rank_seed=True)
    assert loader.sampler.seed != 11 or loader.sampler.seed is None
    assert Runner.build_dataloader(
        dict(dataset=ToyDataset(4), batch_size=2)).worker_init_fn is None


def test_build_dataloader_batch_sampler_and_collate_fn(tmp_path):
    loader = Runner.build_dataloader(dict(
        dataset=dict(type='ToyDataset', size=10),
        sampler=dict(type='DefaultSampler', shuffle=False),
        batch_sampler=dict(type='Audit2BatchSampler'), batch_size=3,
        collate_fn=dict(type='default_collate')))
    assert isinstance(loader.batch_sampler, Audit2BatchSampler)
    assert loader.batch_sampler.batch_size == 3 and len(loader) == 3  # 10 // 3, drop_last
    batch = next(iter(loader))
    assert isinstance(batch['inputs'], torch.Tensor) and batch['inputs'].shape == (3, 2)
    with pytest.raises(KeyError, match='no_such_collate'):
        Runner.build_dataloader(dict(dataset=ToyDataset(4),
                                     collate_fn=dict(type='no_such_collate')))


def test_build_dataloader_takes_a_collate_function_itself_and_needs_a_dataset():
    def first_only(batch):
        return batch[0]

    loader = Runner.build_dataloader(dict(dataset=ToyDataset(4), batch_size=2,
                                          collate_fn=first_only))
    assert loader.collate_fn is first_only
    assert set(next(iter(loader))) == {'inputs', 'data_samples'}  # one sample, as collated
    with pytest.raises(TypeError, match='collate_fn should be a dict or callable'):
        Runner.build_dataloader(dict(dataset=ToyDataset(4), collate_fn='default_collate'))
    with pytest.raises(KeyError, match=r"`dataset` key, got keys \['batch_size', 'sampler'\]"):
        Runner.build_dataloader(dict(batch_size=2, sampler=dict(type='DefaultSampler')))
    with pytest.raises(TypeError, match=r"dataloader config: 'num_worker' is not an argument "
                                        r"of DataLoader \(it takes batch_size, .*\)\. Did you "
                                        r"mean 'num_workers'\?"):
        Runner.build_dataloader(dict(dataset=ToyDataset(4), batch_size=2, num_worker=0))


# ----------------------------------------------------------------- RUN-16
def test_build_train_loop_with_type_and_default_args(tmp_path):
    runner = Runner(**toy_runner_cfg(tmp_path))
    loop = runner.build_train_loop(dict(type='EpochBasedTrainLoop', max_epochs=2))
    assert loop.max_epochs == 2 and loop.runner is runner
    assert isinstance(loop.dataloader, DataLoader)
    assert runner.build_train_loop(loop) is loop


def test_train_cfg_errors_are_told_apart_from_the_dataloaders(tmp_path):
    cfg = toy_runner_cfg(tmp_path, train_cfg=dict(by_epoch=True, max_epochs=2,
                                                  val_intervall=1))
    with pytest.raises(TypeError, match="invalid train_cfg for EpochBasedTrainLoop: got an "
                                        "unexpected keyword argument 'val_intervall'"):
        Runner(**cfg).train()
    # a misspelled dataset field surfaces while the loop builds its dataloader: named as such
    cfg = toy_runner_cfg(tmp_path, train_dataloader=dict(
        dataset=dict(type='ToyDataset', sise=3), sampler=dict(type='DefaultSampler'),
        batch_size=2))
    with pytest.raises(TypeError) as info:
        Runner(**cfg).train()
    assert 'train_cfg' not in str(info.value)
    assert "class `ToyDataset`" in str(info.value) and "Did you mean 'size'?" in str(info.value)


def test_loop_cfg_randomness_and_log_processor_errors_name_their_option(tmp_path):
    runner = Runner(**toy_runner_cfg(tmp_path, val_cfg=dict(fp17=True)))
    with pytest.raises(TypeError, match="invalid val_cfg for ValLoop: got an unexpected "
                                        "keyword argument 'fp17'"):
        runner.val()
    runner = Runner(**toy_runner_cfg(tmp_path, test_cfg=dict(fp17=True)))
    with pytest.raises(TypeError, match="invalid test_cfg for TestLoop"):
        runner.test()
    with pytest.raises(TypeError, match="invalid randomness for set_randomness: got an "
                                        "unexpected keyword argument 'sead'"):
        Runner(**toy_runner_cfg(tmp_path, randomness=dict(sead=1)))
    with pytest.raises(TypeError, match=r"LogProcessor accepts: window_size, by_epoch, "
                                        r"custom_cfg, num_digits\. Did you mean 'window_size'"):
        Runner(**toy_runner_cfg(tmp_path, log_processor=dict(window_sise=5)))


# ----------------------------------------------------------------- RUN-18
def test_build_evaluator_with_a_class_as_type(tmp_path):
    runner = Runner(**toy_runner_cfg(tmp_path))
    evaluator = runner.build_evaluator(dict(type=ToyMetric))
    assert isinstance(evaluator.metrics[0], ToyMetric)
    built = Evaluator([ToyMetric()])
    assert runner.build_evaluator(built) is built


# ----------------------------------------------------------------- RUN-19
def test_build_optim_wrapper_from_constructor_and_amp_types(tmp_path):
    runner = Runner(**toy_runner_cfg(tmp_path))
    wrapper = runner.build_optim_wrapper(dict(type='OptimWrapper',
                                              optimizer=dict(type='SGD', lr=0.01)))
    assert type(wrapper) is OptimWrapper and wrapper.optimizer.defaults['lr'] == 0.01
    assert repr(wrapper).startswith('Type: OptimWrapper\n')
    wrapper = runner.build_optim_wrapper(dict(
        constructor='DefaultOptimWrapperConstructor', optimizer=dict(type='SGD', lr=0.02)))
    assert wrapper.optimizer.defaults['lr'] == 0.02


# ----------------------------------------------------------------- RUN-20
def test_build_param_scheduler_single_and_several_optimizers(tmp_path):
    runner = Runner(**toy_runner_cfg(tmp_path, train_cfg=dict(by_epoch=True, max_epochs=3)))
    with pytest.raises(AssertionError, match='build_optim_wrapper'):
        runner.build_param_scheduler(dict(type='MultiStepLR', milestones=[1]))
    runner.optim_wrapper = runner.build_optim_wrapper(dict(optimizer=dict(type='SGD', lr=0.1)))
    schedulers = runner.build_param_scheduler(
        [dict(type='MultiStepLR', milestones=[1, 2]), dict(type='StepLR', step_size=1)])
    assert [type(s).__name__ for s in schedulers] == ['MultiStepLR', 'StepLR']
    # a config without `end` spans the training (max_epochs, or max_iters by iteration)
    assert schedulers[0].end == 3
    by_iter = runner.build_param_scheduler(dict(type='LinearLR', by_epoch=False))
    assert by_iter[0].end == 18
    # convert_to_iter_based needs the epoch length: the train loop is built for it
    converted = runner.build_param_scheduler(
        dict(type='LinearLR', start_factor=0.5, end=2, convert_to_iter_based=True))
    assert converted[0].by_epoch is False and converted[0].end == 12
    with pytest.raises(TypeError, match='scheduler'):
        runner.build_param_scheduler([3])

    model = runner.model
    runner.optim_wrapper = OptimWrapperDict(
        a=OptimWrapper(torch.optim.SGD(model.linear1.parameters(), lr=0.1)),
        b=OptimWrapper(torch.optim.SGD(model.linear2.parameters(), lr=0.1)))
    shared = runner.build_param_scheduler(dict(type='MultiStepLR', milestones=[1]))
    assert set(shared) == {'a', 'b'} and all(len(v) == 1 for v in shared.values())
    own = runner.build_param_scheduler(dict(a=dict(type='MultiStepLR', milestones=[1]),
                                            b=[dict(type='StepLR', step_size=1),
                                               dict(type='StepLR', step_size=2)]))
    assert [type(s).__name__ for s in own['b']] == ['StepLR', 'StepLR']
    assert own['a'][0].optimizer is runner.optim_wrapper['a']


# ----------------------------------------------------------------- RUN-21
def test_scale_lr_is_a_no_op_unless_enabled_and_refuses_built_schedulers(tmp_path, caplog):
    runner = Runner(**_train_only(tmp_path, param_scheduler=None))
    runner.optim_wrapper = runner.build_optim_wrapper(runner.optim_wrapper)
    runner.scale_lr(runner.optim_wrapper, None)
    runner.scale_lr(runner.optim_wrapper, dict(base_batch_size=2, enable=False))
    assert runner.optim_wrapper.get_lr()['lr'] == [0.05]
    runner.scale_lr(runner.optim_wrapper, dict(base_batch_size=2, enable=True))
    assert runner.optim_wrapper.get_lr()['lr'] == [pytest.approx(0.1)]  # batch 4 / base 2
    runner.param_schedulers = runner.build_param_scheduler(dict(type='MultiStepLR',
                                                                milestones=[1]))
    with pytest.raises(RuntimeError, match='before building ParamScheduler'):
        runner.scale_lr(runner.optim_wrapper, dict(base_batch_size=2, enable=True))


def test_scale_lr_logs_the_ratio(tmp_path):
    runner = Runner(**_train_only(tmp_path, param_scheduler=None, log_level='INFO',
                                  auto_scale_lr=dict(base_batch_size=16, enable=True)))
    runner.train()
    with open(osp.join(runner.log_dir, f'{runner.timestamp}.log')) as f:
        assert ('LR is set based on batch size of 16 and the current batch size is 4. '
                'Scaling the original LR by 0.25.') in f.read()


# ----------------------------------------------------------------- RUN-22
@LOG_PROCESSORS.register_module(force=True)
class Audit2LogProcessor(LogProcessor):
    pass


def test_build_log_processor_forms(tmp_path):
    runner = Runner(model=ToyModel(), work_dir=str(tmp_path), log_level='WARNING',
                    log_processor=dict(window_size=20))
    assert type(runner.log_processor) is LogProcessor and runner.log_processor.window_size == 20
    assert type(runner.build_log_processor(dict(type='Audit2LogProcessor'))) \
        is Audit2LogProcessor
    processor = LogProcessor()
    assert runner.build_log_processor(processor) is processor
    with pytest.raises(TypeError, match='log_processor'):
        runner.build_log_processor('LogProcessor')
    assert Runner(model=ToyModel(), work_dir=str(tmp_path),
                  log_level='WARNING').log_processor.window_size == 10


# ----------------------------------------------------------------- RUN-36
def test_properties_before_and_after_building(tmp_path):
    runner = Runner(**toy_runner_cfg(tmp_path, train_cfg=dict(by_epoch=True, max_epochs=3,
                                                             val_begin=2, val_interval=1)))
    assert (runner.launcher, runner.distributed, runner.rank, runner.world_size) == \
        ('none', False, 0, 1)
    assert runner.epoch == 0 and runner.iter == 0
    assert runner.max_epochs == 3 and runner.max_iters == 18
    assert runner.val_begin == 2 and runner.val_interval == 1
    assert isinstance(runner.hooks, list) and all(isinstance(h, Hook) for h in runner.hooks)
    assert runner.auto_scale_lr is None
    test_only = Runner(model=ToyModel(), work_dir=str(tmp_path), log_level='WARNING')
    assert (test_only.epoch, test_only.iter, test_only.max_epochs, test_only.max_iters) == \
        (0, 0, 0, 0)
    assert test_only.train_loop is None and test_only.val_loop is None
    assert test_only.test_loop is None and test_only.optim_wrapper is None
    assert test_only.param_schedulers is None


def test_counters_follow_whatever_train_loop_is_assigned(tmp_path):
    runner = Runner(**toy_runner_cfg(tmp_path))
    assert isinstance(runner._train_loop, dict)
    assert runner.iter == 0 and isinstance(runner._train_loop, BaseLoop)  # reading built it
    first = runner.train_loop
    first._iter, first._epoch = 7, 1
    assert (runner.iter, runner.epoch) == (7, 1)
    # a loop (or a config) assigned by hand is what the counters read from then on
    runner._train_loop = runner.build_train_loop(dict(by_epoch=False, max_iters=40))
    assert (runner.iter, runner.epoch, runner.max_iters) == (0, 0, 40)
    runner._train_loop = dict(by_epoch=True, max_epochs=2)
    assert runner.max_epochs == 2 and runner.max_iters == 12
    assert isinstance(runner._train_loop, BaseLoop)
    runner._train_loop = None
    assert (runner.iter, runner.epoch, runner.max_iters, runner.max_epochs) == (0, 0, 0, 0)


# ----------------------------------------------------------------- RUN-37
def test_compatibility_names_of_the_doc_examples(tmp_path):
    runner = Runner(**toy_runner_cfg(
        tmp_path, default_hooks=dict(logger=dict(type='TextLoggerHook', interval=5)),
        optim_wrapper=dict(type='OptimizerWrapper', optimizer=dict(type='SGD', lr=0.01))))
    assert any(type(h) is LoggerHook and h.interval == 5 for h in runner.hooks)
    runner.train()
    assert type(runner.optim_wrapper) is OptimWrapper


def test_top_level_reexports_when_the_meta_package_is_installed():
    engine = pytest.importorskip('engine')
    if not hasattr(engine, '__getattr__'):
        pytest.skip('the engine meta-package is not installed')
    from engine.config import Config as ConfigClass
    assert engine.Runner is Runner and engine.MessageHub is MessageHub
    assert engine.Hook is Hook and engine.Config is ConfigClass


def test_logging_reaches_the_runner_log_from_lower_layers(tmp_path):
    runner = Runner(model=ToyModel(), work_dir=str(tmp_path), log_level='INFO')
    logging.getLogger('engine.audit2.lower_layer').warning('lower layer says hi')
    for handler in logging.getLogger('engine').handlers + runner.logger.handlers:
        handler.flush()
    with open(osp.join(runner.log_dir, f'{runner.timestamp}.log')) as f:
        assert 'lower layer says hi' in f.read()
    assert os.listdir(runner.log_dir)


# ------------------------------------------------- message fragments (RUN-03..29)
def test_error_messages_keep_the_reference_fragments(tmp_path):
    """Code written against the reference matches on these fragments."""
    with pytest.raises(ValueError, match='either all None or not None'):
        Runner(**toy_runner_cfg(tmp_path, val_cfg=None, val_evaluator=None))
    with pytest.raises(ValueError, match='should be None'):
        Runner(**toy_runner_cfg(tmp_path, train_dataloader=None, train_cfg=None,
                                optim_wrapper=None))
    with pytest.raises(AssertionError, match='Each value of `param_scheduler`') as info:
        Runner(**toy_runner_cfg(tmp_path, param_scheduler=dict(linear1='error_type')))
    assert isinstance(info.value, TypeError)  # the spec's type for a wrong shape, too
    with pytest.raises(TypeError, match='`param_scheduler` should be a'):
        Runner(**toy_runner_cfg(tmp_path, param_scheduler='error_type'))
    with pytest.raises(AssertionError, match='Each parameter scheduler should contain the key'):
        Runner(**toy_runner_cfg(tmp_path, param_scheduler=[dict(milestones=[1])]))

    runner = Runner(**toy_runner_cfg(tmp_path))
    for build, fragment in ((runner.build_model, 'model should be'),
                            (runner.build_message_hub, 'message_hub should be'),
                            (runner.build_visualizer, 'visualizer should be'),
                            (runner.build_log_processor, 'log_processor should be'),
                            (runner.build_train_loop, 'train_loop should be'),
                            (runner.build_val_loop, 'val_loop should be'),
                            (runner.build_test_loop, 'test_loop should be'),
                            (runner.build_optim_wrapper, 'optimizer wrapper should be'),
                            (runner.register_hook, 'hook should be an instance of Hook or dict')):
        with pytest.raises(TypeError, match=fragment):
            build(['invalid-type'])
    with pytest.raises(TypeError, match='evaluator should be'):
        runner.build_evaluator(ToyMetric())  # a metric alone is not an evaluator
    with pytest.raises(TypeError, match=r'a metric object goes in a list, \[metric\], or '
                                        r'Evaluator\(metric\)'):
        runner.build_evaluator(ToyMetric())
    with pytest.raises(AssertionError, match=r'ToyMetric is a metric class; pass '
                                             r'dict\(type=ToyMetric\)'):
        Runner(**toy_runner_cfg(tmp_path, val_evaluator=ToyMetric)).val()
    assert isinstance(runner.build_evaluator([ToyMetric()]), Evaluator)  # the way it says
    wrapper = OptimWrapper(torch.optim.SGD(runner.model.parameters(), lr=0.1))
    with pytest.raises(ValueError, match='each item mush be an optimizer object'):
        runner.build_optim_wrapper(dict(key1=wrapper, key2=dict(
            type='OptimWrapper', optimizer=dict(type='Adam', lr=0.01))))
    # mmcv's `optimizer=dict(type='SGD', ...)` moved into optim_wrapper without its level
    with pytest.raises(ValueError, match=r"'SGD' is an optimizer, which goes inside the "
                                         r"wrapper: optim_wrapper=dict\(optimizer=dict\("
                                         r"type='SGD', lr=0.1, momentum=0.9\)\)"):
        runner.build_optim_wrapper(dict(type='SGD', lr=0.1, momentum=0.9))
    with pytest.raises(ValueError, match="of type 'AmpOptimWrapper' needs an `optimizer` key"):
        runner.build_optim_wrapper(dict(type='AmpOptimWrapper', loss_scale='dynamic'))
    with pytest.raises(TypeError, match='collate_fn should be a dict or callable object'):
        Runner.build_dataloader(dict(dataset=ToyDataset(4), collate_fn='collate_fn'))

    with pytest.raises(TypeError, match='work_dir should be a path'):
        Runner(model=ToyModel(), work_dir=None)
    bare = Runner(model=ToyModel(), work_dir=str(tmp_path), log_level='WARNING')
    for run in (bare.train, bare.val, bare.test):
        with pytest.raises(RuntimeError, match='should not be None'):
            run()


@HOOKS.register_module(force=True)
class Audit2AboveNormalHook(Hook):
    def before_run(self, runner):
        pass


def test_get_hooks_info_names_priorities_per_point(tmp_path):
    runner = Runner(**toy_runner_cfg(tmp_path, custom_hooks=[
        dict(type='Audit2AboveNormalHook', priority=55)]))
    info = runner.get_hooks_info()
    assert ('after_train_iter:\n'
            '(VERY_HIGH   ) RuntimeInfoHook                    \n'
            '(NORMAL      ) IterTimerHook                      \n'
            '(BELOW_NORMAL) LoggerHook                         \n'
            '(LOW         ) ParamSchedulerHook                 \n'
            '(VERY_LOW    ) CheckpointHook                     \n') in info
    assert '(55          ) Audit2AboveNormalHook' in info


def test_default_scope_selects_a_child_registry_and_none_leaves_it(tmp_path):
    from engine.optim import MultiStepLR
    from engine.registry import PARAM_SCHEDULERS, Registry

    toy_schedulers = Registry('parameter scheduler', parent=PARAM_SCHEDULERS, scope='audit2')

    @toy_schedulers.register_module(force=True)
    class Audit2Scheduler(MultiStepLR):
        pass

    runner = Runner(**_train_only(tmp_path, default_scope='audit2', log_level='ERROR',
                                  param_scheduler=dict(type='Audit2Scheduler',
                                                       milestones=[1])))
    runner.train()
    assert type(runner.param_schedulers[0]) is Audit2Scheduler
    runner = Runner(model=ToyModel(), work_dir=str(tmp_path), default_scope=None,
                    log_level='WARNING')
    assert runner.default_scope is None
    assert DefaultScope.get_current_instance().scope_name == 'audit2'  # left as it was
    DefaultScope.get_instance(f'audit2_back_{id(runner)}', scope_name='engine')  # for later tests
