"""engine.model: modules, models, data preprocessors, weight init, EMA and wrappers."""

from typing import Any

# Not part of __all__: the DefaultScope docstring example of the manual imports the
# registry from here (`from mmengine.model import MODELS`).
from engine.registry import MODELS  # noqa: F401

from .averaged_model import (
    BaseAveragedModel,
    ExponentialMovingAverage,
    MomentumAnnealingEMA,
    StochasticWeightAverage,
)
from .base_model import BaseDataPreprocessor, BaseModel, ImgDataPreprocessor
from .base_module import BaseModule, ModuleDict, ModuleList, Sequential
from .test_time_aug import BaseTTAModel
from .utils import (
    convert_sync_batchnorm,
    detect_anomalous_params,
    merge_dict,
    revert_sync_batchnorm,
    stack_batch,
)
from .weight_init import (
    BaseInit,
    Caffe2XavierInit,
    ConstantInit,
    KaimingInit,
    NormalInit,
    PretrainedInit,
    TruncNormalInit,
    UniformInit,
    XavierInit,
    bias_init_with_prob,
    caffe2_xavier_init,
    constant_init,
    initialize,
    kaiming_init,
    normal_init,
    trunc_normal_init,
    uniform_init,
    update_init_info,
    xavier_init,
)
from .wrappers import (
    FSDP_WRAP_POLICIES,
    MMDistributedDataParallel,
    MMSeparateDistributedDataParallel,
    is_model_wrapper,
)

__all__ = [
    'BaseModule', 'ModuleList', 'ModuleDict', 'Sequential', 'BaseModel', 'BaseDataPreprocessor',
    'ImgDataPreprocessor', 'BaseTTAModel', 'BaseAveragedModel', 'ExponentialMovingAverage',
    'MomentumAnnealingEMA', 'StochasticWeightAverage', 'MMDistributedDataParallel',
    'MMSeparateDistributedDataParallel', 'MMFullyShardedDataParallel', 'FSDP_WRAP_POLICIES',
    'is_model_wrapper', 'stack_batch', 'merge_dict', 'detect_anomalous_params',
    'revert_sync_batchnorm', 'convert_sync_batchnorm', 'update_init_info', 'constant_init',
    'xavier_init', 'normal_init', 'trunc_normal_init', 'uniform_init', 'kaiming_init',
    'caffe2_xavier_init', 'bias_init_with_prob', 'BaseInit', 'ConstantInit', 'XavierInit',
    'NormalInit', 'TruncNormalInit', 'UniformInit', 'KaimingInit', 'Caffe2XavierInit',
    'PretrainedInit', 'initialize',
]


def __getattr__(name: str) -> Any:
    # torch's FSDP takes seconds to import: load the wrapper on first use only
    if name == 'MMFullyShardedDataParallel':
        from .wrappers.fully_sharded_distributed import MMFullyShardedDataParallel
        return MMFullyShardedDataParallel
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
