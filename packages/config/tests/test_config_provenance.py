"""Provenance: where each leaf of a merged config was set last (issue 10, --explain)."""

import copy
import json
import pickle

import pytest

from engine.config import Config, DictAction, explain


@pytest.fixture
def tree(tmp_path, write_cfg):
    write_cfg(tmp_path, 'base/model.py', """\
        model = dict(
            type='ResNet',
            depth=50,
            norm_cfg=dict(type='BN', requires_grad=True),
            stages=[dict(c=1), dict(c=2)])
        """)
    write_cfg(tmp_path, 'base/sched.json', json.dumps(
        {'optimizer': {'type': 'SGD', 'lr': 0.1}, 'max_epochs': 12}, indent=2))
    write_cfg(tmp_path, 'base/runtime.yaml', """\
        log_level: INFO
        hooks:
          logger:
            type: LoggerHook
            interval: 50
          pipeline:
            - type: Load
            - type: Pack
        """)
    child = write_cfg(tmp_path, 'child.py', """\
        _base_ = ['base/model.py', 'base/sched.json', 'base/runtime.yaml']

        model = dict(
            depth=101,
            norm_cfg=dict(_delete_=True, type='GN', num_groups=32))
        optimizer = dict(lr=0.01)
        if True:
            max_epochs = 24
        """)
    return tmp_path, child


def test_source_of_names_file_and_line_per_format(tree):
    root, child = tree
    cfg = Config.fromfile(child)
    model, sched, runtime = (str(root / 'base' / n)
                             for n in ('model.py', 'sched.json', 'runtime.yaml'))
    assert cfg.source_of('model.type') == f'{model}:2'
    assert cfg.source_of('model.depth') == f'{child}:4'
    assert cfg.source_of('model.stages.1.c') == f'{model}:5'
    # _delete_ replaced the base's norm_cfg: requires_grad is gone, both keys from the child
    assert cfg.source_of('model.norm_cfg.type') == f'{child}:5'
    assert cfg.source_of('model.norm_cfg.num_groups') == f'{child}:5'
    assert cfg.source_of('model') == f'{model}:1'  # the dict itself came from the base
    assert cfg.source_of('optimizer.type') == f'{sched}:3'
    assert cfg.source_of('optimizer.lr') == f'{child}:6'
    assert cfg.source_of('max_epochs') == f'{child}:8'
    assert cfg.source_of('log_level') == f'{runtime}:1'
    assert cfg.source_of('hooks.logger.interval') == f'{runtime}:5'
    assert cfg.source_of('hooks.pipeline.1.type') == f'{runtime}:8'
    with pytest.raises(KeyError, match="'model.nope' is not in the config"):
        cfg.source_of('model.nope')


def test_merge_from_dict_and_cfg_options_are_sources(tree):
    import argparse

    _, child = tree
    cfg = Config.fromfile(child)
    cfg.merge_from_dict({'model.depth': 18, 'hooks.pipeline.0.type': 'LoadX'})
    assert cfg.source_of('model.depth') == 'merge_from_dict'
    assert cfg.source_of('hooks.pipeline.0.type') == 'merge_from_dict'
    assert cfg.source_of('hooks.pipeline.1.type').endswith('runtime.yaml:8')
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args(['--cfg-options', 'model.depth=34', 'model.extra=[1,2]'])
    assert args.cfg_options == {'model.depth': 34, 'model.extra': [1, 2]}
    cfg.merge_from_dict(args.cfg_options)
    assert cfg.source_of('model.depth') == '--cfg-options'
    assert cfg.source_of('model.extra') == '--cfg-options'
    cfg.merge_from_dict({'model.depth': 1}, source='sweep.py')
    assert cfg.provenance['model.depth'] == 'sweep.py'
    assert pickle.loads(pickle.dumps(args.cfg_options)) == args.cfg_options


def test_explain_lists_every_leaf_in_order(tmp_path, write_cfg):
    write_cfg(tmp_path, 'base.py', "a = dict(x=1, y=[1, 2])\nb = 'keep'\n")
    child = write_cfg(tmp_path, 'child.py', "_base_ = 'base.py'\na = dict(x=2)\nc = {}\n")
    cfg = Config.fromfile(child)
    cfg.merge_from_dict({'b': (1, 2)})
    assert explain(cfg, root=str(tmp_path)) == (
        'a.x = 2  # child.py:2\n'
        'a.y = [1, 2]  # base.py:1\n'
        'b = (1, 2)  # merge_from_dict\n'
        'c = dict()  # child.py:3\n')
    assert explain(cfg) == explain(cfg)  # deterministic
    assert f'# {tmp_path / "base.py"}:1' in explain(cfg)
    assert set(cfg.provenance) == {'a.x', 'a.y', 'b', 'c'}


def test_python_reassignments_and_base_variables(tmp_path, write_cfg):
    write_cfg(tmp_path, 'base.py', "model = dict(type='ResNet', depth=50)\n")
    child = write_cfg(tmp_path, 'child.py', """\
        _base_ = ['base.py']
        a = _base_.model
        a.type = 'MobileNet'
        b = {{_base_.model}}
        c = 1
        c = 2
        """)
    cfg = Config.fromfile(child)
    assert cfg.source_of('a.type') == f'{child}:3'
    assert cfg.source_of('a.depth') == f'{child}:2'
    assert cfg.source_of('b.depth') == f'{child}:4'
    assert cfg.source_of('c') == f'{child}:6'


def test_fromstring_copies_and_pickles(tmp_path):
    cfg = Config.fromstring('a = 1\nb = dict(\n    c=2)\n', '.py')
    assert cfg.source_of('b.c') == '<string>.py:3'
    assert copy.deepcopy(cfg).source_of('b.c') == '<string>.py:3'
    assert copy.copy(cfg).source_of('a') == '<string>.py:1'
    # A pickle carries the values only, not every file's source text.
    assert pickle.loads(pickle.dumps(cfg)).source_of('a') == '(set in code)'
    assert Config(dict(a=1)).provenance == {'a': '(set in code)'}


def test_json_lines_survive_odd_strings(tmp_path, write_cfg):
    text = '{\n  "a": "x:\\"y\\"{",\n  "b": [\n    1,\n    {"c": 2}\n  ]\n}\n'
    path = write_cfg(tmp_path, 'odd.json', text)
    cfg = Config.fromfile(path)
    assert cfg.source_of('a') == f'{path}:2'
    assert cfg.source_of('b') == f'{path}:3'
    assert cfg.source_of('b.1.c') == f'{path}:5'
