"""Build functions: turn a config dict into an object through a registry.

This module does not import ``registry.py`` (which imports it for the
default build function); registries are recognised by their interface.
"""

from __future__ import annotations

import logging
import types
from collections.abc import Mapping
from typing import Any

from engine.utils.call_arguments import accepted_arguments, did_you_mean
from engine.utils.manager import ManagerMixin

__all__ = ['build_from_cfg', 'build_model_from_cfg', 'build_runner_from_cfg',
           'build_scheduler_from_cfg']

logger = logging.getLogger(__name__)

# No double quotes here: str(KeyError) would then escape the single quotes of
# "Did you mean 'X'?", and matching on that text would fail.
_DOCS_HINT = ('More details can be found at the Registry tutorial of the engine '
              'documentation (a module is registered only once the file defining it '
              'is imported, e.g. through `custom_imports` in the config).')


def _is_cfg(obj: Any) -> bool:
    """dict, ConfigDict or Config.

    engine.config is not a dependency of engine-registry, so a Config (which
    wraps its ConfigDict rather than being a Mapping) is recognised by the
    mapping methods it offers.
    """
    if isinstance(obj, Mapping):
        return True
    return all(hasattr(obj, attr) for attr in ('keys', 'items', '__getitem__', '__contains__'))


def _is_registry(obj: Any) -> bool:
    return (hasattr(obj, 'get') and hasattr(obj, 'switch_scope_and_registry')
            and hasattr(obj, 'module_dict'))


def _as_dict(cfg: Any) -> dict:
    """A shallow plain-dict copy of ``cfg``; the caller's object is untouched."""
    return dict(cfg.items())


def _check_registry(registry: Any) -> None:
    if not _is_registry(registry):
        # The reference's wording with mmengine -> engine: code matches on it.
        raise TypeError('registry must be a engine.Registry object, '
                        f'but got {type(registry)}')


def _merge_args(cfg: Any, registry: Any, default_args: Any) -> dict:
    """Validate the inputs (in the reference's order) and merge them; cfg wins."""
    if not _is_cfg(cfg):
        raise TypeError(f'cfg should be a dict, ConfigDict or Config, but got {type(cfg)}')
    if 'type' not in cfg and (default_args is None or 'type' not in default_args):
        raise KeyError('`cfg` or `default_args` must contain the key "type", '
                       f'but got {cfg}\n{default_args}')
    _check_registry(registry)
    if not (default_args is None or _is_cfg(default_args)):
        raise TypeError('default_args should be a dict, ConfigDict, Config or None, '
                        f'but got {type(default_args)}')
    args = _as_dict(cfg)
    if default_args is not None:
        for key, value in default_args.items():
            args.setdefault(key, value)
    return args


def _resolve_type(obj_type: Any, registry: Any) -> Any:
    """Turn a ``type`` value into a class or function (BUILD-04)."""
    if isinstance(obj_type, str):
        obj_cls = registry.get(obj_type)
        if obj_cls is None:
            raise KeyError(
                f'{obj_type} is not in the {registry.name} registry. Please check whether '
                f'the value of `{obj_type}` is correct or it was registered as expected. '
                f'{_DOCS_HINT} Searched: the {registry.name} registry (scope '
                f'{registry.scope}) and its parents.'
                f'{did_you_mean(obj_type, _visible_names(registry))}')
        return obj_cls
    if isinstance(obj_type, (type, types.FunctionType)):
        return obj_type
    raise TypeError(f'type must be a str or valid type, but got {type(obj_type)}')


def _visible_names(registry: Any) -> list[str]:
    """Names a bare key can resolve to: the registry's own, then its ancestors'."""
    names: list[str] = []
    node = registry
    while node is not None:
        names.extend(k for k in getattr(node, 'module_dict', {}) if k not in names)
        node = getattr(node, 'parent', None)
    return names


def _argument_hint(obj_cls: Any, err: TypeError) -> str:
    """For "unexpected keyword argument 'x'": the accepted names and the nearest one."""
    import re

    match = re.search(r"unexpected keyword argument '(\w+)'", str(err))
    if match is None:
        return ''
    accepted = accepted_arguments(obj_cls)
    if accepted is None:
        return ''
    if match.group(1) in accepted:  # raised by some inner call: not about cfg
        return ''
    return (f" (argument {match.group(1)!r} is not accepted; {getattr(obj_cls, '__name__', '')}"
            f" accepts: {', '.join(accepted) or 'no keyword arguments'}."
            f'{did_you_mean(match.group(1), accepted)})')


def _reraise_with_location(err: Exception, obj_cls: Any) -> None:
    """Re-raise ``err`` as the same type, prefixed with where ``obj_cls`` lives.

    An unexpected keyword argument (a misspelled config field) also gets the
    arguments ``obj_cls`` accepts and the nearest of them.
    """
    location = '/'.join(getattr(obj_cls, '__module__', '?').split('.'))
    name = getattr(obj_cls, '__name__', repr(obj_cls))
    message = f'class `{name}` in {location}.py: {err}'
    if isinstance(err, TypeError):
        message += _argument_hint(obj_cls, err)
    try:
        wrapped = type(err)(message)
    except Exception:
        # Exception types with other constructor signatures: keep the original.
        raise err from None
    raise wrapped from err


def _instantiate(obj_cls: Any, args: dict) -> Any:
    try:
        if isinstance(obj_cls, type) and issubclass(obj_cls, ManagerMixin):
            obj = obj_cls.get_instance(**args)
        else:
            obj = obj_cls(**args)
    except Exception as err:
        _reraise_with_location(err, obj_cls)
    if isinstance(obj_cls, type):
        logger.debug('An `%s` instance is built from registry, its implementation can be '
                     'found in %s', obj_cls.__name__, obj_cls.__module__)
    return obj


def build_from_cfg(cfg: Any, registry: Any, default_args: Any = None) -> Any:
    """Build an object from a config dict.

    ``cfg['type']`` (or ``default_args['type']``) names a registered class or
    function, or is one; the other keys are its keyword arguments, completed
    by ``default_args`` (cfg wins). ``_scope_`` switches the default scope for
    the lookup *and* the construction, so nested builds resolve there too.
    Errors raised by the constructor keep their type and gain its location.
    """
    args = _merge_args(cfg, registry, default_args)
    scope = args.pop('_scope_', None)
    with registry.switch_scope_and_registry(scope) as scoped_registry:
        obj_cls = _resolve_type(args.pop('type'), scoped_registry)
        return _instantiate(obj_cls, args)


def build_model_from_cfg(cfg: Any, registry: Any, default_args: Any = None) -> Any:
    """Build a model; a list of configs becomes an ``engine.model.Sequential``.

    torch (through engine.model) is imported only for the list form, so
    registries of MODELS' tree stay usable without torch.
    """
    if isinstance(cfg, list):
        import importlib

        # engine.model is an upper layer: import it by name, only when needed.
        sequential = importlib.import_module('engine.model').Sequential
        modules = [build_from_cfg(item, registry, default_args) for item in cfg]
        return sequential(*modules)
    return build_from_cfg(cfg, registry, default_args)


def build_runner_from_cfg(cfg: Any, registry: Any) -> Any:
    """Build a runner: ``runner_cls.from_cfg(cfg)``.

    The class is ``cfg['runner_type']`` (default ``'engine.Runner'``); the key
    stays in the cfg handed to ``from_cfg``.
    """
    assert _is_cfg(cfg), f'cfg should be a dict, ConfigDict or Config, but got {type(cfg)}'
    assert _is_registry(registry), \
        f'registry should be an engine.registry.Registry object, but got {type(registry)}'
    args = _copy_cfg(cfg)
    scope = args.pop('_scope_', None)
    with registry.switch_scope_and_registry(scope) as scoped_registry:
        runner_cls = _resolve_type(args.get('runner_type', 'engine.Runner'), scoped_registry)
        try:
            runner = runner_cls.from_cfg(args)
        except Exception as err:
            _reraise_with_location(err, runner_cls)
        logger.debug('An `%s` instance is built from registry, its implementation can be '
                     'found in %s', runner_cls.__name__, runner_cls.__module__)
        return runner


def _copy_cfg(cfg: Any) -> Any:
    """A shallow copy of the same mapping type (a Config gives its ConfigDict)."""
    copy = getattr(cfg, 'copy', None)
    return copy() if callable(copy) else dict(cfg.items())


def build_scheduler_from_cfg(cfg: Any, registry: Any, default_args: Any = None) -> Any:
    """Build a parameter scheduler; ``default_args`` (or ``cfg``) must hold ``optimizer``.

    With ``convert_to_iter_based=True`` an epoch-based scheduler is built
    through ``cls.build_iter_from_epoch(**args)`` (needs ``epoch_length``).
    """
    args = _merge_args(cfg, registry, default_args)
    # Usually the optimizer comes in default_args; a cfg holding it works too.
    assert 'optimizer' in args, (
        '`default_args` (or the cfg) of build_scheduler_from_cfg must contain the key '
        f'"optimizer", but got cfg {cfg} and default_args {default_args}')
    scope = args.pop('_scope_', None)
    with registry.switch_scope_and_registry(scope) as scoped_registry:
        if args.pop('convert_to_iter_based', False):
            scheduler_type = args.pop('type')
            assert args.get('by_epoch', True) is not False and 'epoch_length' in args, (
                'Only epoch-based parameter scheduler can be converted to iter-based, and '
                '`epoch_length` should be set')
            scheduler_cls = _resolve_type(scheduler_type, scoped_registry)
            try:
                return scheduler_cls.build_iter_from_epoch(**args)
            except Exception as err:
                _reraise_with_location(err, scheduler_cls)
        args.pop('epoch_length', None)
        return build_from_cfg(args, scoped_registry)
