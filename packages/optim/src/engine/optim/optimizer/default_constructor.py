"""DefaultOptimWrapperConstructor: build an OptimWrapper with per-parameter options."""

from __future__ import annotations

import difflib
import logging
import warnings
from typing import Any, Dict, List, Optional

import torch.nn as nn
from torch.nn import GroupNorm, LayerNorm
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.instancenorm import _InstanceNorm

from engine.registry import OPTIM_WRAPPER_CONSTRUCTORS, OPTIM_WRAPPERS, OPTIMIZERS

from .optimizer_wrapper import OptimWrapper

logger = logging.getLogger(__name__)

_NORM_TYPES = (_BatchNorm, _InstanceNorm, GroupNorm, LayerNorm)
# Deformable convolutions (mmcv.ops, torchvision.ops) are recognised by class
# name so that no optional library has to be imported.
_DCN_NAMES = frozenset({'DeformConv2d', 'ModulatedDeformConv2d', 'DeformConv2dPack',
                        'ModulatedDeformConv2dPack'})
_MULTIPLIERS = ('lr_mult', 'decay_mult', 'bias_lr_mult', 'bias_decay_mult',
                'norm_decay_mult', 'dwconv_decay_mult', 'dcn_offset_lr_mult')
_DECAY_KEYS = ('bias_decay_mult', 'norm_decay_mult', 'dwconv_decay_mult')
_PARAMWISE_KEYS = frozenset(_MULTIPLIERS + ('custom_keys', 'bypass_duplicate'))


def _is_dcn(module: nn.Module) -> bool:
    return any(cls.__name__ in _DCN_NAMES for cls in type(module).__mro__)


def _check_multiplier(where: str, key: str, value: Any) -> None:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
        raise ValueError(f'{where}: {key} must be a non-negative number, but got {value!r}')


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class DefaultOptimWrapperConstructor:
    """Build the optimizer and its wrapper for a model from a config.

    ``paramwise_cfg`` sets options per parameter:

    - ``custom_keys``: ``{substring: dict(lr_mult=..., decay_mult=..., **opts)}``;
      a parameter whose ``f'{prefix}.{name}'`` contains the key gets those
      options (longest key first, ties alphabetical); no other rule applies.
    - ``bias_lr_mult``, ``bias_decay_mult``, ``norm_decay_mult``,
      ``dwconv_decay_mult``, ``dcn_offset_lr_mult``: multipliers by layer kind.
    - ``lr_mult``, ``decay_mult``: global multipliers for every parameter that no
      custom key matches, composed with the rules above.
    - ``bypass_duplicate``: skip parameters shared between modules (with a warning)
      instead of letting torch reject the duplicate.

    Unknown keys get a warning (most are typos); subclasses may read keys of their own.
    """

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg: Optional[dict] = None):
        if not isinstance(optim_wrapper_cfg, dict):
            raise TypeError('optim_wrapper_cfg should be a dict, but got '
                            f'{type(optim_wrapper_cfg).__name__}')
        assert 'optimizer' in optim_wrapper_cfg, (
            '`optim_wrapper_cfg` must contain "optimizer" config, but got keys '
            f'{list(optim_wrapper_cfg)}')
        self.optim_wrapper_cfg = dict(optim_wrapper_cfg)
        self.optimizer_cfg = dict(self.optim_wrapper_cfg.pop('optimizer'))
        self.paramwise_cfg = {} if paramwise_cfg is None else paramwise_cfg
        self.base_lr = self.optimizer_cfg.get('lr', None)
        self.base_wd = self.optimizer_cfg.get('weight_decay', None)
        self._validate_cfg()

    def _validate_cfg(self) -> None:
        cfg = self.paramwise_cfg
        if not isinstance(cfg, dict):
            raise TypeError('paramwise_cfg should be None or a dict, but got '
                            f'{type(cfg).__name__}')
        for key in _MULTIPLIERS:
            if key in cfg:
                _check_multiplier('paramwise_cfg', key, cfg[key])
        if 'custom_keys' in cfg:
            custom_keys = cfg['custom_keys']
            if not isinstance(custom_keys, dict):
                raise TypeError('If specified, custom_keys must be a dict, but got '
                                f'{type(custom_keys).__name__}')
            for name, options in custom_keys.items():
                if not isinstance(options, dict):
                    raise TypeError(f'custom_keys[{name!r}] must be a dict, but got '
                                    f'{type(options).__name__}')
                for key in ('lr_mult', 'decay_mult'):
                    if key in options:
                        _check_multiplier(f'custom_keys[{name!r}]', key, options[key])
                if self.base_wd is None and 'decay_mult' in options:
                    raise ValueError(f'base_wd should not be None: custom_keys[{name!r}] '
                                     'sets decay_mult but the optimizer has no '
                                     'weight_decay')
        if type(self) is DefaultOptimWrapperConstructor:  # subclasses read keys of their own
            for key in cfg.keys() - _PARAMWISE_KEYS:
                close = difflib.get_close_matches(str(key), sorted(_PARAMWISE_KEYS), n=1)
                hint = f"; did you mean '{close[0]}'?" if close else ''
                warnings.warn(f'paramwise_cfg key {key!r} is not an option of '
                              f'DefaultOptimWrapperConstructor and has no effect{hint} '
                              f'(options: {", ".join(sorted(_PARAMWISE_KEYS))})',
                              stacklevel=3)
        for key in _DECAY_KEYS:
            if key in cfg and self.base_wd is None:
                raise ValueError(f'base_wd should not be None: paramwise_cfg sets {key} '
                                 'but the optimizer has no weight_decay')

    def __call__(self, model: nn.Module) -> OptimWrapper:
        if hasattr(model, 'module'):
            model = model.module
        wrapper_cfg = dict(self.optim_wrapper_cfg)
        wrapper_cfg.setdefault('type', 'OptimWrapper')
        optimizer_cfg = dict(self.optimizer_cfg)
        if not self.paramwise_cfg:
            optimizer_cfg['params'] = model.parameters()
        else:
            params: List[Dict[str, Any]] = []
            self.add_params(params, model)
            self._check_custom_keys_used(model)
            optimizer_cfg['params'] = params
        optimizer = OPTIMIZERS.build(optimizer_cfg)
        return OPTIM_WRAPPERS.build(wrapper_cfg, default_args=dict(optimizer=optimizer))

    def _check_custom_keys_used(self, model: nn.Module) -> None:
        """Warn about custom keys that match no parameter (often a typo).

        Only a warning: configs share ``custom_keys`` across backbones, and the
        seed's reference ignores such keys.
        """
        custom_keys = self.paramwise_cfg.get('custom_keys') or {}
        if not custom_keys:
            return
        # add_params matches f'{prefix}.{name}': root parameters read '.name'
        names = [f'.{name}' if '.' not in name else name
                 for name, _ in model.named_parameters(remove_duplicate=False)]
        for key in custom_keys:
            if not any(key in name for name in names):
                warnings.warn(
                    f'paramwise_cfg.custom_keys[{key!r}] matches no parameter of '
                    f'{type(model).__name__} and is ignored; parameter names look '
                    f'like {names[:3]}', UserWarning, stacklevel=3)

    def add_params(self, params: List[dict], module: nn.Module, prefix: str = '',
                   is_dcn_module: Optional[bool] = None) -> None:
        """Append one param group per parameter of ``module``, recursively."""
        cfg = self.paramwise_cfg
        custom_keys = cfg.get('custom_keys', {})
        # longest key first, alphabetical among equal lengths
        sorted_keys = sorted(sorted(custom_keys), key=len, reverse=True)
        bypass_duplicate = cfg.get('bypass_duplicate', False)
        is_norm = isinstance(module, _NORM_TYPES)
        is_dwconv = (isinstance(module, nn.Conv2d)
                     and module.in_channels == module.groups)

        for name, param in module.named_parameters(recurse=False):
            group: Dict[str, Any] = {'params': [param]}
            if not param.requires_grad:
                params.append(group)
                continue
            if bypass_duplicate and _already_added(param, params):
                warnings.warn(f'{prefix} is duplicate. It is skipped since '
                              'bypass_duplicate=True', UserWarning, stacklevel=2)
                continue
            full_key = f'{prefix}.{name}'
            matched = next((key for key in sorted_keys if key in full_key), None)
            if matched is not None:
                options = custom_keys[matched]
                group['lr'] = self.base_lr * options.get('lr_mult', 1.)
                if self.base_wd is not None:
                    group['weight_decay'] = self.base_wd * options.get('decay_mult', 1.)
                group.update(options)
            else:
                self._apply_multipliers(group, module, prefix, name, is_norm,
                                        is_dwconv, bool(is_dcn_module))
            params.append(group)
            full_name = f'{prefix}.{name}' if prefix else name
            for key, value in group.items():
                if key != 'params':
                    logger.info(f'paramwise_options -- {full_name}:{key}={value}')

        child_is_dcn = _is_dcn(module)
        for child_name, child in module.named_children():
            child_prefix = f'{prefix}.{child_name}' if prefix else child_name
            self.add_params(params, child, prefix=child_prefix, is_dcn_module=child_is_dcn)

    def _apply_multipliers(self, group: dict, module: nn.Module, prefix: str, name: str,
                           is_norm: bool, is_dwconv: bool, is_dcn_module: bool) -> None:
        cfg = self.paramwise_cfg
        lr_mult = cfg.get('lr_mult')
        decay_mult = cfg.get('decay_mult')
        global_lr = 1. if lr_mult is None else lr_mult
        global_wd = 1. if decay_mult is None else decay_mult
        if lr_mult is not None:
            group['lr'] = self.base_lr * lr_mult
        if name == 'bias' and not (is_norm or is_dcn_module):
            group['lr'] = self.base_lr * global_lr * cfg.get('bias_lr_mult', 1.)
        if ('conv_offset' in prefix and is_dcn_module
                and isinstance(module, nn.Conv2d)):
            group['lr'] = self.base_lr * global_lr * cfg.get('dcn_offset_lr_mult', 1.)

        if self.base_wd is None:
            return
        if decay_mult is not None:
            group['weight_decay'] = self.base_wd * decay_mult
        if is_norm:
            group['weight_decay'] = (self.base_wd * global_wd
                                     * cfg.get('norm_decay_mult', 1.))
        elif is_dwconv:
            group['weight_decay'] = (self.base_wd * global_wd
                                     * cfg.get('dwconv_decay_mult', 1.))
        elif name == 'bias' and not is_dcn_module:
            group['weight_decay'] = (self.base_wd * global_wd
                                     * cfg.get('bias_decay_mult', 1.))


def _already_added(param, params: List[dict]) -> bool:
    return any(param is p for group in params for p in group['params'])
