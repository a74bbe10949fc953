"""DictAction parsing and merge_from_dict (ACT-01..04, CFG-22/23)."""

import argparse

import pytest

from engine.config import Config, ConfigDict, DictAction


def parse(*tokens):
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(['--cfg-options', *tokens]).cfg_options


def test_scalars_and_iterables_ts19():
    assert parse('a=1,2,3', 'b=[a,b]', 'c=(1,2)', 'd="[(a,b),(c,d)]"', 'e=True', 'f=false',
                 'g=None', 'i=1.5', 'j=abc', 'o=x=y') == {
        'a': [1, 2, 3], 'b': ['a', 'b'], 'c': (1, 2), 'd': [('a', 'b'), ('c', 'd')],
        'e': True, 'f': False, 'g': None, 'i': 1.5, 'j': 'abc', 'o': 'x=y'}


def test_scalar_rules_act02():
    assert parse('a=1', 'b=0.1', 'c=1e3', 'd=TRUE', 'e=none', 'f="a b"', "g='x'") == {
        'a': 1, 'b': 0.1, 'c': 1000.0, 'd': True, 'e': 'none', 'f': 'ab', 'g': 'x'}
    assert type(parse('a=1')['a']) is int


def test_nesting_and_edge_cases_act03():
    assert parse('a=[(1, 2, 3), [a, b], c]')['a'] == [(1, 2, 3), ['a', 'b'], 'c']
    assert parse('a=[]', 'b=()', 'c=(1)', 'd=1,')  == {'a': [], 'b': (), 'c': (1,), 'd': [1]}
    assert parse('a=[[1,[2,(3,)]],4]')['a'] == [[1, [2, (3,)]], 4]


def test_unbalanced_brackets_act04():
    with pytest.raises(AssertionError, match=r'Imbalanced brackets exist in \[1,2'):
        parse('a=[1,2')


def test_token_without_equals_act01():
    with pytest.raises(ValueError, match="expected KEY=VALUE, got 'oops'"):
        parse('oops')


def test_later_option_replaces_earlier():
    parser = argparse.ArgumentParser()
    parser.add_argument('--opt', nargs='+', action=DictAction)
    args = parser.parse_args(['--opt', 'a=1', '--opt', 'b=2'])
    assert args.opt == {'b': 2}
    parser = argparse.ArgumentParser()
    parser.add_argument('--one', action=DictAction)
    assert parser.parse_args(['--one', 'k=[1]']).one == {'k': [1]}


def test_cfg_options_workflow_cfg23(tmp_path, monkeypatch, write_cfg):
    write_cfg(tmp_path, 'example.py', """\
        model = dict(type='CustomModel', in_channels=[1, 2, 3])
        optimizer = dict(type='SGD', lr=0.01)
        """)
    monkeypatch.chdir(tmp_path)
    cfg = Config.fromfile('./example.py')
    options = parse('optimizer.lr=0.1')
    assert options == {'optimizer.lr': 0.1}
    cfg.merge_from_dict(options)
    assert repr(cfg) == (
        "Config (path: ./example.py): {'model': {'type': 'CustomModel', 'in_channels': "
        "[1, 2, 3]}, 'optimizer': {'type': 'SGD', 'lr': 0.1}}")
    cfg.merge_from_dict(parse('model.in_channels=[1, 1, 1]'))
    assert cfg.model.in_channels == [1, 1, 1]


def test_merge_from_dict_docs_examples_ts20():
    cfg = Config(dict(model=dict(backbone=dict(type='ResNet'))))
    assert cfg.merge_from_dict({'model.backbone.depth': 50,
                                'model.backbone.with_cp': True}) is None
    assert cfg.to_dict() == {'model': {'backbone': {'type': 'ResNet', 'depth': 50,
                                                    'with_cp': True}}}
    assert isinstance(cfg.model.backbone, ConfigDict)

    cfg = Config(dict(pipeline=[dict(type='LoadImage'), dict(type='LoadAnnotations')]))
    cfg.merge_from_dict({'pipeline.0.type': 'SelfLoadImage'})
    assert cfg.to_dict() == {'pipeline': [{'type': 'SelfLoadImage'},
                                          {'type': 'LoadAnnotations'}]}
    cfg.merge_from_dict(dict(pipeline={'1': dict(with_bbox=True)}))
    assert cfg.pipeline[1] == {'type': 'LoadAnnotations', 'with_bbox': True}
    assert isinstance(cfg.pipeline[1], ConfigDict)


def test_merge_from_dict_errors():
    cfg = Config(dict(pipeline=[dict(type='LoadImage')], a=1))
    with pytest.raises(KeyError, match=r'Index 3 exceeds the length of list'):
        cfg.merge_from_dict({'pipeline.3.type': 'X'})
    with pytest.raises(TypeError, match='cannot inherit from base'):
        cfg.merge_from_dict({'pipeline.0.type': 'X'}, allow_list_keys=False)
    match = "a is a dict in the child config but is of type <class 'int'>"
    with pytest.raises(TypeError, match=match):
        cfg.merge_from_dict({'a.b': 2})
    assert cfg.to_dict() == {'pipeline': [{'type': 'LoadImage'}], 'a': 1}


def test_merge_from_dict_merge_rules():
    cfg = Config(dict(opt=dict(type='SGD', lr=0.1, momentum=0.9), ids=[0, 1]))
    cfg.merge_from_dict({'opt': dict(_delete_=True, type='Adam'), 'ids': [3], 'new.key': 'v'})
    assert cfg.to_dict() == {'opt': {'type': 'Adam'}, 'ids': [3], 'new': {'key': 'v'}}
    cfg.merge_from_dict({'opt': dict(lr=0.5)})
    assert cfg.opt == {'type': 'Adam', 'lr': 0.5}


def test_seed_private_helpers(tutorial):
    cfg_dict, text = Config._file2dict(str(tutorial / 'resnet50.py'))
    assert cfg_dict == {'optimizer': {'type': 'SGD', 'lr': 0.02, 'momentum': 0.9,
                                      'weight_decay': 0.0001},
                        'model': {'type': 'ResNet', 'depth': 50}}
    assert isinstance(cfg_dict, ConfigDict) and str(tutorial / 'resnet50.py') in text
    base = {'a': {'x': 1}, 'b': [dict(t=1)]}
    merged = Config._merge_a_into_b({'a': {'y': 2, '_delete_': False}, 'c': 3}, base)
    assert merged == {'a': {'x': 1, 'y': 2}, 'b': [{'t': 1}], 'c': 3}
    assert base == {'a': {'x': 1}, 'b': [{'t': 1}]}
    assert Config._merge_a_into_b({'0': dict(u=2)}, [dict(t=1)], allow_list_keys=True) == [
        {'t': 1, 'u': 2}]
