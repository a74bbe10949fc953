"""dump, pretty_text and fromstring (CFG-19..21)."""

import json

import pytest
import yaml

from engine.config import Config

SIMPLE = "item1 = [1, 2]\nitem2 = dict(a=0)\nitem3 = True\nitem4 = 'test'\n"
WRAPPED = """\
model = dict(
    type='ResNet', depth=50, norm_cfg=dict(type='BN', requires_grad=True))
pipeline = [
    dict(type='LoadImage'),
    dict(type='Resize', scale=(1333, 800), keep_ratio=True)
]
mapping = dict({'a b': 1, 'c': 'x', 1: 2})
empty_list = []
empty_dict = dict()
"""


def test_pretty_text_exact_simple_ts17():
    cfg = Config(dict(item1=[1, 2], item2=dict(a=0), item3=True, item4='test'))
    assert cfg.pretty_text == SIMPLE


def test_pretty_text_exact_wrapped_cfg20():
    cfg = Config(dict(
        model=dict(type='ResNet', depth=50, norm_cfg=dict(type='BN', requires_grad=True)),
        pipeline=[dict(type='LoadImage'), dict(type='Resize', scale=(1333, 800), keep_ratio=True)],
        mapping={'a b': 1, 'c': 'x', 1: 2},
        empty_list=[],
        empty_dict={},
    ))
    assert cfg.pretty_text == WRAPPED
    assert Config.fromstring(cfg.pretty_text, '.py').to_dict() == cfg.to_dict()


def _round_trip(data):
    cfg = Config(data)
    text = cfg.pretty_text
    assert text.endswith('\n')
    assert max(len(line) for line in text.splitlines()) <= 79 or any(
        len(repr(v)) > 70 for v in _leaves(data))
    assert Config.fromstring(text, '.py').to_dict() == cfg.to_dict()
    return text


def _leaves(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _leaves(item)
    else:
        yield value


def test_pretty_text_round_trip_mixed_values():
    text = _round_trip(dict(
        pipeline=[dict(type='A', scale=(1, 2)), dict(type='B')],
        tup=(1, 'x', None),
        single=(5,),
        nothing=None,
        flag=False,
        num=-1.5e-07,
        quote="it's \"quoted\"",
        odd_keys={'a b': dict(c=1), 'class': 2, 3: [dict(d=4)]},
        nested=[[1, [2, (3,)]], (dict(a=1),), []],
        long_list=list(range(60)),
        long_tuple=tuple(f'name_{i}' for i in range(20)),
        deep=dict(a=dict(b=dict(c=dict(d=dict(e=dict(f=['x' * 20, 'y' * 20, 'z' * 20])))))),
        inf=float('inf'),
    ))
    assert "quote = 'it\\'s \"quoted\"'" in text or 'quote = "it\'s' in text
    assert 'dict({' in text  # non-identifier / keyword keys use the mapping form


def test_pretty_text_is_deterministic_and_wraps_long_dicts():
    data = dict(model=dict(type='TwoStage', backbone=dict(
        type='ResNet', depth=50, num_stages=4, out_indices=(0, 1, 2, 3), frozen_stages=1,
        norm_cfg=dict(type='BN', requires_grad=True), norm_eval=True, style='pytorch')))
    text = _round_trip(data)
    assert text == Config(data).pretty_text
    assert text.startswith('model = dict(\n    type=\'TwoStage\',\n    backbone=dict(\n')


def test_dump_tutorial_ts16(tutorial, tmp_path):
    cfg = Config.fromfile(tutorial / 'resnet50.py')
    expected = ("optimizer = dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=0.0001)\n"
                "model = dict(type='ResNet', depth=50)\n")
    assert cfg.dump() == expected
    cfg.dump(tmp_path / 'out.py')
    assert (tmp_path / 'out.py').read_text() == expected
    assert Config.fromfile(tmp_path / 'out.py').to_dict() == cfg.to_dict()

    cfg.dump(str(tmp_path / 'x.yaml'))
    text = (tmp_path / 'x.yaml').read_text()
    assert text.index('model:') < text.index('optimizer:')
    assert 'depth: 50' in text and 'type: ResNet' in text and '{' not in text
    assert Config.fromfile(tmp_path / 'x.yaml').to_dict() == cfg.to_dict()

    cfg.dump(tmp_path / 'x.json')
    assert json.loads((tmp_path / 'x.json').read_text()) == cfg.to_dict()
    assert Config.fromfile(tmp_path / 'x.json').to_dict() == cfg.to_dict()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith('.tmp_')]


def test_dump_dict_config(tmp_path):
    Config(dict(a=1, b=2)).dump(tmp_path / 'd.py')
    assert (tmp_path / 'd.py').read_text() == 'a = 1\nb = 2\n'
    assert Config.fromfile(tmp_path / 'd.py').to_dict() == {'a': 1, 'b': 2}


def test_dump_without_file_follows_the_filename_format(tmp_path, write_cfg):
    path = write_cfg(tmp_path, 'c.json', '{"b": {"x": [1, 2]}, "a": 1}')
    cfg = Config.fromfile(path)
    assert json.loads(cfg.dump()) == {'b': {'x': [1, 2]}, 'a': 1}
    path = write_cfg(tmp_path, 'c.yml', 'b: 1\na: [1, 2]\n')
    assert yaml.safe_load(Config.fromfile(path).dump()) == {'b': 1, 'a': [1, 2]}


def test_yaml_dump_keeps_tuples(tmp_path):
    cfg = Config(dict(scale=(1333, 800), nested=dict(t=(1, (2, 3)))))
    cfg.dump(tmp_path / 't.yaml')
    assert Config.fromfile(tmp_path / 't.yaml').to_dict() == cfg.to_dict()


def test_dump_is_standalone(tutorial, tmp_path):
    cfg = Config.fromfile(tutorial / 'resnet50_lr0.01.py')
    cfg.dump(tmp_path / 'flat.py')
    assert '_base_' not in (tmp_path / 'flat.py').read_text()
    assert Config.fromfile(tmp_path / 'flat.py').to_dict() == cfg.to_dict()


def test_dump_unsupported_extension(tmp_path):
    with pytest.raises(TypeError, match="Unsupported format '.txt'"):
        Config(dict(a=1)).dump(tmp_path / 'x.txt')
    assert list(tmp_path.iterdir()) == []


def test_dump_that_cannot_replace_its_target_leaves_no_temp_file(tmp_path):
    (tmp_path / 'taken.py').mkdir()  # a folder where the file should go
    with pytest.raises(OSError):
        Config(dict(a=1)).dump(tmp_path / 'taken.py')
    assert [p.name for p in tmp_path.iterdir()] == ['taken.py']
    assert list((tmp_path / 'taken.py').iterdir()) == []


def test_fromstring_cfg21(tmp_path):
    cfg = Config.fromstring("a = dict(b=1)\nc = '{{fileExtname}}'\n", '.py')
    assert cfg.to_dict() == {'a': {'b': 1}, 'c': '.py'}
    assert cfg.filename is not None and cfg.filename.endswith('.py')
    assert Config.fromstring('{"a": [1, 2]}', '.json').a == [1, 2]
    assert Config.fromstring('a: 1\n', '.yaml').a == 1
    assert Config.fromstring('a: 1\n', '.yml').a == 1
    with pytest.raises(OSError, match='Only py/yml/yaml/json type are supported now!'):
        Config.fromstring('a = 1', 'py')
    with pytest.warns(UserWarning, match='the file format may be .py'):
        Config.fromstring('a: "dict(x=1)"\n', '.yaml')


def test_fromstring_resolves_absolute_bases(tutorial):
    cfg = Config.fromstring(f"_base_ = ['{tutorial / 'resnet50.py'}']\nx = 1\n", '.py')
    assert list(cfg) == ['optimizer', 'model', 'x']


def test_auto_argparser_cfg24(tmp_path, monkeypatch, write_cfg, capsys):
    path = write_cfg(tmp_path, 'a.py', """\
        name = 'x'
        flag = False
        lr = 0.1
        model = dict(depth=50, sizes=[1, 2])
        odd = None
        """)
    monkeypatch.setattr('sys.argv', ['prog', path])
    parser, cfg = Config.auto_argparser('demo')
    assert cfg.model.depth == 50
    assert 'cannot parse key odd' in capsys.readouterr().out
    args = parser.parse_args([path, '--model.depth', '101', '--flag', '--lr', '0.5',
                              '--model.sizes', '3', '4', '--name', 'y'])
    assert vars(args)['model.depth'] == 101 and args.flag is True and args.lr == 0.5
    assert vars(args)['model.sizes'] == [3, 4] and args.name == 'y'
