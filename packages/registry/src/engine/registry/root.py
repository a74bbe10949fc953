"""The root registries of engine (scope ``'engine'``).

Upper packages register their classes here (engine-optim into OPTIMIZERS,
engine-runner into HOOKS, ...); downstream libraries create children, e.g.
``Registry('model', parent=MODELS, scope='mmdet')``.
"""

from __future__ import annotations

from .build_functions import build_model_from_cfg, build_runner_from_cfg, build_scheduler_from_cfg
from .registry import ROOT_SCOPE, Registry

__all__ = [
    'RUNNERS', 'RUNNER_CONSTRUCTORS', 'LOOPS', 'HOOKS', 'DATASETS', 'DATA_SAMPLERS',
    'TRANSFORMS', 'MODELS', 'MODEL_WRAPPERS', 'WEIGHT_INITIALIZERS', 'OPTIMIZERS',
    'OPTIM_WRAPPERS', 'OPTIM_WRAPPER', 'OPTIM_WRAPPER_CONSTRUCTORS', 'PARAM_SCHEDULERS',
    'METRICS', 'EVALUATOR', 'TASK_UTILS', 'VISUALIZERS', 'VISBACKENDS', 'LOG_PROCESSORS',
    'ROOT_REGISTRY_NAMES', 'ROOT_REGISTRIES',
]

# runners, their constructors and loops
RUNNERS = Registry('runner', build_func=build_runner_from_cfg, scope=ROOT_SCOPE)
RUNNER_CONSTRUCTORS = Registry('runner constructor', scope=ROOT_SCOPE)
LOOPS = Registry('loop', scope=ROOT_SCOPE)
HOOKS = Registry('hook', scope=ROOT_SCOPE)

# data
DATASETS = Registry('dataset', scope=ROOT_SCOPE)
DATA_SAMPLERS = Registry('data sampler', scope=ROOT_SCOPE)
TRANSFORMS = Registry('transform', scope=ROOT_SCOPE)

# models
MODELS = Registry('model', build_func=build_model_from_cfg, scope=ROOT_SCOPE)
MODEL_WRAPPERS = Registry('model_wrapper', scope=ROOT_SCOPE)
WEIGHT_INITIALIZERS = Registry('weight initializer', scope=ROOT_SCOPE)

# optimization
OPTIMIZERS = Registry('optimizer', scope=ROOT_SCOPE)
OPTIM_WRAPPERS = Registry('optim_wrapper', scope=ROOT_SCOPE)
#: The tutorial's spelling (§4.3); the same registry as OPTIM_WRAPPERS.
OPTIM_WRAPPER = OPTIM_WRAPPERS
OPTIM_WRAPPER_CONSTRUCTORS = Registry('optimizer wrapper constructor', scope=ROOT_SCOPE)
PARAM_SCHEDULERS = Registry('parameter scheduler', build_func=build_scheduler_from_cfg,
                            scope=ROOT_SCOPE)

# evaluation
METRICS = Registry('metric', scope=ROOT_SCOPE)
EVALUATOR = Registry('evaluator', scope=ROOT_SCOPE)
TASK_UTILS = Registry('task util', scope=ROOT_SCOPE)

# visualization and logging
VISUALIZERS = Registry('visualizer', scope=ROOT_SCOPE)
VISBACKENDS = Registry('vis_backend', scope=ROOT_SCOPE)
LOG_PROCESSORS = Registry('log_processor', scope=ROOT_SCOPE)

#: Variable names of the 20 root registries, in declaration order.
ROOT_REGISTRY_NAMES = (
    'RUNNERS', 'RUNNER_CONSTRUCTORS', 'LOOPS', 'HOOKS', 'DATASETS', 'DATA_SAMPLERS',
    'TRANSFORMS', 'MODELS', 'MODEL_WRAPPERS', 'WEIGHT_INITIALIZERS', 'OPTIMIZERS',
    'OPTIM_WRAPPERS', 'OPTIM_WRAPPER_CONSTRUCTORS', 'PARAM_SCHEDULERS', 'METRICS',
    'EVALUATOR', 'TASK_UTILS', 'VISUALIZERS', 'VISBACKENDS', 'LOG_PROCESSORS',
)

#: ``{variable name: registry}`` for the 20 root registries.
ROOT_REGISTRIES: dict[str, Registry] = {name: globals()[name] for name in ROOT_REGISTRY_NAMES}
