"""engine.optim's public names and what its import registers."""

import torch

import engine.optim as optim
import engine.optim.scheduler as scheduler
from engine.registry import (
    OPTIM_WRAPPER_CONSTRUCTORS,
    OPTIM_WRAPPERS,
    OPTIMIZERS,
    PARAM_SCHEDULERS,
)

SCHEDULER_NAMES = [
    f'{kind}{suffix}'
    for kind in ('Constant', 'CosineAnnealing', 'Exponential', 'Linear', 'MultiStep', 'Step',
                 'Poly', 'CosineRestart')
    for suffix in ('LR', 'Momentum', 'ParamScheduler')
] + ['OneCycleLR', 'OneCycleParamScheduler']


def test_public_names_pkg01_pkg02():
    assert optim.__version__ == '0.1.0'
    for name in ['OptimWrapper', 'AmpOptimWrapper', 'OptimWrapperDict',
                 'DefaultOptimWrapperConstructor', 'build_optim_wrapper', 'OPTIMIZERS',
                 'OPTIM_WRAPPER_CONSTRUCTORS', '_ParamScheduler', *SCHEDULER_NAMES]:
        assert name in optim.__all__, name
        assert hasattr(optim, name), name
    for name in ['_ParamScheduler', *SCHEDULER_NAMES]:
        assert getattr(scheduler, name) is getattr(optim, name)
    assert not hasattr(scheduler, 'OneCycleMomentum')
    for name in optim.__all__:
        assert hasattr(optim, name), name
    from engine.optim.optimizer import optimizer_wrapper  # seed module paths
    from engine.optim.scheduler import lr_scheduler, momentum_scheduler, param_scheduler
    assert optimizer_wrapper.OptimWrapper is optim.OptimWrapper
    assert issubclass(lr_scheduler.MultiStepLR, param_scheduler.MultiStepParamScheduler)
    assert issubclass(momentum_scheduler.StepMomentum, param_scheduler.StepParamScheduler)


def test_registries_pkg04():
    assert OPTIM_WRAPPERS.get('OptimWrapper') is optim.OptimWrapper
    assert OPTIM_WRAPPERS.get('AmpOptimWrapper') is optim.AmpOptimWrapper
    assert OPTIM_WRAPPERS.get('OptimWrapperDict') is None
    assert (OPTIM_WRAPPER_CONSTRUCTORS.get('DefaultOptimWrapperConstructor')
            is optim.DefaultOptimWrapperConstructor)
    for name in SCHEDULER_NAMES:
        assert PARAM_SCHEDULERS.get(name) is getattr(optim, name), name
    assert OPTIMIZERS.get('SGD') is torch.optim.SGD
    assert optim.OPTIMIZERS is OPTIMIZERS


def test_register_torch_optimizers_is_idempotent():
    assert optim.register_torch_optimizers() == optim.TORCH_OPTIMIZERS
