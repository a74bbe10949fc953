"""engine.registry: registries, default scopes and build functions."""

__version__ = "0.1.0"

from .build_functions import (
                              build_from_cfg,
                              build_model_from_cfg,
                              build_runner_from_cfg,
                              build_scheduler_from_cfg,
)
from .default_scope import DefaultScope
from .registry import ROOT_SCOPE, ROOT_SCOPE_ALIASES, Registry, import_scope_modules
from .root import (
                              DATA_SAMPLERS,
                              DATASETS,
                              EVALUATOR,
                              HOOKS,
                              LOG_PROCESSORS,
                              LOOPS,
                              METRICS,
                              MODEL_WRAPPERS,
                              MODELS,
                              OPTIM_WRAPPER,
                              OPTIM_WRAPPER_CONSTRUCTORS,
                              OPTIM_WRAPPERS,
                              OPTIMIZERS,
                              PARAM_SCHEDULERS,
                              RUNNER_CONSTRUCTORS,
                              RUNNERS,
                              TASK_UTILS,
                              TRANSFORMS,
                              VISBACKENDS,
                              VISUALIZERS,
                              WEIGHT_INITIALIZERS,
)
from .utils import count_registered_modules, traverse_registry_tree

__all__ = [
    'Registry', 'DefaultScope', 'ROOT_SCOPE', 'ROOT_SCOPE_ALIASES', 'import_scope_modules',
    'build_from_cfg', 'build_model_from_cfg', 'build_runner_from_cfg',
    'build_scheduler_from_cfg', 'traverse_registry_tree', 'count_registered_modules',
    'RUNNERS', 'RUNNER_CONSTRUCTORS', 'LOOPS', 'HOOKS', 'DATASETS', 'DATA_SAMPLERS',
    'TRANSFORMS', 'MODELS', 'MODEL_WRAPPERS', 'WEIGHT_INITIALIZERS', 'OPTIMIZERS',
    'OPTIM_WRAPPERS', 'OPTIM_WRAPPER', 'OPTIM_WRAPPER_CONSTRUCTORS', 'PARAM_SCHEDULERS',
    'METRICS', 'EVALUATOR', 'TASK_UTILS', 'VISUALIZERS', 'VISBACKENDS', 'LOG_PROCESSORS',
]
