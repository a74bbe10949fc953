"""Checkpoint utilities without a Runner: the loader registry, the local,
http(s) and open-mmlab schemes (served by a real http.server on 127.0.0.1),
safe loading, atomic saving and the state-dict helpers (CKPT-01..09)."""

from __future__ import annotations

import argparse
import json
import os
from collections import OrderedDict

import pytest
import torch
import torch.nn as nn

from engine.runner import (
    CheckpointError,
    CheckpointLoader,
    find_latest_checkpoint,
    get_deprecated_model_names,
    get_external_models,
    get_mmcls_models,
    get_state_dict,
    load_checkpoint,
    load_state_dict,
    save_checkpoint,
    weights_to_cpu,
)
from engine.runner.checkpoint import get_engine_home


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 3)
        self.bn = nn.BatchNorm1d(3)


def _weights(seed: int = 0) -> OrderedDict:
    torch.manual_seed(seed)
    return Net().state_dict()


# ------------------------------------------------------------------ fixtures
@pytest.fixture
def engine_home(tmp_path, monkeypatch):
    home = tmp_path / 'engine_home'
    monkeypatch.setenv('ENGINE_HOME', str(home))
    monkeypatch.delenv('MMENGINE_HOME', raising=False)
    return home


# ----------------------------------------------------------- local loading
def test_local_load_strips_module_prefix_and_reports_mismatch(tmp_path, capsys):
    sd = _weights(1)
    path = tmp_path / 'wrapped.pth'
    torch.save({'state_dict': {f'module.{k}': v for k, v in sd.items()}}, path)

    model = Net()
    ckpt = load_checkpoint(model, str(path))
    assert set(ckpt) == {'state_dict'}
    for key, value in model.state_dict().items():
        assert torch.equal(value, sd[key]), key
    out = capsys.readouterr().out
    assert 'do not match' not in out

    # without the default revision the keys cannot match
    load_checkpoint(Net(), str(path), revise_keys=[])
    out = capsys.readouterr().out
    assert 'The model and loaded state dict do not match exactly' in out
    assert 'unexpected key in source state_dict: module.linear.weight' in out
    assert 'missing keys in source state_dict: linear.weight, linear.bias' in out

    with pytest.raises(RuntimeError, match='missing keys in source state_dict') as info:
        load_checkpoint(Net(), str(path), strict=True, revise_keys=[])
    assert 'module.linear.weight' in str(info.value)


def test_revise_keys_custom_pattern(tmp_path):
    sd = _weights(2)
    path = tmp_path / 'backbone.pth'
    torch.save({f'backbone.{k}': v for k, v in sd.items()}, path)  # a bare state dict
    model = Net()
    load_checkpoint(model, str(path), strict=True, revise_keys=[(r'^backbone\.', '')])
    assert torch.equal(model.linear.weight, sd['linear.weight'])


def test_missing_local_file(tmp_path):
    missing = str(tmp_path / 'missing.pth')
    with pytest.raises(FileNotFoundError, match=r'missing\.pth can not be found'):
        load_checkpoint(Net(), missing)


def test_non_dict_checkpoint_is_rejected(tmp_path):
    path = tmp_path / 'list.pth'
    torch.save([torch.zeros(1)], path)
    with pytest.raises(RuntimeError, match=f'No state_dict found in checkpoint file {path}'):
        load_checkpoint(Net(), str(path))


def test_map_location(tmp_path):
    path = tmp_path / 'w.pth'
    save_checkpoint({'state_dict': _weights()}, str(path))
    ckpt = CheckpointLoader.load_checkpoint(str(path), map_location='meta')
    assert ckpt['state_dict']['linear.weight'].device.type == 'meta'


def test_truncated_checkpoint_names_the_file(tmp_path):
    path = tmp_path / 'torn.pth'
    save_checkpoint({'state_dict': _weights()}, str(path))
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    with pytest.raises(CheckpointError, match='torn.pth') as info:
        load_checkpoint(Net(), str(path))
    assert isinstance(info.value, RuntimeError)
    assert 'truncated or corrupt' in str(info.value)

    empty = tmp_path / 'empty.pth'
    empty.write_bytes(b'')
    with pytest.raises(CheckpointError, match='empty.pth'):
        CheckpointLoader.load_checkpoint(str(empty))


def test_pickled_object_needs_weights_only_false(tmp_path):
    path = tmp_path / 'foreign.pth'
    sd = _weights(3)
    torch.save({'state_dict': sd, 'args': argparse.Namespace(lr=0.1)}, path)
    with pytest.raises(CheckpointError, match='weights_only=False') as info:
        load_checkpoint(Net(), str(path))
    assert 'foreign.pth' in str(info.value)

    model = Net()
    ckpt = load_checkpoint(model, str(path), weights_only=False)
    assert ckpt['args'].lr == 0.1
    assert torch.equal(model.linear.bias, sd['linear.bias'])


# ------------------------------------------------------------ http schemes
@pytest.fixture
def torch_home(tmp_path, monkeypatch):
    home = tmp_path / 'torch_home'
    monkeypatch.setenv('TORCH_HOME', str(home))
    return home


def test_http_download_into_torch_hub_cache(torch_home, http_root):
    root, url = http_root
    sd = _weights(4)
    torch.save({'state_dict': sd}, root / 'remote.pth')

    model = Net()
    load_checkpoint(model, f'{url}/remote.pth', strict=True)
    assert torch.equal(model.linear.weight, sd['linear.weight'])
    # where torch.hub.load_state_dict_from_url keeps its downloads (CKPT-02)
    cached = torch_home / 'hub' / 'checkpoints' / 'remote.pth'
    assert cached.is_file()
    # the cached copy is used afterwards, even when the server no longer has it
    (root / 'remote.pth').unlink()
    again = CheckpointLoader.load_checkpoint(f'{url}/remote.pth')
    assert torch.equal(again['state_dict']['linear.bias'], sd['linear.bias'])


def test_http_missing_file_names_the_url(torch_home, http_root):
    _, url = http_root
    with pytest.raises(ConnectionError, match=f'{url}/nope.pth'):
        CheckpointLoader.load_checkpoint(f'{url}/nope.pth')
    assert not (torch_home / 'hub' / 'checkpoints' / 'nope.pth').exists()


def test_open_mmlab_through_user_json(engine_home, http_root):
    assert get_engine_home() == str(engine_home)  # ENGINE_HOME names the engine's cache
    root, url = http_root
    sd = _weights(5)
    torch.save({'state_dict': sd}, root / 'toy_remote.pth')
    engine_home.mkdir(parents=True, exist_ok=True)
    local = engine_home / 'local_models'
    local.mkdir()
    torch.save({'state_dict': _weights(6)}, local / 'toy_local.pth')
    user_map = {'toy_remote': f'{url}/toy_remote.pth',
                'toy_local': 'local_models/toy_local.pth',
                'toy_gone': 'local_models/gone.pth',
                # the target of a packaged deprecated name
                'detectron/resnet50_caffe': f'{url}/toy_remote.pth'}
    (engine_home / 'open_mmlab.json').write_text(json.dumps(user_map))

    models = get_external_models()
    assert models['toy_remote'] == f'{url}/toy_remote.pth'
    assert 'vgg16_caffe' in models  # packaged entries stay

    for scheme in ('open-mmlab://', 'openmmlab://'):
        model = Net()
        load_checkpoint(model, f'{scheme}toy_remote', strict=True)
        assert torch.equal(model.linear.weight, sd['linear.weight'])

    ckpt = CheckpointLoader.load_checkpoint('open-mmlab://toy_local')
    assert torch.equal(ckpt['state_dict']['linear.weight'], _weights(6)['linear.weight'])

    assert 'resnet50_caffe' in get_deprecated_model_names()
    with pytest.warns(DeprecationWarning, match='deprecated'):
        ckpt = CheckpointLoader.load_checkpoint('open-mmlab://resnet50_caffe')
    assert torch.equal(ckpt['state_dict']['linear.bias'], sd['linear.bias'])

    with pytest.raises(FileNotFoundError, match='gone.pth'):
        CheckpointLoader.load_checkpoint('open-mmlab://toy_gone')
    with pytest.raises(KeyError, match='no_such_model'):
        CheckpointLoader.load_checkpoint('open-mmlab://no_such_model')


def test_packaged_model_maps():
    assert all(v.startswith('https://') for v in get_external_models().values())
    assert 'resnet50' in get_mmcls_models()


# ------------------------------------------------------- scheme registry
def test_register_scheme_rules(tmp_path):
    calls = []

    def load_from_toy(filename, map_location=None, weights_only=True):
        calls.append(filename)
        return {'state_dict': {}}

    try:
        with pytest.raises(KeyError, match='http:// is already registered as a loader '
                           'backend, add "force=True"'):
            CheckpointLoader.register_scheme('http://', load_from_toy)

        CheckpointLoader.register_scheme(['toy://', 'toy2://'], load_from_toy)
        assert CheckpointLoader.load_checkpoint('toy://a') == {'state_dict': {}}

        # the decorator form, with a longer prefix that must win over 'toy://'
        @CheckpointLoader.register_scheme(prefixes='toy://special/')
        def load_from_special(filename, map_location=None, weights_only=True):
            return 'special'

        assert CheckpointLoader.load_checkpoint('toy://special/x') == 'special'
        assert CheckpointLoader.load_checkpoint('toy2://b') == {'state_dict': {}}
        assert calls == ['toy://a', 'toy2://b']
        prefixes = list(CheckpointLoader._schemes)
        assert prefixes == sorted(prefixes, reverse=True)

        # force=True replaces an existing loader; regex prefixes work
        CheckpointLoader.register_scheme('toy://', lambda f, m=None, weights_only=True: 'forced',
                                         force=True)
        assert CheckpointLoader.load_checkpoint('toy://a') == 'forced'
        CheckpointLoader.register_scheme(r'(\w+\:)?rx://', lambda f, m=None, weights_only=True:
                                         'regex')
        assert CheckpointLoader.load_checkpoint('abc:rx://z') == 'regex'
        with pytest.raises(TypeError, match='prefixes'):
            CheckpointLoader.register_scheme(3, load_from_toy)
    finally:
        for prefix in ('toy://', 'toy2://', 'toy://special/', r'(\w+\:)?rx://'):
            CheckpointLoader._schemes.pop(prefix, None)

    # an unmatched path falls back to the local loader
    with pytest.raises(FileNotFoundError):
        CheckpointLoader.load_checkpoint(str(tmp_path / 'toy:/x.pth'))


def test_user_loader_with_the_documented_two_argument_signature(tmp_path):
    """A loader written as in the API docs, ``fn(filename, map_location)``, is called
    without engine's extra ``weights_only`` keyword."""
    try:
        @CheckpointLoader.register_scheme(prefixes='plain://')
        def load_from_plain(filename, map_location):
            return {'state_dict': {'weight': torch.ones(1, 1)}, 'from': filename}

        assert CheckpointLoader.load_checkpoint('plain://w')['from'] == 'plain://w'
        model = nn.Linear(1, 1, bias=False)
        load_checkpoint(model, 'plain://w')
        assert model.weight.item() == 1
    finally:
        CheckpointLoader._schemes.pop('plain://', None)


def test_load_logs_the_loader(tmp_path, capsys):
    path = tmp_path / 'w.pth'
    save_checkpoint({'state_dict': _weights()}, str(path))
    CheckpointLoader.load_checkpoint(str(path))
    assert f'local loads checkpoint from path: {path}' in capsys.readouterr().out
    CheckpointLoader.load_checkpoint(str(path), logger='silent')
    assert capsys.readouterr().out == ''


# ------------------------------------------------------------------ saving
def test_save_roundtrip_is_weights_only(tmp_path):
    path = tmp_path / 'sub' / 'ckpt.pth'  # missing folders are created
    checkpoint = {'meta': {'epoch': 1, 'cfg': 'x = 1'}, 'state_dict': _weights(7)}
    save_checkpoint(checkpoint, str(path))
    loaded = torch.load(path, weights_only=True)
    assert loaded['meta'] == {'epoch': 1, 'cfg': 'x = 1'}
    assert torch.equal(loaded['state_dict']['linear.weight'],
                       checkpoint['state_dict']['linear.weight'])
    assert os.listdir(path.parent) == ['ckpt.pth']


class _Unpicklable:
    def __reduce__(self):
        raise RuntimeError('cannot pickle me')


def test_failed_save_keeps_previous_file_and_leaves_no_temp(tmp_path):
    path = tmp_path / 'ckpt.pth'
    save_checkpoint({'state_dict': _weights(8)}, str(path))
    before = path.read_bytes()
    big = {f'w{i}': torch.randn(256, 256) for i in range(4)}  # bytes hit the file first
    with pytest.raises(RuntimeError, match='cannot pickle me'):
        save_checkpoint({'state_dict': big, 'zz': _Unpicklable()}, str(path))
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ['ckpt.pth']
    ckpt = torch.load(path, weights_only=True)
    assert torch.equal(ckpt['state_dict']['linear.weight'], _weights(8)['linear.weight'])


def test_save_through_a_file_backend(tmp_path):
    path = tmp_path / 'backend.pth'
    save_checkpoint({'x': torch.ones(2)}, str(path), backend_args=dict(backend='local'))
    assert torch.equal(torch.load(path, weights_only=True)['x'], torch.ones(2))
    with pytest.warns(DeprecationWarning, match='file_client_args'):
        save_checkpoint({'x': torch.zeros(2)}, str(path), file_client_args=dict(backend='disk'))
    assert torch.equal(torch.load(path, weights_only=True)['x'], torch.zeros(2))


def test_save_argument_errors(tmp_path):
    with pytest.raises(ValueError, match='cannot be set at the same time'), \
            pytest.warns(DeprecationWarning):
        save_checkpoint({}, str(tmp_path / 'a.pth'), file_client_args={}, backend_args={})
    with pytest.raises(ValueError, match='pavi://'):
        save_checkpoint({}, 'pavi://x/a.pth', backend_args={})
    assert os.listdir(tmp_path) == []


# --------------------------------------------------------- state-dict helpers
class _Wrapper(nn.Module):
    """A registered model wrapper (like DDP) with a ``module`` attribute."""

    def __init__(self, module):
        super().__init__()
        self.module = module


@pytest.fixture
def wrapper_cls():
    from engine.registry import MODEL_WRAPPERS
    MODEL_WRAPPERS.register_module(name='_CkptTestWrapper', module=_Wrapper, force=True)
    yield _Wrapper
    MODEL_WRAPPERS.module_dict.pop('_CkptTestWrapper', None)


def test_get_state_dict_unwraps_at_every_level(wrapper_cls):
    inner = Net()
    outer = nn.Sequential(wrapper_cls(inner), nn.Linear(3, 1))
    sd = get_state_dict(outer)
    plain = nn.Sequential(inner, outer[1]).state_dict()
    assert list(sd) == list(plain)
    assert all('module' not in key for key in sd)
    assert sd._metadata['0.bn']['version'] == plain._metadata['0.bn']['version']
    assert list(get_state_dict(wrapper_cls(inner))) == list(inner.state_dict())
    kept = get_state_dict(inner, keep_vars=True)
    assert kept['linear.weight'] is inner.linear.weight


def test_get_state_dict_honours_state_dict_hooks():
    net = Net()

    def drop_bias(module, state_dict, prefix, local_metadata):
        state_dict.pop(prefix + 'bias', None)

    net.linear._register_state_dict_hook(drop_bias)
    assert 'linear.bias' not in get_state_dict(net)
    assert 'linear.weight' in get_state_dict(net)


def test_load_state_dict_through_wrapper(wrapper_cls, capsys):
    sd = _weights(9)
    model = wrapper_cls(Net())
    load_state_dict(model, sd, strict=True)
    assert torch.equal(model.module.linear.weight, sd['linear.weight'])

    # num_batches_tracked is never reported missing
    partial = OrderedDict((k, v) for k, v in sd.items() if 'num_batches' not in k)
    load_state_dict(model, partial, strict=True)
    assert capsys.readouterr().out == ''

    extra = dict(sd, extra=torch.zeros(1))
    import logging
    records = []

    class _Collect(logging.Handler):
        def emit(self, record):
            records.append(record)

    logger = logging.getLogger('engine.test_ckpt_io')
    handler = _Collect()
    logger.addHandler(handler)
    try:
        load_state_dict(model, extra, logger=logger)
    finally:
        logger.removeHandler(handler)
    assert len(records) == 1 and records[0].levelno == logging.WARNING
    assert 'unexpected key in source state_dict: extra' in records[0].getMessage()


def test_weights_to_cpu_keeps_keys_and_metadata():
    sd = Net().state_dict()
    cpu = weights_to_cpu(sd)
    assert isinstance(cpu, OrderedDict)
    assert list(cpu) == list(sd)
    assert cpu._metadata is sd._metadata
    assert all(v.device.type == 'cpu' for v in cpu.values())
    mixed = weights_to_cpu({'a': torch.ones(1), 'n': 3})
    assert mixed['n'] == 3 and torch.equal(mixed['a'], torch.ones(1))


def test_find_latest_checkpoint(tmp_path, capsys):
    assert find_latest_checkpoint(str(tmp_path)) is None
    assert 'Did not find last_checkpoint to be resumed.' in capsys.readouterr().out
    (tmp_path / 'last_checkpoint').write_text(f'  {tmp_path}/epoch_3.pth\n')
    assert find_latest_checkpoint(str(tmp_path)) == f'{tmp_path}/epoch_3.pth'


def test_save_to_a_remote_backend_puts_the_bytes():
    fsspec = pytest.importorskip('fsspec')
    target = 'memory://engine_ckpt_test/remote.pth'
    save_checkpoint({'x': torch.arange(3)}, target)
    with fsspec.open(target, 'rb') as f:
        import io
        loaded = torch.load(io.BytesIO(f.read()), weights_only=True)
    assert torch.equal(loaded['x'], torch.arange(3))


def test_optional_client_schemes_name_what_is_missing():
    try:
        import pavi  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match='pavi'):
            CheckpointLoader.load_checkpoint('pavi://model/a.pth')
    try:
        import petrel_client  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match='petrel'):
            CheckpointLoader.load_checkpoint('s3://bucket/a.pth')


def test_torchvision_and_mmcls_schemes_name_what_is_missing():
    try:
        import torchvision  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match='torchvision:// checkpoints need torchvision'):
            CheckpointLoader.load_checkpoint('torchvision://resnet18')
        with pytest.warns(DeprecationWarning, match='modelzoo://'), \
                pytest.raises(ImportError, match='pip install torchvision'):
            CheckpointLoader.load_checkpoint('modelzoo://resnet18')
    # the mmcls names come with the package: an unknown one fails before any download
    with pytest.raises(KeyError, match="mmcls://no_such_net: no mmcls model named 'no_such_net'"):
        CheckpointLoader.load_checkpoint('mmcls://no_such_net')
