"""Saving and loading checkpoints.

Two rules shape this module:

* A checkpoint on disk is always complete. Local saves go to a temp file in
  the target's folder and are renamed over the target, so a crash mid-save
  leaves the previous file intact; ``torch.save`` streams straight to that
  file (no in-memory copy first).
* Loading is safe by default: ``torch.load(weights_only=True)``. Engine's own
  checkpoints hold only tensors and plain containers, so they load that way;
  a foreign checkpoint that pickles objects needs ``weights_only=False``, and
  the error says so.
"""

from __future__ import annotations

import inspect
import io
import json
import logging
import os
import os.path as osp
import pickle
import re
import tempfile
import warnings
import zipfile
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, Callable, Optional, Union

import numpy as np
import torch
import torch.nn as nn

from engine.fileio.io import check_args_conflict
from engine.logging import print_log

logger = logging.getLogger(__name__)

ENV_ENGINE_HOME = 'ENGINE_HOME'
_DATA_DIR = osp.join(osp.dirname(__file__), 'model_zoo')


class CheckpointError(RuntimeError):
    """A checkpoint file is missing its content, truncated or corrupt."""


def get_engine_home() -> str:
    """Cache folder for downloaded and external checkpoints."""
    home = os.environ.get(ENV_ENGINE_HOME) or os.environ.get('MMENGINE_HOME')
    if not home:
        cache = os.environ.get('XDG_CACHE_HOME', osp.join('~', '.cache'))
        home = osp.join(cache, 'engine')
    home = osp.expanduser(home)
    os.makedirs(home, exist_ok=True)
    return home


# ---------------------------------------------------------------- state dicts
def _unwrap(module: nn.Module, through_tta: bool = False) -> nn.Module:
    """The module inside model wrappers (and, with ``through_tta``, BaseTTAModels)."""
    from engine.model import BaseTTAModel, is_model_wrapper  # same package
    while is_model_wrapper(module) or (through_tta and isinstance(module, BaseTTAModel)):
        module = module.module
    return module


def weights_to_cpu(state_dict: dict) -> OrderedDict:
    """Copy of ``state_dict`` with every tensor on the CPU (``_metadata`` kept)."""
    cpu = OrderedDict((k, v.cpu() if isinstance(v, torch.Tensor) else v)
                      for k, v in state_dict.items())
    # always present, as in the reference: loaders read it without a getattr default
    cpu._metadata = getattr(state_dict, '_metadata', OrderedDict())  # type: ignore[attr-defined]
    return cpu


def get_state_dict(module: nn.Module, destination: Optional[OrderedDict] = None,
                   prefix: str = '', keep_vars: bool = False) -> OrderedDict:
    """``module.state_dict()`` with model wrappers removed at every level.

    Keys never carry a wrapper's ``module.`` prefix, so a checkpoint saved from
    a DDP-wrapped model loads into the bare model and vice versa.
    """
    module = _unwrap(module)
    if destination is None:
        destination = OrderedDict()
        destination._metadata = OrderedDict()  # type: ignore[attr-defined]
    local_metadata = dict(version=module._version)
    if hasattr(destination, '_metadata'):
        destination._metadata[prefix[:-1]] = local_metadata
    for pre_hook in module._state_dict_pre_hooks.values():
        pre_hook(module, prefix, keep_vars)
    module._save_to_state_dict(destination, prefix, keep_vars)
    for name, child in module._modules.items():
        if child is not None:
            get_state_dict(child, destination, prefix + name + '.', keep_vars=keep_vars)
    for hook in module._state_dict_hooks.values():
        result = hook(module, destination, prefix, local_metadata)
        if result is not None:
            destination = result
    return destination


def load_state_dict(module: nn.Module, state_dict: dict, strict: bool = False,
                    logger: Optional[Union[logging.Logger, str]] = None) -> None:
    """Load ``state_dict`` into ``module``, reporting mismatches instead of failing.

    Model wrappers (DDP, BaseTTAModel, ...) are looked through at every level,
    so keys never need their ``module.`` prefix. Unexpected keys, missing keys
    (except ``num_batches_tracked``) and shape mismatches make one message:
    ``strict=True`` raises it as ``RuntimeError``, otherwise it is logged as a
    warning (printed without a logger) and every matching tensor is loaded,
    as the reference does for a pretrained model with a different head.
    """
    if not isinstance(state_dict, Mapping):
        raise TypeError(f'state_dict should be a dict-like object, but got {type(state_dict)}')
    missing: list = []
    unexpected: list = []
    errors: list = []
    metadata = getattr(state_dict, '_metadata', None)
    state_dict = OrderedDict(state_dict)  # load hooks may edit it: not the caller's dict
    if metadata is not None:
        state_dict._metadata = metadata  # type: ignore[attr-defined]
    _load_recursive(module, state_dict, '', metadata, missing, unexpected, errors)

    missing = [k for k in missing if 'num_batches_tracked' not in k]
    if unexpected:
        errors.append(f'unexpected key in source state_dict: {", ".join(unexpected)}')
    if missing:
        errors.append(f'missing keys in source state_dict: {", ".join(missing)}')
    if not errors:
        return
    from engine.dist import get_rank
    if get_rank() != 0:
        return
    message = '\n'.join(['The model and loaded state dict do not match exactly', *errors]) + '\n'
    if strict:
        raise RuntimeError(message)
    print_log(message, logger=logger, level=logging.WARNING)


def _load_recursive(module: nn.Module, state_dict: dict, prefix: str, metadata,
                    missing: list, unexpected: list, errors: list) -> None:
    """``nn.Module.load_state_dict``'s walk, stepping over model wrappers.

    ``strict=True`` here only makes torch collect unexpected keys; shape
    mismatches land in ``errors`` instead of raising.
    """
    module = _unwrap(module, through_tta=True)
    local_metadata = {} if metadata is None else metadata.get(prefix[:-1], {})
    module._load_from_state_dict(state_dict, prefix, local_metadata, True, missing, unexpected,
                                 errors)
    for name, child in module._modules.items():
        if child is not None:
            child_prefix = prefix + name + '.'
            # each child sees only its own keys, as in torch: linear, not quadratic, in size
            child_state = {k: v for k, v in state_dict.items() if k.startswith(child_prefix)}
            _load_recursive(child, child_state, child_prefix, metadata, missing, unexpected,
                            errors)
    if module._load_state_dict_post_hooks:
        from torch.nn.modules.module import _IncompatibleKeys
        for hook in module._load_state_dict_post_hooks.values():
            hook(module, _IncompatibleKeys(missing, unexpected))


# ---------------------------------------------------- message hub as plain data
def plain_data(value: Any) -> Any:
    """Numpy scalars/arrays -> Python values, recursively (for the safe loader)."""
    if isinstance(value, dict):
        items = ((k, plain_data(v)) for k, v in value.items())
        return OrderedDict(items) if isinstance(value, OrderedDict) else dict(items)
    if isinstance(value, (list, tuple)):
        return type(value)(plain_data(v) for v in value)
    if type(value).__module__ == 'numpy':
        return value.tolist() if hasattr(value, 'tolist') else value.item()
    return value


def message_hub_to_plain(hub_state: dict) -> dict:
    """``MessageHub.state_dict()`` with every HistoryBuffer replaced by tensors.

    Checkpoints must load with ``torch.load(weights_only=True)``, which refuses
    pickled engine objects; ``MessageHub.load_state_dict`` reads this form back.
    """
    scalars = OrderedDict()
    for key, buffer in hub_state['log_scalars'].items():
        values, counts = buffer.data
        scalars[key] = dict(log_history=torch.from_numpy(np.array(values)),
                            count_history=torch.from_numpy(np.array(counts)),
                            max_length=int(buffer.max_length))
    return dict(log_scalars=scalars,
                runtime_info=plain_data(hub_state['runtime_info']),
                resumed_keys=OrderedDict(hub_state['resumed_keys']))


# -------------------------------------------------------------------- loaders
def _torch_load(source: Any, map_location, filename: str, weights_only: bool = True):
    try:
        return torch.load(source, map_location=map_location, weights_only=weights_only)
    except pickle.UnpicklingError as err:
        if weights_only and ('weights_only' in str(err) or 'global' in str(err)):
            raise CheckpointError(
                f'checkpoint {filename} contains pickled Python objects, which the safe loader '
                f'(torch.load(weights_only=True)) refuses. If you trust the file, load it with '
                f'weights_only=False. Details: {str(err).splitlines()[0]}') from err
        raise CheckpointError(f'checkpoint {filename} is corrupt: {err}') from err
    except (RuntimeError, EOFError, zipfile.BadZipFile, ValueError) as err:
        raise CheckpointError(
            f'checkpoint {filename} is truncated or corrupt and cannot be read '
            f'({type(err).__name__}: {str(err).splitlines()[0] if str(err) else ""})') from err


class CheckpointLoader:
    """Loaders of checkpoints by path prefix (``''`` local, ``http://``, ...).

    ``register_scheme`` adds a loader; the longest matching prefix wins, and
    prefixes may be regular expressions.
    """

    _schemes: dict[str, Callable] = {}

    @classmethod
    def _register(cls, prefixes, loader: Callable, force: bool = False) -> None:
        if isinstance(prefixes, str):
            prefixes = [prefixes]
        if not isinstance(prefixes, (list, tuple)):
            raise TypeError(f'prefixes must be a str or a list of str, got {prefixes!r}')
        for prefix in prefixes:
            if prefix in cls._schemes and not force:
                raise KeyError(f'{prefix} is already registered as a loader backend, '
                               'add "force=True" if you want to override it')
            cls._schemes[prefix] = loader
        cls._schemes = OrderedDict(sorted(cls._schemes.items(), key=lambda kv: kv[0],
                                          reverse=True))

    @classmethod
    def register_scheme(cls, prefixes, loader: Optional[Callable] = None, force: bool = False):
        """Register ``loader`` for ``prefixes``; usable as a decorator."""
        if loader is not None:
            cls._register(prefixes, loader, force=force)
            return loader

        def decorator(fn):
            cls._register(prefixes, fn, force=force)
            return fn
        return decorator

    @classmethod
    def _get_checkpoint_loader(cls, path: str) -> Callable:
        for prefix, loader in cls._schemes.items():
            if re.match(prefix, path) is not None:
                return loader
        raise KeyError(f'no checkpoint loader matches {path!r}')  # '' always matches

    @classmethod
    def load_checkpoint(cls, filename: str, map_location=None,
                        logger: Optional[Union[logging.Logger, str]] = None,
                        weights_only: bool = True) -> Any:
        filename = str(filename)
        loader = cls._get_checkpoint_loader(filename)
        name = loader.__name__[10:] if loader.__name__.startswith('load_from_') else loader.__name__
        print_log(f'{name} loads checkpoint from path: {filename}', logger=logger)
        if _accepts_weights_only(loader):
            return loader(filename, map_location, weights_only=weights_only)
        return loader(filename, map_location)  # a user loader with the documented signature


def _accepts_weights_only(loader: Callable) -> bool:
    try:
        params = inspect.signature(loader).parameters
    except (TypeError, ValueError):  # builtins without a signature
        return False
    return 'weights_only' in params or any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())


@CheckpointLoader.register_scheme(prefixes='')
def load_from_local(filename: str, map_location=None, weights_only: bool = True):
    """Load a local checkpoint file."""
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    with open(filename, 'rb') as f:
        return _torch_load(f, map_location, filename, weights_only)


def _download(url: str, model_dir: Optional[str] = None) -> str:
    """Download ``url`` into torch's hub cache (rank 0 first in distributed runs).

    The cache is the one ``torch.hub.load_state_dict_from_url`` uses
    (``$TORCH_HOME/hub/checkpoints``), so weights fetched by torchvision or by
    another run are reused.
    """
    from torch.hub import download_url_to_file, get_dir

    from engine.dist import barrier, get_dist_info
    model_dir = model_dir or osp.join(get_dir(), 'checkpoints')
    os.makedirs(model_dir, exist_ok=True)
    name = osp.basename(url.split('?')[0]) or 'checkpoint.pth'
    target = osp.join(model_dir, name)
    rank, world_size = get_dist_info()

    def fetch():
        if osp.isfile(target):
            return
        try:
            download_url_to_file(url, target, progress=False)
        except Exception as err:  # urllib raises many types; name the URL once
            raise ConnectionError(f'could not download checkpoint {url}: {err}') from err

    if rank == 0:
        fetch()
    if world_size > 1:
        barrier()
        if rank > 0:
            fetch()
    return target


@CheckpointLoader.register_scheme(prefixes=('http://', 'https://'))
def load_from_http(filename: str, map_location=None, model_dir: Optional[str] = None,
                   weights_only: bool = True):
    """Download (once, into torch's hub cache) and load a checkpoint by URL."""
    path = _download(filename, model_dir)
    with open(path, 'rb') as f:
        return _torch_load(f, map_location, filename, weights_only)


@CheckpointLoader.register_scheme(prefixes='pavi://')
def load_from_pavi(filename: str, map_location=None, weights_only: bool = True):
    try:
        from pavi import modelcloud  # noqa: F401
    except ImportError as err:
        raise ImportError(f'loading {filename} needs the pavi client: pip install pavi') from err
    raise NotImplementedError('pavi:// checkpoints are not supported by engine')


@CheckpointLoader.register_scheme(prefixes=[r'(\S+\:)?s3://', r'(\S+\:)?petrel://'])
def load_from_ceph(filename: str, map_location=None, backend: str = 'petrel',
                   weights_only: bool = True):
    """Load through engine.fileio's Petrel backend (needs petrel_client)."""
    from engine.fileio import get_file_backend
    backend = get_file_backend(filename, backend_args=dict(backend='petrel'))
    buffer = io.BytesIO(backend.get(filename))
    return _torch_load(buffer, map_location, filename, weights_only)


def _load_json(name: str) -> dict:
    with open(osp.join(_DATA_DIR, name), encoding='utf-8') as f:
        return json.load(f)


def get_torchvision_models() -> dict:
    """Names -> URLs of torchvision's pretrained weights (needs torchvision)."""
    try:
        from torchvision.models import get_model_weights, list_models
    except ImportError as err:
        raise ImportError('torchvision:// checkpoints need torchvision: pip install torchvision'
                          ) from err
    urls = {}
    for name in list_models():
        for weight in get_model_weights(name):
            urls.setdefault(name, weight.url)
            urls[f'{name}.{weight.name.lower()}'] = weight.url
    return urls


def get_external_models() -> dict:
    """The packaged ``open-mmlab://`` map, updated by ``<ENGINE_HOME>/open_mmlab.json``."""
    urls = _load_json('open_mmlab.json')
    user = osp.join(get_engine_home(), 'open_mmlab.json')
    if osp.isfile(user):
        with open(user, encoding='utf-8') as f:
            urls.update(json.load(f))
    return urls


def get_mmcls_models() -> dict:
    return _load_json('mmcls.json')


def get_deprecated_model_names() -> dict:
    return _load_json('deprecated.json')


@CheckpointLoader.register_scheme(prefixes=('torchvision://', 'modelzoo://'))
def load_from_torchvision(filename: str, map_location=None, weights_only: bool = True):
    if filename.startswith('modelzoo://'):
        warnings.warn('The URL scheme of "modelzoo://" is deprecated, please use '
                      '"torchvision://" instead', DeprecationWarning, stacklevel=2)
    name = filename.split('://', 1)[1]
    urls = get_torchvision_models()
    if name not in urls:
        raise KeyError(f'{filename}: torchvision has no pretrained weights named {name!r}')
    return load_from_http(urls[name], map_location, weights_only=weights_only)


@CheckpointLoader.register_scheme(prefixes=('open-mmlab://', 'openmmlab://'))
def load_from_openmmlab(filename: str, map_location=None, weights_only: bool = True):
    prefix = 'open-mmlab://' if filename.startswith('open-mmlab://') else 'openmmlab://'
    name = filename[len(prefix):]
    deprecated = get_deprecated_model_names()
    if name in deprecated:
        warnings.warn(f'{prefix}{name} is deprecated in favor of {prefix}{deprecated[name]}',
                      DeprecationWarning, stacklevel=2)
        name = deprecated[name]
    urls = get_external_models()
    if name not in urls:
        raise KeyError(f'{filename}: no external model named {name!r}; add it to '
                       f'{osp.join(get_engine_home(), "open_mmlab.json")}')
    target = urls[name]
    if target.startswith(('http://', 'https://')):
        return load_from_http(target, map_location, weights_only=weights_only)
    path = osp.join(get_engine_home(), target)
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path} can not be found.')
    return load_from_local(path, map_location, weights_only=weights_only)


@CheckpointLoader.register_scheme(prefixes='mmcls://')
def load_from_mmcls(filename: str, map_location=None, weights_only: bool = True):
    name = filename[len('mmcls://'):]
    urls = get_mmcls_models()
    if name not in urls:
        raise KeyError(f'{filename}: no mmcls model named {name!r}')
    checkpoint = load_from_http(urls[name], map_location, weights_only=weights_only)
    state_dict = checkpoint.get('state_dict', checkpoint)
    return {'state_dict': OrderedDict((k[9:], v) for k, v in state_dict.items()
                                      if k.startswith('backbone.'))}


def _load_checkpoint(filename: str, map_location=None, logger=None, weights_only: bool = True):
    """Load any supported checkpoint path into a Python object."""
    return CheckpointLoader.load_checkpoint(filename, map_location, logger,
                                            weights_only=weights_only)


def load_checkpoint(model: nn.Module, filename: Optional[str] = None, map_location=None,
                    strict: bool = False, logger=None, revise_keys=((r'^module\.', ''),),
                    weights_only: bool = True) -> dict:
    """Load the weights of ``filename`` into ``model`` and return the checkpoint.

    ``load_checkpoint(filename)``, as the seed's fileio chapter (§19.3) writes it,
    only reads the checkpoint and returns it.
    """
    if filename is None:
        if not isinstance(model, (str, os.PathLike)):
            raise TypeError('load_checkpoint(model, filename) needs the checkpoint filename; '
                            f'got only {type(model).__name__}')
        return _load_checkpoint(os.fspath(model), map_location, logger,
                                weights_only=weights_only)
    checkpoint = _load_checkpoint(filename, map_location, logger, weights_only=weights_only)
    if not isinstance(checkpoint, dict):
        raise RuntimeError(f'No state_dict found in checkpoint file {filename}')
    state_dict = checkpoint.get('state_dict', checkpoint)
    state_dict = _revise_keys(state_dict, revise_keys)
    load_state_dict(model, state_dict, strict, logger)
    return checkpoint


def _load_checkpoint_with_prefix(prefix: str, filename: str, map_location=None) -> dict:
    """The state dict entries of ``filename`` under ``prefix``, with the prefix removed.

    Lives with PretrainedInit (engine.model.weight_init), which uses it; also
    reachable here, where the reference keeps it.
    """
    from engine.model.weight_init import _load_checkpoint_with_prefix as load_with_prefix
    return load_with_prefix(prefix, filename, map_location=map_location)


def _revise_keys(state_dict: dict, revise_keys) -> OrderedDict:
    metadata = getattr(state_dict, '_metadata', None)
    revised = OrderedDict(state_dict)
    for pattern, replacement in revise_keys:
        revised = OrderedDict((re.sub(pattern, replacement, k), v) for k, v in revised.items())
    if metadata is not None:
        revised._metadata = metadata  # type: ignore[attr-defined]
    return revised


# --------------------------------------------------------------------- saving
def _atomic_torch_save(obj: Any, filename: str) -> None:
    folder = osp.dirname(osp.abspath(filename))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f'.{osp.basename(filename)}.', suffix='.tmp', dir=folder)
    try:
        with os.fdopen(fd, 'wb') as f:
            torch.save(obj, f)
        os.replace(tmp, filename)
    except BaseException:
        with _suppress_os_error():
            os.remove(tmp)
        raise


class _suppress_os_error:
    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        return exc_type is not None and issubclass(exc_type, OSError)


def save_checkpoint(checkpoint: dict, filename: str, file_client_args: Optional[dict] = None,
                    backend_args: Optional[dict] = None) -> None:
    """Save ``checkpoint`` to ``filename`` (a local path or any engine.fileio URI).

    Local files are written atomically; other backends receive the bytes in
    one ``put``.
    """
    check_args_conflict(file_client_args, backend_args)
    filename = str(filename)
    if filename.startswith('pavi://'):
        if file_client_args is not None or backend_args is not None:
            raise ValueError('"file_client_args" or "backend_args" should be "None" if '
                             'filename starts with "pavi://"')
        raise ImportError('saving to pavi:// needs the pavi client: pip install pavi')
    if is_local_target(filename, file_client_args, backend_args):
        write_checkpoint(checkpoint, filename)
    else:
        from engine.fileio import file_backend_for
        write_checkpoint(checkpoint, filename,
                         file_backend_for(filename, file_client_args, backend_args))


def is_local_target(path: str, file_client_args: Optional[dict],
                    backend_args: Optional[dict]) -> bool:
    """Whether ``path`` with these (already checked) arguments is a local file."""
    args = backend_args if backend_args is not None else file_client_args
    return '://' not in str(path) and (args or {}).get('backend') in (None, 'local', 'disk')


def write_checkpoint(checkpoint: dict, filename: str, backend: Any = None) -> None:
    """The writing half of :func:`save_checkpoint`. Without ``backend``, a local
    file streamed into a temp file beside the target, then renamed; else one ``put``."""
    if backend is None:
        _atomic_torch_save(checkpoint, filename)
        return
    buffer = io.BytesIO()
    torch.save(checkpoint, buffer)
    backend.put(buffer.getvalue(), filename)


def find_latest_checkpoint(path: str) -> Optional[str]:
    """The checkpoint named by ``path/last_checkpoint``, or None."""
    save_file = osp.join(path, 'last_checkpoint')
    if not osp.exists(save_file):
        print_log('Did not find last_checkpoint to be resumed.')
        return None
    with open(save_file, encoding='utf-8') as f:  # written as utf-8 by CheckpointHook
        return f.read().strip() or None
