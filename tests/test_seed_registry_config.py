"""The seed's Registry (§4) and Config (§5) tutorial snippets that import from the
top-level ``engine`` package (``from mmengine import Registry, MODELS, Config, optim``),
run as written with ``mmengine`` replaced by ``engine``.

The package tests (packages/registry/tests/test_registry_seed_tutorial.py,
packages/config/tests/test_config_seed_tutorial.py) run the rest of those chapters
through ``engine.registry`` / ``engine.config``; this file checks the top-level forms.
"""

from __future__ import annotations

import re

import pytest
import torch
import torch.nn as nn

import engine
from engine.registry import MODELS as ROOT_MODELS


@pytest.fixture
def restore_models():
    """§4.3 registers into the real root MODELS and adds children: undo it.

    It also runs without a current default scope, as the seed's snippet does
    in a fresh interpreter (a Runner made earlier leaves 'engine' current).
    """
    from engine.registry import DefaultScope

    modules, children = dict(ROOT_MODELS.module_dict), dict(ROOT_MODELS.children)
    scopes = dict(DefaultScope._instance_dict)
    DefaultScope._instance_dict.clear()
    yield
    DefaultScope._instance_dict.clear()
    DefaultScope._instance_dict.update(scopes)
    ROOT_MODELS.module_dict.clear()
    ROOT_MODELS.module_dict.update(modules)
    ROOT_MODELS.children.clear()
    ROOT_MODELS.children.update(children)


def test_top_level_names_are_the_package_objects():
    from engine import MODELS, Config, ConfigDict, DictAction, Registry, build_from_cfg
    from engine.config import Config as PackageConfig
    from engine.registry import Registry as PackageRegistry

    assert Registry is PackageRegistry and Config is PackageConfig
    assert MODELS is ROOT_MODELS
    assert ConfigDict is engine.config.ConfigDict and DictAction is engine.config.DictAction
    assert build_from_cfg is engine.registry.build_from_cfg
    for name in ('RUNNERS', 'RUNNER_CONSTRUCTORS', 'LOOPS', 'HOOKS', 'DATASETS',
                 'DATA_SAMPLERS', 'TRANSFORMS', 'MODELS', 'MODEL_WRAPPERS',
                 'WEIGHT_INITIALIZERS', 'OPTIMIZERS', 'OPTIM_WRAPPERS',
                 'OPTIM_WRAPPER_CONSTRUCTORS', 'PARAM_SCHEDULERS', 'METRICS', 'EVALUATOR',
                 'TASK_UTILS', 'VISUALIZERS', 'VISBACKENDS', 'LOG_PROCESSORS', 'DefaultScope',
                 'count_registered_modules', 'ManagerMixin'):
        assert getattr(engine, name) is not None, name


def test_4_2_registry_from_top_level(capsys):
    from engine import Registry

    # scope 表示注册器的作用域，如果不设置，默认为包名
    ACTIVATION = Registry('activation', scope='engine')

    @ACTIVATION.register_module()
    class Sigmoid(nn.Module):
        def __init__(self):
            super().__init__()

        def forward(self, x):
            print('call Sigmoid.forward')
            return x

    input = torch.randn(2)
    act_cfg = dict(type='Sigmoid')
    activation = ACTIVATION.build(act_cfg)
    output = activation(input)
    print(output)
    assert capsys.readouterr().out.startswith('call Sigmoid.forward\ntensor(')
    # a registry created in a test module infers the module's top-level package
    assert Registry('activation').scope == __name__.split('.')[0]


def test_4_3_parent_and_sibling_from_top_level(restore_models, capsys):
    from engine import MODELS, Registry

    @MODELS.register_module()
    class RReLU(nn.Module):
        def __init__(self, lower=0.125, upper=0.333, inplace=False):
            super().__init__()
            self.lower = lower

        def forward(self, x):
            print('call RReLU.forward')
            return x

    from engine import MODELS as MMENGINE_MODELS
    from engine import Registry as Registry2
    assert Registry2 is Registry
    MODELS = Registry('model', parent=MMENGINE_MODELS, scope='mmalpha')

    from engine.registry import count_registered_modules
    result = count_registered_modules()
    out = capsys.readouterr().out
    assert re.search(r"Find \d+ modules in engine's 'model' registry", out)
    assert "Find 0 modules in mmalpha's 'model' registry" in out
    model_tree = result['registries']['MODELS']
    assert [node['scope'] for node in model_tree][:1] == ['engine']
    assert {'num_modules': 0, 'scope': 'mmalpha'} in model_tree

    @MODELS.register_module()
    class LogSoftmax(nn.Module):
        def __init__(self, dim=None):
            super().__init__()

        def forward(self, x):
            print('call LogSoftmax.forward')
            return x

    model = MODELS.build(cfg=dict(type='LogSoftmax'))
    assert isinstance(model, LogSoftmax)
    model = MODELS.build(cfg=dict(type='RReLU', lower=0.2))
    assert model.lower == 0.2
    model = MODELS.build(cfg=dict(type='engine.RReLU'))
    assert isinstance(model, RReLU)
    output = model(torch.randn(2))
    print(output)
    assert capsys.readouterr().out.startswith('call RReLU.forward\ntensor(')

    # §4.3.2: the sibling project
    MODELS_BETA = Registry('model', parent=MMENGINE_MODELS, scope='mmbeta')
    assert isinstance(MODELS_BETA.build(cfg=dict(type='mmalpha.LogSoftmax')), LogSoftmax)
    assert isinstance(MODELS_BETA.build(cfg=dict(type='LogSoftmax', _scope_='mmalpha')),
                      LogSoftmax)


def test_5_2_optimizer_from_config(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / 'config_sgd.py').write_text(
        "optimizer = dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=0.0001)\n")

    from engine import Config, optim  # noqa: F401  (as the tutorial writes it)
    from engine.registry import OPTIMIZERS

    cfg = Config.fromfile('config_sgd.py')

    model = nn.Conv2d(1, 1, 1)
    cfg.optimizer.params = model.parameters()
    optimizer = OPTIMIZERS.build(cfg.optimizer)
    print(optimizer)
    out = capsys.readouterr().out
    assert isinstance(optimizer, torch.optim.SGD)
    assert out.startswith('SGD (\nParameter Group 0\n')
    for line in ('dampening: 0', 'lr: 0.1', 'maximize: False', 'momentum: 0.9',
                 'nesterov: False', 'weight_decay: 0.0001'):
        assert line in out


def test_5_config_and_dict_action_from_top_level(tmp_path, monkeypatch, capsys):
    import argparse

    from engine import Config, DictAction

    monkeypatch.chdir(tmp_path)
    (tmp_path / 'example.py').write_text(
        "model = dict(type='CustomModel', in_channels=[1, 2, 3])\n"
        "optimizer = dict(type='SGD', lr=0.01)\n")
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args(['./example.py', '--cfg-options', 'optimizer.lr=0.1'])
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    print(cfg)
    assert capsys.readouterr().out == (
        "Config (path: ./example.py): {'model': {'type': 'CustomModel', 'in_channels': "
        "[1, 2, 3]}, 'optimizer': {'type': 'SGD', 'lr': 0.1}}\n")
