"""The checkpoint utilities (CKPT-01, 03, 04, 07, model-dataset's
``_load_checkpoint_with_prefix``): reference behaviours other tests leave open."""

from __future__ import annotations

import logging
from collections import OrderedDict

import pytest
import torch
import torch.nn as nn

from engine.model import BaseTTAModel
from engine.registry import MODEL_WRAPPERS
from engine.runner import (
    CheckpointLoader,
    get_state_dict,
    load_checkpoint,
    load_state_dict,
    save_checkpoint,
    weights_to_cpu,
)
from engine.runner.checkpoint import _load_checkpoint_with_prefix


class Net(nn.Module):
    def __init__(self, classes: int = 3):
        super().__init__()
        self.backbone = nn.Linear(2, 4)
        self.bn = nn.BatchNorm1d(4)
        self.head = nn.Linear(4, classes)

    def test_step(self, data):  # lets BaseTTAModel wrap it
        return data


class _Wrapper(nn.Module):
    def __init__(self, module):
        super().__init__()
        self.module = module


class _TTA(BaseTTAModel):
    def merge_preds(self, data_samples_list):
        return data_samples_list[0]


@pytest.fixture
def wrapper_cls():
    MODEL_WRAPPERS.register_module(name='_Audit2CkptWrapper', module=_Wrapper, force=True)
    yield _Wrapper
    MODEL_WRAPPERS.module_dict.pop('_Audit2CkptWrapper', None)


def _collect_warnings(name):
    records = []

    class Collect(logging.Handler):
        def emit(self, record):
            records.append(record)

    logger = logging.getLogger(name)
    logger.addHandler(Collect())
    logger.propagate = False
    return logger, records


# ------------------------------------------------------------------ CKPT-04
def test_shape_mismatch_is_reported_not_raised_unless_strict(capsys):
    """A pretrained model with another head: the backbone loads, the head is
    named in the warning (torch itself would raise even with strict=False)."""
    torch.manual_seed(0)
    source = Net(classes=10).state_dict()
    model = Net(classes=3)
    head_before = model.head.weight.clone()
    load_state_dict(model, source)
    out = capsys.readouterr().out
    assert out.startswith('The model and loaded state dict do not match exactly')
    assert 'size mismatch for head.weight' in out and 'size mismatch for head.bias' in out
    assert torch.equal(model.backbone.weight, source['backbone.weight'])
    assert torch.equal(model.bn.running_mean, source['bn.running_mean'])
    assert torch.equal(model.head.weight, head_before)  # the mismatched tensors are left alone

    logger, records = _collect_warnings('engine.test_audit2_ckpt_shape')
    load_state_dict(Net(classes=3), source, logger=logger)
    assert [r.levelno for r in records] == [logging.WARNING]
    assert 'size mismatch for head.weight' in records[0].getMessage()

    with pytest.raises(RuntimeError, match='size mismatch for head.weight'):
        load_state_dict(Net(classes=3), source, strict=True)


def test_load_checkpoint_with_another_head(tmp_path, capsys):
    torch.manual_seed(1)
    source = Net(classes=10)
    path = tmp_path / 'pretrained.pth'
    save_checkpoint({'state_dict': source.state_dict()}, str(path))
    model = Net(classes=3)
    ckpt = load_checkpoint(model, str(path))
    assert set(ckpt) == {'state_dict'}
    assert torch.equal(model.backbone.bias, source.backbone.bias)
    assert 'size mismatch for head.weight' in capsys.readouterr().out


def test_wrappers_are_looked_through_at_every_level(wrapper_cls, capsys):
    torch.manual_seed(2)
    plain = nn.Sequential(Net(), nn.Linear(3, 1))
    source = plain.state_dict()
    nested = nn.Sequential(wrapper_cls(Net()), nn.Linear(3, 1))
    load_state_dict(nested, source, strict=True)
    assert torch.equal(nested[0].module.head.weight, source['0.head.weight'])
    # the inverse direction of get_state_dict: wrapped -> bare keys -> wrapped
    assert list(get_state_dict(nested)) == list(source)
    load_state_dict(wrapper_cls(wrapper_cls(plain)), get_state_dict(nested), strict=True)
    assert capsys.readouterr().out == ''


def test_base_tta_model_is_looked_through():
    torch.manual_seed(3)
    source = Net().state_dict()
    tta = _TTA(module=Net())
    load_state_dict(tta, source, strict=True)
    assert torch.equal(tta.module.backbone.weight, source['backbone.weight'])


def test_missing_and_unexpected_keys_and_num_batches_tracked(capsys):
    source = Net().state_dict()
    source.pop('bn.num_batches_tracked')
    source.pop('head.bias')
    source['extra.weight'] = torch.zeros(1)
    model = Net()
    load_state_dict(model, source)
    out = capsys.readouterr().out
    assert 'unexpected key in source state_dict: extra.weight' in out
    assert 'missing keys in source state_dict: head.bias' in out
    assert 'num_batches_tracked' not in out


def test_load_hooks_and_version_metadata_are_honoured():
    """The walk calls the modules' own loading code: pre/post hooks run, and an
    old BatchNorm state dict (version 1, no num_batches_tracked) is upgraded."""
    seen = []
    model = Net()
    model.head._register_load_state_dict_pre_hook(
        lambda state_dict, prefix, *args: seen.append(('pre', prefix)))
    model.head.register_load_state_dict_post_hook(
        lambda module, incompatible: seen.append(('post', type(module).__name__)))
    source = Net().state_dict()
    source.pop('bn.num_batches_tracked')
    source._metadata['bn'] = dict(version=1)
    load_state_dict(model, source, strict=True)
    assert seen == [('pre', 'head.'), ('post', 'Linear')]
    assert model.bn.num_batches_tracked.item() == 0


def test_caller_state_dict_is_not_modified():
    model = Net()

    def rename(state_dict, prefix, *args):
        state_dict[prefix + 'weight'] = state_dict.pop(prefix + 'w')

    model.head._register_load_state_dict_pre_hook(rename)
    source = Net().state_dict()
    source['head.w'] = source.pop('head.weight')
    keys = list(source)
    load_state_dict(model, source, strict=True)
    assert list(source) == keys
    assert torch.equal(model.head.weight, source['head.w'])


def test_non_mapping_state_dict_is_a_type_error():
    with pytest.raises(TypeError, match='dict-like'):
        load_state_dict(Net(), [('head.weight', torch.zeros(3, 4))])


# ------------------------------------------------------------------ CKPT-07
def test_weights_to_cpu_always_has_metadata():
    cpu = weights_to_cpu({'a': torch.ones(1)})
    assert cpu._metadata == OrderedDict()
    sd = Net().state_dict()
    assert weights_to_cpu(sd)._metadata is sd._metadata


# ---------------------------------------------- _load_checkpoint_with_prefix
def test_load_checkpoint_with_prefix_from_the_runner_module(tmp_path):
    torch.manual_seed(4)
    model = Net()
    path = tmp_path / 'model.pth'
    torch.save(model.state_dict(), path)
    for prefix in ('backbone', 'backbone.'):
        state_dict = _load_checkpoint_with_prefix(prefix, str(path))
        assert set(state_dict) == {'weight', 'bias'}
        assert torch.equal(state_dict['weight'], model.backbone.weight)
    with pytest.raises(AssertionError, match='back. is not in the pretrained model'):
        _load_checkpoint_with_prefix('back', str(path))


# ------------------------------------------------------------------ CKPT-01
@pytest.mark.parametrize('filename, loader', [
    ('http://xx.xx/xx.pth', 'load_from_http'),
    ('https://xx.xx/xx.pth', 'load_from_http'),
    ('modelzoo://xx.xx/xx.pth', 'load_from_torchvision'),
    ('torchvision://xx.xx/xx.pth', 'load_from_torchvision'),
    ('open-mmlab://xx.xx/xx.pth', 'load_from_openmmlab'),
    ('openmmlab://xx.xx/xx.pth', 'load_from_openmmlab'),
    ('mmcls://xx.xx/xx.pth', 'load_from_mmcls'),
    ('pavi://xx.xx/xx.pth', 'load_from_pavi'),
    ('s3://xx.xx/xx.pth', 'load_from_ceph'),
    ('ss3://xx.xx/xx.pth', 'load_from_local'),
    (' s3://xx.xx/xx.pth', 'load_from_local'),
    ('open-mmlab:s3://xx.xx/xx.pth', 'load_from_ceph'),
    ('openmmlab:s3://xx.xx/xx.pth', 'load_from_ceph'),
    ('petrel://xx.xx/xx.pth', 'load_from_ceph'),
    ('cluster:petrel://xx.xx/xx.pth', 'load_from_ceph'),
    ('./work_dir/epoch_1.pth', 'load_from_local'),
])
def test_scheme_lookup(filename, loader):
    assert CheckpointLoader._get_checkpoint_loader(filename).__name__ == loader


def test_more_specific_prefix_wins_whatever_the_registration_order():
    try:
        @CheckpointLoader.register_scheme(prefixes='a/b')
        def load_from_ab(filename, map_location):
            return dict(filename=filename)

        @CheckpointLoader.register_scheme(prefixes='a/b/c')
        def load_from_abc(filename, map_location):
            return dict(filename=filename)

        assert CheckpointLoader._get_checkpoint_loader('a/b/c/d').__name__ == 'load_from_abc'
        assert CheckpointLoader._get_checkpoint_loader('a/b/d').__name__ == 'load_from_ab'
        assert CheckpointLoader.load_checkpoint('a/b/c/d') == {'filename': 'a/b/c/d'}
    finally:
        CheckpointLoader._schemes.pop('a/b', None)
        CheckpointLoader._schemes.pop('a/b/c', None)


def test_module_versions_reach_the_modules_own_upgrade_code(tmp_path):
    """A model class that renamed its layers upgrades old checkpoints in its own
    ``_load_from_state_dict`` (keyed on the saved ``_metadata`` version); the
    renamed keys must reach its children, through a saved file."""
    class Old(nn.Module):
        def __init__(self):
            super().__init__()
            self.first = nn.Linear(2, 2)
            self.second = nn.Linear(2, 2)

    class New(nn.Module):
        _version = 2

        def __init__(self):
            super().__init__()
            self.stem = nn.Linear(2, 2)
            self.first = nn.Linear(2, 2)

        def _load_from_state_dict(self, state_dict, prefix, local_metadata, *args):
            if local_metadata.get('version', 1) < 2:
                renames = {'first.': 'stem.', 'second.': 'first.'}
                for key in [k for k in state_dict if k.startswith(prefix)]:
                    rest = key[len(prefix):]
                    for old, new in renames.items():
                        if rest.startswith(old):
                            state_dict[prefix + new + rest[len(old):]] = state_dict.pop(key)
            super()._load_from_state_dict(state_dict, prefix, local_metadata, *args)

    torch.manual_seed(5)
    old, new = Old(), New()
    save_checkpoint(old.state_dict(), str(tmp_path / 'v1.pth'))
    save_checkpoint(new.state_dict(), str(tmp_path / 'v2.pth'))
    fresh = New()
    load_checkpoint(fresh, str(tmp_path / 'v1.pth'), strict=True)
    assert torch.equal(fresh.stem.weight, old.first.weight)
    assert torch.equal(fresh.first.weight, old.second.weight)
    load_checkpoint(fresh, str(tmp_path / 'v2.pth'), strict=True)
    assert torch.equal(fresh.stem.weight, new.stem.weight)
    assert torch.equal(fresh.first.bias, new.first.bias)


# ------------------------------------------------------------------ CKPT-05
def test_get_state_dict_runs_state_dict_pre_hooks(wrapper_cls):
    """Pre-hooks (FSDP and friends gather weights in them) run as in ``state_dict()``."""
    seen = []
    net = Net()
    net.head.register_state_dict_pre_hook(
        lambda module, prefix, keep_vars: seen.append((type(module).__name__, prefix)))
    sd = get_state_dict(wrapper_cls(net))
    assert seen == [('Linear', 'head.')]
    assert list(sd) == list(net.state_dict())
