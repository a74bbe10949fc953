"""``BaseModule``: an ``nn.Module`` that initialises itself from ``init_cfg``.

``init_weights`` applies ``init_cfg``, then calls each direct child's
``init_weights`` (so a child's own rules win), and at the top level logs,
per parameter, which initialiser last changed it.
"""

from __future__ import annotations

import copy
import logging
import warnings
from abc import ABCMeta
from collections import defaultdict
from typing import Dict, Iterable, List, Optional, Union

import torch.nn as nn

from engine.dist import master_only
from engine.logging import MMLogger, print_log

from .weight_init import PretrainedInit, initialize, update_init_info

__all__ = ['BaseModule', 'Sequential', 'ModuleList', 'ModuleDict']

InitCfg = Union[Dict, List[Dict], None]


def _file_stream(handler: logging.Handler):
    """The open stream of a FileHandler (opening a delayed one); None for other handlers
    and for a closed file (e.g. the log of a run that has ended)."""
    if not isinstance(handler, logging.FileHandler):
        return None
    if handler.stream is None and not getattr(handler, '_closed', False):
        handler.stream = handler._open()  # delay=True: what its first emit would do
    return handler.stream


class BaseModule(nn.Module, metaclass=ABCMeta):
    """Base class of engine's modules: adds ``init_cfg`` and ``init_weights``.

    Args:
        init_cfg: a dict or a list of dicts for ``initialize``; ``None`` keeps
            torch's default initialisation.
    """

    def __init__(self, init_cfg: InitCfg = None) -> None:
        super().__init__()
        self._is_init = False
        self.init_cfg = copy.deepcopy(init_cfg)

    @property
    def is_init(self) -> bool:
        """Whether ``init_weights`` has run."""
        return self._is_init

    def init_weights(self) -> None:
        """Initialise from ``init_cfg``, then the children; log the result at the top level."""
        is_top_level = not hasattr(self, '_params_init_info')
        if is_top_level:
            self._start_init_info()

        module_name = self.__class__.__name__
        if not self._is_init:
            if self.init_cfg:
                print_log(f'initialize {module_name} with init_cfg {self.init_cfg}',
                          logger=MMLogger.get_current_instance(), level=logging.DEBUG)
                initialize(self, self.init_cfg)
            pretrained = isinstance(self.init_cfg, dict) \
                and self.init_cfg.get('type') in ('Pretrained', PretrainedInit)
            if not pretrained:  # children must not overwrite loaded weights
                for child in self.children():
                    if hasattr(child, 'init_weights'):
                        child.init_weights()
                        update_init_info(
                            child, init_info='Initialized by user-defined `init_weights` '
                                             f'in {child.__class__.__name__} ')
            self._is_init = True
        else:
            warnings.warn(f'init_weights of {module_name} has been called more than once.',
                          stacklevel=2)

        if is_top_level:
            self._dump_init_info()
            for sub_module in self.modules():
                del sub_module._params_init_info

    def _start_init_info(self) -> None:
        """Record every parameter's mean; share one record dict with all submodules."""
        infos: Dict = defaultdict(dict)
        top_name = self.__class__.__name__
        for param in self.parameters():
            infos[param]['init_info'] = ('The value is the same before and after calling '
                                         f'`init_weights` of {top_name} ')
            infos[param]['tmp_mean_value'] = param.data.mean().cpu()
        for sub_module in self.modules():
            sub_module._params_init_info = infos

    @master_only
    def _dump_init_info(self) -> None:
        """Write each parameter's init record to the log file(s), or to the console."""
        logger = MMLogger.get_current_instance()
        infos = self._params_init_info
        streams = [stream for stream in map(_file_stream, logger.handlers) if stream is not None]
        if streams:
            for stream in streams:
                stream.write('Name of parameter - Initialization information\n')
                for name, param in self.named_parameters():
                    stream.write(f'\n{name} - {param.shape}: \n{infos[param]["init_info"]} \n')
                stream.flush()
        else:
            for name, param in self.named_parameters():
                print_log(f'\n{name} - {param.shape}: \n{infos[param]["init_info"]} \n ',
                          logger=logger)

    def __repr__(self) -> str:
        text = super().__repr__()
        if self.init_cfg:
            text += f'\ninit_cfg={self.init_cfg}'
        return text


class Sequential(BaseModule, nn.Sequential):
    """``nn.Sequential`` with ``init_cfg``; its members are reached by ``init_weights``."""

    def __init__(self, *args: nn.Module, init_cfg: InitCfg = None) -> None:
        BaseModule.__init__(self, init_cfg)
        nn.Sequential.__init__(self, *args)


class ModuleList(BaseModule, nn.ModuleList):
    """``nn.ModuleList`` with ``init_cfg``."""

    def __init__(self, modules: Optional[Iterable[nn.Module]] = None,
                 init_cfg: InitCfg = None) -> None:
        BaseModule.__init__(self, init_cfg)
        nn.ModuleList.__init__(self, modules)


class ModuleDict(BaseModule, nn.ModuleDict):
    """``nn.ModuleDict`` with ``init_cfg``."""

    def __init__(self, modules: Optional[Dict[str, nn.Module]] = None,
                 init_cfg: InitCfg = None) -> None:
        BaseModule.__init__(self, init_cfg)
        nn.ModuleDict.__init__(self, modules)
