"""Weight initialisation: functional initialisers, the ``*Init`` classes, ``initialize``.

The classes are registered in ``WEIGHT_INITIALIZERS`` under short names
(``'Constant'``, ``'Kaiming'``, ...) so an ``init_cfg`` dict can name them.
Each class reports what it did through ``update_init_info``, which is how
``BaseModule.init_weights`` builds its per-parameter log.
"""

from __future__ import annotations

import copy
import math
import warnings
from collections.abc import Mapping
from typing import Any, Dict, List, Optional, Union

import torch
import torch.nn as nn
from torch import Tensor

from engine.registry import WEIGHT_INITIALIZERS, build_from_cfg

__all__ = [
    'update_init_info', 'constant_init', 'xavier_init', 'normal_init', 'trunc_normal_init',
    'uniform_init', 'kaiming_init', 'caffe2_xavier_init', 'bias_init_with_prob', 'trunc_normal_',
    'BaseInit', 'ConstantInit', 'XavierInit', 'NormalInit', 'TruncNormalInit', 'UniformInit',
    'KaimingInit', 'Caffe2XavierInit', 'PretrainedInit', 'initialize',
]


# ------------------------------------------------------------- bookkeeping
def update_init_info(module: nn.Module, init_info: str) -> None:
    """Record ``init_info`` for every parameter of ``module`` whose value changed.

    ``module._params_init_info`` is the dict the top-level ``init_weights``
    attaches to every submodule; a parameter's record changes only when its
    mean differs from the one stored at the last update.
    """
    assert hasattr(module, '_params_init_info'), \
        f'Can not find `_params_init_info` in {module}'
    infos = module._params_init_info
    for name, param in module.named_parameters():
        assert param in infos, (
            f'Find a new :obj:`Parameter` named `{name}` during executing the '
            f'`init_weights` of `{module.__class__.__name__}`. Please do not add or '
            'replace parameters during executing the `init_weights`. ')
        mean_value = param.data.mean().cpu()
        record = infos[param]
        if bool(record['tmp_mean_value'] != mean_value):
            record['init_info'] = init_info
            record['tmp_mean_value'] = mean_value


# ------------------------------------------------------ functional initialisers
def _init_bias(module: nn.Module, bias: float) -> None:
    if getattr(module, 'bias', None) is not None:
        nn.init.constant_(module.bias, bias)


def _has_weight(module: nn.Module) -> bool:
    return getattr(module, 'weight', None) is not None


def constant_init(module: nn.Module, val: float, bias: float = 0) -> None:
    """Fill ``module.weight`` with ``val`` and ``module.bias`` with ``bias``."""
    if _has_weight(module):
        nn.init.constant_(module.weight, val)
    _init_bias(module, bias)


def xavier_init(module: nn.Module, gain: float = 1, bias: float = 0,
                distribution: str = 'normal') -> None:
    """Xavier (Glorot) init of the weight, constant bias."""
    assert distribution in ['uniform', 'normal'], \
        f"distribution should be 'uniform' or 'normal', but got {distribution!r}"
    if _has_weight(module):
        if distribution == 'uniform':
            nn.init.xavier_uniform_(module.weight, gain=gain)
        else:
            nn.init.xavier_normal_(module.weight, gain=gain)
    _init_bias(module, bias)


def normal_init(module: nn.Module, mean: float = 0, std: float = 1, bias: float = 0) -> None:
    """Normal(mean, std) init of the weight, constant bias."""
    if _has_weight(module):
        nn.init.normal_(module.weight, mean, std)
    _init_bias(module, bias)


def trunc_normal_init(module: nn.Module, mean: float = 0, std: float = 1, a: float = -2,
                      b: float = 2, bias: float = 0) -> None:
    """Truncated-normal init of the weight (values within [a, b]), constant bias."""
    if _has_weight(module):
        trunc_normal_(module.weight, mean, std, a, b)
    _init_bias(module, bias)


def uniform_init(module: nn.Module, a: float = 0, b: float = 1, bias: float = 0) -> None:
    """Uniform(a, b) init of the weight, constant bias."""
    if _has_weight(module):
        nn.init.uniform_(module.weight, a, b)
    _init_bias(module, bias)


def kaiming_init(module: nn.Module, a: float = 0, mode: str = 'fan_out',
                 nonlinearity: str = 'relu', bias: float = 0,
                 distribution: str = 'normal') -> None:
    """Kaiming (He) init of the weight, constant bias."""
    assert distribution in ['uniform', 'normal'], \
        f"distribution should be 'uniform' or 'normal', but got {distribution!r}"
    if _has_weight(module):
        if distribution == 'uniform':
            nn.init.kaiming_uniform_(module.weight, a=a, mode=mode, nonlinearity=nonlinearity)
        else:
            nn.init.kaiming_normal_(module.weight, a=a, mode=mode, nonlinearity=nonlinearity)
    _init_bias(module, bias)


def caffe2_xavier_init(module: nn.Module, bias: float = 0) -> None:
    """Caffe2's XavierFill, which is a uniform Kaiming init with a=1, fan_in."""
    kaiming_init(module, a=1, mode='fan_in', nonlinearity='leaky_relu', bias=bias,
                 distribution='uniform')


def bias_init_with_prob(prior_prob: float) -> float:
    """Bias value that makes a sigmoid output ``prior_prob`` at start."""
    return float(-math.log((1 - prior_prob) / prior_prob))


def trunc_normal_(tensor: Tensor, mean: float = 0., std: float = 1., a: float = -2.,
                  b: float = 2.) -> Tensor:
    """Fill ``tensor`` in place from N(mean, std) truncated to [a, b] (inverse-CDF method)."""
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn('mean is more than 2 std from [a, b] in trunc_normal_. The distribution '
                      'of values may be incorrect.', stacklevel=2)

    def norm_cdf(x: float) -> float:
        return (1. + math.erf(x / math.sqrt(2.))) / 2.

    with torch.no_grad():
        low, high = norm_cdf((a - mean) / std), norm_cdf((b - mean) / std)
        # uniform in [2l-1, 2u-1], then the inverse CDF of the standard normal via erfinv
        tensor.uniform_(2 * low - 1, 2 * high - 1)
        tensor.erfinv_()
        tensor.mul_(std * math.sqrt(2.)).add_(mean)
        tensor.clamp_(min=a, max=b)
        return tensor


# ----------------------------------------------------------------- classes
class BaseInit:
    """Common keywords of the layer-matching initialisers.

    ``layer`` names the module classes to initialise (the class itself or one
    of its direct bases); ``bias_prob`` overrides ``bias`` with
    ``bias_init_with_prob(bias_prob)``.
    """

    def __init__(self, *, bias: float = 0, bias_prob: Optional[float] = None,
                 layer: Union[str, List[str], None] = None) -> None:
        self.wholemodule = False
        if not isinstance(bias, (int, float)):
            raise TypeError(f'bias must be a number, but got a {type(bias)}')
        if bias_prob is not None and not isinstance(bias_prob, float):
            raise TypeError(f'bias_prob type must be float, but got {type(bias_prob)}')
        if layer is not None and not isinstance(layer, (str, list)):
            raise TypeError(f'layer must be a str or a list of str, but got a {type(layer)}')
        self.bias = bias_init_with_prob(bias_prob) if bias_prob is not None else bias
        if layer is None:
            layer = []
        elif isinstance(layer, str):
            layer = [layer]
        self.layer = layer

    def _matches(self, module: nn.Module) -> bool:
        if self.wholemodule:
            return True
        cls = type(module)
        names = {cls.__name__} | {base.__name__ for base in cls.__bases__}
        return bool(set(self.layer) & names)

    def _init_module(self, module: nn.Module) -> None:
        raise NotImplementedError

    def __call__(self, module: nn.Module) -> None:
        def fn(m: nn.Module) -> None:
            if self._matches(m):
                self._init_module(m)

        module.apply(fn)
        if hasattr(module, '_params_init_info'):
            update_init_info(module, init_info=self._get_init_info())

    def _get_init_info(self) -> str:
        return f'{self.__class__.__name__}, bias={self.bias}'


@WEIGHT_INITIALIZERS.register_module(name='Constant')
class ConstantInit(BaseInit):
    """Fill weights with ``val`` and biases with ``bias``."""

    def __init__(self, val: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.val = val

    def _init_module(self, module: nn.Module) -> None:
        constant_init(module, self.val, self.bias)

    def _get_init_info(self) -> str:
        return f'{self.__class__.__name__}: val={self.val}, bias={self.bias}'


@WEIGHT_INITIALIZERS.register_module(name='Xavier')
class XavierInit(BaseInit):
    """Xavier init (``distribution`` 'normal' or 'uniform')."""

    def __init__(self, gain: float = 1, distribution: str = 'normal', **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.gain = gain
        self.distribution = distribution

    def _init_module(self, module: nn.Module) -> None:
        xavier_init(module, self.gain, self.bias, self.distribution)

    def _get_init_info(self) -> str:
        return (f'{self.__class__.__name__}: gain={self.gain}, '
                f'distribution={self.distribution}, bias={self.bias}')


@WEIGHT_INITIALIZERS.register_module(name='Normal')
class NormalInit(BaseInit):
    """Normal(mean, std) init."""

    def __init__(self, mean: float = 0, std: float = 1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.mean = mean
        self.std = std

    def _init_module(self, module: nn.Module) -> None:
        normal_init(module, self.mean, self.std, self.bias)

    def _get_init_info(self) -> str:
        return (f'{self.__class__.__name__}: mean={self.mean}, std={self.std}, '
                f'bias={self.bias}')


@WEIGHT_INITIALIZERS.register_module(name='TruncNormal')
class TruncNormalInit(BaseInit):
    """Truncated-normal init: N(mean, std) with values kept in [a, b]."""

    def __init__(self, mean: float = 0, std: float = 1, a: float = -2, b: float = 2,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.mean = mean
        self.std = std
        self.a = a
        self.b = b

    def _init_module(self, module: nn.Module) -> None:
        trunc_normal_init(module, self.mean, self.std, self.a, self.b, self.bias)

    def _get_init_info(self) -> str:
        return (f'{self.__class__.__name__}: a={self.a}, b={self.b}, mean={self.mean}, '
                f'std={self.std}, bias={self.bias}')


@WEIGHT_INITIALIZERS.register_module(name='Uniform')
class UniformInit(BaseInit):
    """Uniform(a, b) init."""

    def __init__(self, a: float = 0, b: float = 1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.a = a
        self.b = b

    def _init_module(self, module: nn.Module) -> None:
        uniform_init(module, self.a, self.b, self.bias)

    def _get_init_info(self) -> str:
        return f'{self.__class__.__name__}: a={self.a}, b={self.b}, bias={self.bias}'


@WEIGHT_INITIALIZERS.register_module(name='Kaiming')
class KaimingInit(BaseInit):
    """Kaiming (He) init."""

    def __init__(self, a: float = 0, mode: str = 'fan_out', nonlinearity: str = 'relu',
                 distribution: str = 'normal', **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.a = a
        self.mode = mode
        self.nonlinearity = nonlinearity
        self.distribution = distribution

    def _init_module(self, module: nn.Module) -> None:
        kaiming_init(module, self.a, self.mode, self.nonlinearity, self.bias, self.distribution)

    def _get_init_info(self) -> str:
        # 'distribution =' (with the space) is the format the seed's logs show
        return (f'{self.__class__.__name__}: a={self.a}, mode={self.mode}, '
                f'nonlinearity={self.nonlinearity}, '
                f'distribution ={self.distribution}, bias={self.bias}')


@WEIGHT_INITIALIZERS.register_module(name='Caffe2Xavier')
class Caffe2XavierInit(KaimingInit):
    """Caffe2's XavierFill: Kaiming uniform with a=1, fan_in, leaky_relu."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(a=1, mode='fan_in', nonlinearity='leaky_relu',
                         distribution='uniform', **kwargs)


class PrefixNotFoundError(KeyError, AssertionError):
    """No key of the checkpoint starts with the requested prefix.

    A KeyError (a missing key) that is also the AssertionError 0.2.0 raised.
    """

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ''


def _load_checkpoint_with_prefix(prefix: str, filename: str, map_location=None) -> Dict:
    """The entries of a checkpoint's state dict under ``prefix``, with the prefix removed."""
    from engine.runner.checkpoint import _load_checkpoint  # runner imports model: load lazily

    checkpoint = _load_checkpoint(filename, map_location=map_location)
    state_dict = checkpoint.get('state_dict', checkpoint) if isinstance(checkpoint, dict) \
        else checkpoint
    if not isinstance(state_dict, dict):
        raise RuntimeError(f'No state_dict found in checkpoint file {filename}')
    if not prefix.endswith('.'):
        prefix += '.'
    selected = {k[len(prefix):]: v for k, v in state_dict.items() if k.startswith(prefix)}
    if not selected:
        raise PrefixNotFoundError(f'{prefix} is not in the pretrained model {filename}')
    return selected


@WEIGHT_INITIALIZERS.register_module(name='Pretrained')
class PretrainedInit:
    """Load weights from ``checkpoint`` (a path, URL or scheme like ``torchvision://``).

    With ``prefix`` (e.g. ``'backbone.'``) only the matching keys are loaded,
    with the prefix stripped. Loading is non-strict; mismatches are logged.
    """

    def __init__(self, checkpoint: str, prefix: Optional[str] = None,
                 map_location: Any = None) -> None:
        self.checkpoint = checkpoint
        self.prefix = prefix
        self.map_location = map_location

    def __call__(self, module: nn.Module) -> None:
        from engine.logging import MMLogger, print_log
        from engine.runner.checkpoint import load_checkpoint, load_state_dict

        # the run's current logger: get_instance('mmengine') (0.2.0) would create and make
        # current a file-less logger inside a Runner whose logger has another name
        logger = MMLogger.get_current_instance()
        if self.prefix is None:
            print_log(f'load model from: {self.checkpoint}', logger=logger)
            load_checkpoint(module, self.checkpoint, map_location=self.map_location,
                            strict=False, logger=logger)
        else:
            print_log(f'load {self.prefix} in model from: {self.checkpoint}', logger=logger)
            state_dict = _load_checkpoint_with_prefix(self.prefix, self.checkpoint,
                                                      map_location=self.map_location)
            load_state_dict(module, state_dict, strict=False, logger=logger)
        if hasattr(module, '_params_init_info'):
            update_init_info(module, init_info=self._get_init_info())

    def _get_init_info(self) -> str:
        return f'{self.__class__.__name__}: load from {self.checkpoint}'


# ------------------------------------------------------------- initialize
def _initialize(module: nn.Module, cfg: Dict, wholemodule: bool = False) -> None:
    func = build_from_cfg(cfg, WEIGHT_INITIALIZERS)
    # wholemodule is an attribute, not a keyword: override handling sets it
    func.wholemodule = wholemodule
    func(module)


def _initialize_override(module: nn.Module, override: Union[Dict, List[Dict]],
                         cfg: Dict) -> None:
    if not isinstance(override, (Mapping, list)):
        raise TypeError(f'override must be a dict or a list of dict, but got {type(override)}')
    overrides = [override] if isinstance(override, Mapping) else override
    for override_ in overrides:
        cp_override = copy.deepcopy(dict(override_))
        name = cp_override.pop('name', None)
        if name is None:
            raise ValueError('`override` must contain the key "name", '
                             f'but got {cp_override}')
        if not cp_override:
            # only a name: reuse the parent's initialiser and arguments
            cp_override.update(cfg)
        elif 'type' not in cp_override:
            raise ValueError(f'`override` need "type" key, but got {cp_override}')
        if hasattr(module, name):
            _initialize(getattr(module, name), cp_override, wholemodule=True)
        else:
            raise RuntimeError(f'module did not have attribute {name}, '
                               f'but init_cfg is {cp_override}.')


def initialize(module: nn.Module, init_cfg: Union[Dict, List[Dict]]) -> None:
    """Initialise ``module`` from ``init_cfg`` (a dict or a list of dicts).

    Each cfg builds an initialiser from ``WEIGHT_INITIALIZERS`` that touches
    the layers named by ``layer``; an ``override`` entry then re-initialises
    the named direct child as a whole.
    """
    if not isinstance(init_cfg, (Mapping, list)):
        raise TypeError(f'init_cfg must be a dict or a list of dict, but got {type(init_cfg)}')
    cfgs = [init_cfg] if isinstance(init_cfg, Mapping) else init_cfg
    for cfg in cfgs:
        if not isinstance(cfg, Mapping):
            raise TypeError(f'init_cfg must be a dict or a list of dict, but got an item {cfg!r} '
                            f'of type {type(cfg)}')
        cp_cfg = copy.deepcopy(dict(cfg))
        override = cp_cfg.pop('override', None)
        _initialize(module, cp_cfg)
        if override is not None:
            cp_cfg.pop('layer', None)
            _initialize_override(module, override, cp_cfg)
