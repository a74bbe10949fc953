"""engine.optim: optimizer wrappers, their constructor and parameter schedulers.

Importing it registers every ``torch.optim`` optimizer in ``OPTIMIZERS``, the
wrappers in ``OPTIM_WRAPPERS``, the default constructor in
``OPTIM_WRAPPER_CONSTRUCTORS`` and every scheduler in ``PARAM_SCHEDULERS``.
"""

from engine.registry import OPTIM_WRAPPER_CONSTRUCTORS, OPTIM_WRAPPERS, OPTIMIZERS, PARAM_SCHEDULERS

from .optimizer import (
    TORCH_OPTIMIZERS,
    AmpOptimWrapper,
    DefaultOptimWrapperConstructor,
    OptimWrapper,
    OptimWrapperDict,
    build_optim_wrapper,
    register_torch_optimizers,
)
from .scheduler import (
    INF,
    ConstantLR,
    ConstantMomentum,
    ConstantParamScheduler,
    CosineAnnealingLR,
    CosineAnnealingMomentum,
    CosineAnnealingParamScheduler,
    CosineRestartLR,
    CosineRestartMomentum,
    CosineRestartParamScheduler,
    ExponentialLR,
    ExponentialMomentum,
    ExponentialParamScheduler,
    LinearLR,
    LinearMomentum,
    LinearParamScheduler,
    MultiStepLR,
    MultiStepMomentum,
    MultiStepParamScheduler,
    OneCycleLR,
    OneCycleParamScheduler,
    PolyLR,
    PolyMomentum,
    PolyParamScheduler,
    StepLR,
    StepMomentum,
    StepParamScheduler,
    _ParamScheduler,
)

__version__ = "0.1.0"

__all__ = [
    'OPTIMIZERS', 'OPTIM_WRAPPERS', 'OPTIM_WRAPPER_CONSTRUCTORS', 'PARAM_SCHEDULERS',
    'TORCH_OPTIMIZERS', 'AmpOptimWrapper', 'DefaultOptimWrapperConstructor',
    'OptimWrapper', 'OptimWrapperDict', 'build_optim_wrapper', 'register_torch_optimizers',
    'INF', '_ParamScheduler',
    'ConstantLR', 'CosineAnnealingLR', 'CosineRestartLR', 'ExponentialLR', 'LinearLR',
    'MultiStepLR', 'OneCycleLR', 'PolyLR', 'StepLR',
    'ConstantMomentum', 'CosineAnnealingMomentum', 'CosineRestartMomentum',
    'ExponentialMomentum', 'LinearMomentum', 'MultiStepMomentum', 'PolyMomentum',
    'StepMomentum',
    'ConstantParamScheduler', 'CosineAnnealingParamScheduler',
    'CosineRestartParamScheduler', 'ExponentialParamScheduler', 'LinearParamScheduler',
    'MultiStepParamScheduler', 'OneCycleParamScheduler', 'PolyParamScheduler',
    'StepParamScheduler',
]
