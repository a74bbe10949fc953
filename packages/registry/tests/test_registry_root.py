"""Root registries (ROOT-01..03) and the torch-free import guarantee."""

import subprocess
import sys

import engine.registry as registry_pkg
from engine.registry import (
    MODELS,
    OPTIM_WRAPPER,
    OPTIM_WRAPPERS,
    PARAM_SCHEDULERS,
    RUNNERS,
    Registry,
    build_from_cfg,
    build_model_from_cfg,
    build_runner_from_cfg,
    build_scheduler_from_cfg,
)

ROOT_NAMES = {
    'RUNNERS': 'runner', 'RUNNER_CONSTRUCTORS': 'runner constructor', 'LOOPS': 'loop',
    'HOOKS': 'hook', 'DATASETS': 'dataset', 'DATA_SAMPLERS': 'data sampler',
    'TRANSFORMS': 'transform', 'MODELS': 'model', 'MODEL_WRAPPERS': 'model_wrapper',
    'WEIGHT_INITIALIZERS': 'weight initializer', 'OPTIMIZERS': 'optimizer',
    'OPTIM_WRAPPERS': 'optim_wrapper',
    'OPTIM_WRAPPER_CONSTRUCTORS': 'optimizer wrapper constructor',
    'PARAM_SCHEDULERS': 'parameter scheduler', 'METRICS': 'metric', 'EVALUATOR': 'evaluator',
    'TASK_UTILS': 'task util', 'VISUALIZERS': 'visualizer', 'VISBACKENDS': 'vis_backend',
    'LOG_PROCESSORS': 'log_processor',
}


def test_twenty_root_registries_with_engine_scope_and_ref_names():
    assert len(ROOT_NAMES) == 20
    for var, name in ROOT_NAMES.items():
        reg = getattr(registry_pkg, var)
        assert isinstance(reg, Registry), var
        assert reg.name == name
        assert reg.scope == 'engine' and reg.parent is None
        assert var in registry_pkg.__all__


def test_root_build_functions():
    assert RUNNERS.build_func is build_runner_from_cfg
    assert MODELS.build_func is build_model_from_cfg
    assert PARAM_SCHEDULERS.build_func is build_scheduler_from_cfg
    for var in set(ROOT_NAMES) - {'RUNNERS', 'MODELS', 'PARAM_SCHEDULERS'}:
        assert getattr(registry_pkg, var).build_func is build_from_cfg, var
    assert OPTIM_WRAPPER is OPTIM_WRAPPERS


def test_downstream_child_inherits_build_func_and_reaches_root():
    child = Registry('model', parent=MODELS, scope='test_root_child_scope')
    try:
        assert child.build_func is build_model_from_cfg

        @MODELS.register_module(name='RootOnlyModelForTest')
        class RootOnly:
            pass

        assert isinstance(child.build(dict(type='engine.RootOnlyModelForTest')), RootOnly)
        # code written for mmengine uses the old root scope name
        assert child.get('mmengine.RootOnlyModelForTest') is RootOnly
        assert MODELS.get('mmengine.RootOnlyModelForTest') is RootOnly
    finally:
        MODELS.children.pop('test_root_child_scope')
        MODELS.module_dict.pop('RootOnlyModelForTest', None)


def test_import_loads_neither_torch_nor_numpy():
    code = ('import sys, engine.registry, engine.utils; '
            'print(sorted(m for m in ("torch", "numpy", "yaml") if m in sys.modules))')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == '[]'
