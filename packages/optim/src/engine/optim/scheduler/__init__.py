"""Parameter schedulers: generic, learning-rate and momentum variants."""

from .lr_scheduler import (
    ConstantLR,
    CosineAnnealingLR,
    CosineRestartLR,
    ExponentialLR,
    LinearLR,
    MultiStepLR,
    OneCycleLR,
    PolyLR,
    StepLR,
)
from .momentum_scheduler import (
    ConstantMomentum,
    CosineAnnealingMomentum,
    CosineRestartMomentum,
    ExponentialMomentum,
    LinearMomentum,
    MultiStepMomentum,
    PolyMomentum,
    StepMomentum,
)
from .param_scheduler import (
    INF,
    ConstantParamScheduler,
    CosineAnnealingParamScheduler,
    CosineRestartParamScheduler,
    ExponentialParamScheduler,
    LinearParamScheduler,
    MultiStepParamScheduler,
    OneCycleParamScheduler,
    PolyParamScheduler,
    StepParamScheduler,
    _ParamScheduler,
)

__all__ = [
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
