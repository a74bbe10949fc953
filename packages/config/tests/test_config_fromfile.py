"""Config.fromfile: formats, inheritance, merge rules, variables (CFG-06..15)."""

import json
import warnings

import pytest
import yaml

from engine.config import Config, ConfigDict

LEARN = {'test_int': 1, 'test_list': [1, 2, 3], 'test_dict': {'key1': 'value1', 'key2': 0.1}}


def test_three_formats_load_the_same_ts12(tmp_path, monkeypatch, write_cfg):
    write_cfg(tmp_path, 'learn_read_config.py', """\
        test_int = 1
        test_list = [1, 2, 3]
        test_dict = dict(key1='value1', key2=0.1)
        """)
    write_cfg(tmp_path, 'learn_read_config.json', json.dumps(LEARN))
    write_cfg(tmp_path, 'learn_read_config.yml', yaml.safe_dump(LEARN))
    write_cfg(tmp_path, 'learn_read_config.yaml', yaml.safe_dump(LEARN))
    monkeypatch.chdir(tmp_path)
    for ext in ('py', 'json', 'yml', 'yaml'):
        cfg = Config.fromfile(f'learn_read_config.{ext}')
        assert cfg.to_dict() == LEARN, ext
        assert isinstance(cfg.test_dict, ConfigDict)
    cfg = Config.fromfile('learn_read_config.py')
    assert str(cfg) == (
        "Config (path: learn_read_config.py): {'test_int': 1, 'test_list': [1, 2, 3], "
        "'test_dict': {'key1': 'value1', 'key2': 0.1}}")
    cfg.test_int = 2
    assert cfg['test_int'] == 2
    cfg['test_list'][1] = 3
    assert cfg.test_list == [1, 3, 3]


def test_file_checks_cfg07(tmp_path, write_cfg):
    missing = tmp_path / 'nope.py'
    with pytest.raises(FileNotFoundError, match=f'file "{missing}" does not exist'):
        Config.fromfile(missing)
    write_cfg(tmp_path, 'a.txt', 'a = 1\n')
    with pytest.raises(OSError, match='Only py/yml/yaml/json type are supported now!'):
        Config.fromfile(tmp_path / 'a.txt')
    write_cfg(tmp_path, 'child.py', "_base_ = 'a.txt'\n")
    with pytest.raises(OSError, match='Only py/yml/yaml/json type are supported now!'):
        Config.fromfile(tmp_path / 'child.py')


def test_expanduser(tmp_path, monkeypatch, write_cfg):
    monkeypatch.setenv('HOME', str(tmp_path))
    write_cfg(tmp_path, 'home.py', 'a = 1\n')
    cfg = Config.fromfile('~/home.py')
    assert cfg.a == 1 and cfg.filename == '~/home.py'


def test_syntax_error_names_file_and_line(tmp_path, write_cfg):
    path = write_cfg(tmp_path, 'bad.py', 'a = 1\nb = dict(\nc = 3\n')
    with pytest.raises(SyntaxError, match='There are syntax errors in config file') as info:
        Config.fromfile(path)
    assert path in str(info.value)
    assert info.value.filename == path
    assert info.value.lineno in (2, 3)
    assert 'line' in str(info.value)


def test_syntax_error_in_a_base_names_the_base(tmp_path, write_cfg):
    base = write_cfg(tmp_path, 'base.py', 'x = [1,\n')
    child = write_cfg(tmp_path, 'child.py', "_base_ = 'base.py'\n")
    with pytest.raises(SyntaxError, match='syntax errors in config file') as info:
        Config.fromfile(child)
    assert base in str(info.value)


def test_json_and_yaml_syntax_errors_name_file_and_line(tmp_path, write_cfg):
    path = write_cfg(tmp_path, 'bad.json', '{"a": 1,\n "b": }\n')
    with pytest.raises(json.JSONDecodeError) as info:
        Config.fromfile(path)
    assert path in str(info.value) and 'line 2' in str(info.value)
    path = write_cfg(tmp_path, 'bad.yaml', 'a: 1\nb: [1, 2\nc: 3\n')
    with pytest.raises(yaml.YAMLError) as info:
        Config.fromfile(path)
    assert path in str(info.value) and 'line ' in str(info.value)


def test_yaml_is_read_with_the_safe_loader(tmp_path, write_cfg):
    path = write_cfg(tmp_path, 'evil.yaml', 'a: !!python/object/apply:os.system ["true"]\n')
    with pytest.raises(yaml.YAMLError):
        Config.fromfile(path)
    path = write_cfg(tmp_path, 'tuple.yaml', 'a: !!python/tuple [1, 2]\n')
    assert Config.fromfile(path).a == (1, 2)


def test_inheritance_ts13(tutorial):
    cfg = Config.fromfile(tutorial / 'resnet50.py')
    assert cfg.optimizer == {'type': 'SGD', 'lr': 0.02, 'momentum': 0.9, 'weight_decay': 0.0001}
    assert cfg.model == {'type': 'ResNet', 'depth': 50}
    assert list(cfg) == ['optimizer', 'model']
    assert '_base_' not in cfg
    cfg = Config.fromfile(tutorial / 'resnet50_runtime.py')
    assert set(cfg) == {'model', 'optimizer', 'gpu_ids'}
    assert list(cfg) == ['optimizer', 'gpu_ids', 'model']


def test_text_concatenates_bases(tutorial):
    cfg = Config.fromfile(tutorial / 'resnet50.py')
    base = tutorial / 'optimizer_cfg.py'
    child = tutorial / 'resnet50.py'
    assert cfg.text == f'{base}\n{base.read_text()}\n{child}\n{child.read_text()}'


def test_relative_base_paths_follow_the_declaring_file(tmp_path, monkeypatch, write_cfg):
    write_cfg(tmp_path, '_base_/models/m.py', "model = dict(type='M')\n")
    write_cfg(tmp_path, '_base_/runtime/r.py', "_base_ = '../models/m.py'\nlog = 1\n")
    write_cfg(tmp_path, 'exp/deep/c.py', "_base_ = ['../../_base_/runtime/r.py']\nx = 2\n")
    monkeypatch.chdir(tmp_path / '_base_')  # the working directory must not matter
    cfg = Config.fromfile(tmp_path / 'exp/deep/c.py')
    assert cfg.to_dict() == {'model': {'type': 'M'}, 'log': 1, 'x': 2}


def test_json_and_yaml_bases(tmp_path, write_cfg):
    write_cfg(tmp_path, 'base.yaml', 'model:\n  type: ResNet\n  depth: 50\nlr: 0.1\n')
    write_cfg(tmp_path, 'mid.json', '{"_base_": "base.yaml", "model": {"depth": 101}, "e": 3}')
    path = write_cfg(tmp_path, 'top.py', "_base_ = ['mid.json']\nlr = 0.2\n")
    cfg = Config.fromfile(path)
    assert cfg.to_dict() == {'model': {'type': 'ResNet', 'depth': 101}, 'lr': 0.2, 'e': 3}


def test_missing_base_names_child_and_line(tmp_path, write_cfg):
    path = write_cfg(tmp_path, 'child.py', "a = 1\n_base_ = ['nope.py']\n")
    with pytest.raises(FileNotFoundError) as info:
        Config.fromfile(path)
    message = str(info.value)
    assert str(tmp_path / 'nope.py') in message
    assert f'{path}, line 2' in message


def test_duplicate_keys_among_bases_cfg11(tutorial, write_cfg):
    write_cfg(tutorial, 'runtime2.py', 'gpu_ids = [2]\n')
    path = write_cfg(tutorial, 'dup.py', "_base_ = ['runtime_cfg.py', 'optimizer_cfg.py',\n"
                                     "          'runtime2.py']\n")
    with pytest.raises(KeyError, match='Duplicate key is not allowed among bases') as info:
        Config.fromfile(path)
    message = info.value.args[0]
    assert "Duplicate keys: {'gpu_ids'}" in message
    assert str(tutorial / 'runtime_cfg.py') in message
    assert str(tutorial / 'runtime2.py') in message
    assert f'{path}, line 1' in message


def test_child_overrides_ts14(tutorial):
    cfg = Config.fromfile(tutorial / 'resnet50_lr0.01.py')
    assert cfg.optimizer == {'type': 'SGD', 'lr': 0.01, 'momentum': 0.9, 'weight_decay': 0.0001}
    assert cfg.gpu_ids == [0]
    assert list(cfg) == ['optimizer', 'gpu_ids', 'model']
    cfg = Config.fromfile(tutorial / 'resnet50_delete_key.py')
    assert cfg.optimizer == {'type': 'SGD', 'lr': 0.01}


def test_dict_over_non_dict_raises_with_location(tutorial, write_cfg):
    path = write_cfg(tutorial, 'bad_child.py', "_base_ = 'runtime_cfg.py'\n\ngpu_ids = dict(a=1)\n")
    match = 'cannot inherit from base because gpu_ids is a dict'
    with pytest.raises(TypeError, match=match) as info:
        Config.fromfile(path)
    message = str(info.value)
    assert "<class 'list'>" in message and '_delete_=True' in message
    assert f'{path}, line 3' in message


def test_non_dict_replaces_dict_and_list_of_dicts_replaces(tmp_path, write_cfg):
    write_cfg(tmp_path, 'b.py', "opt = dict(lr=1)\npipe = [dict(a=1), dict(b=2)]\n")
    path = write_cfg(tmp_path, 'c.py', "_base_ = 'b.py'\nopt = 'adam'\npipe = [dict(c=3)]\n")
    cfg = Config.fromfile(path)
    assert cfg.opt == 'adam' and cfg.pipe == [{'c': 3}]


def test_delete_nested_and_always_stripped_cfg13(tmp_path, write_cfg):
    write_cfg(tmp_path, 'b.py', "model = dict(backbone=dict(norm=dict(type='BN', eps=1), d=50))\n")
    path = write_cfg(tmp_path, 'c.py', """\
        _base_ = 'b.py'
        model = dict(backbone=dict(norm=dict(_delete_=True, type='GN')))
        extra = dict(_delete_=True, x=1, sub=dict(_delete_=False, y=2))
        """)
    cfg = Config.fromfile(path)
    assert cfg.model == {'backbone': {'norm': {'type': 'GN'}, 'd': 50}}
    assert cfg.extra == {'x': 1, 'sub': {'y': 2}}


def test_delete_misuse_raises_with_location(tmp_path, write_cfg):
    write_cfg(tmp_path, 'b.py', 'opt = dict(lr=1)\n')
    path = write_cfg(tmp_path, 'c.py', "_base_ = 'b.py'\nopt = dict(_delete_='yes', lr=2)\n")
    with pytest.raises(TypeError, match='_delete_ must be True or False') as info:
        Config.fromfile(path)
    assert f'{path}, line 2' in str(info.value)
    path = write_cfg(tmp_path, 'd.py', "_base_ = 'b.py'\n_delete_ = True\n")
    with pytest.raises(TypeError, match='_delete_ at the top level') as info:
        Config.fromfile(path)
    assert f'{path}, line 2' in str(info.value)


def test_inputs_of_a_merge_are_not_changed(tmp_path, write_cfg):
    write_cfg(tmp_path, 'b.py', "model = dict(type='R', depth=50)\n")
    path = write_cfg(tmp_path, 'c.py', "_base_ = 'b.py'\nmodel = dict(depth=101)\n"
                                   "m2 = _base_.model\n")
    cfg = Config.fromfile(path)
    assert cfg.model == {'type': 'R', 'depth': 101}
    assert cfg.m2 == {'type': 'R', 'depth': 50}


def test_base_variable_reference_ts15(tutorial):
    cfg = Config.fromfile(tutorial / 'refer_base_var.py')
    assert cfg.a == {'type': 'ResNet', 'depth': 50}
    assert cfg.model == {'type': 'ResNet', 'depth': 50}
    cfg = Config.fromfile(tutorial / 'modify_base_var.py')
    assert cfg.a == {'type': 'MobileNet', 'depth': 50}


def test_base_variable_reference_is_a_copy_and_nested(tutorial, write_cfg):
    path = write_cfg(tutorial, 'ref.py', """\
        _base_ = ['resnet50.py']
        depth = {{ _base_.model.depth }}
        pair = [{{_base_.model}}, ({{_base_.optimizer.lr}}, 1)]
        model = dict(depth=18)
        """)
    cfg = Config.fromfile(path)
    assert cfg.depth == 50
    assert cfg.pair == [{'type': 'ResNet', 'depth': 50}, (0.02, 1)]
    assert cfg.model.depth == 18
    assert isinstance(cfg.pair[1], tuple)


def test_manipulating_a_base_placeholder_fails(tutorial, write_cfg):
    path = write_cfg(tutorial, 'bad_ref.py', "_base_ = ['resnet50.py']\na = {{_base_.model}}\n"
                                        "a['type'] = 'MobileNet'\n")
    with pytest.raises(TypeError):
        Config.fromfile(path)
    path = write_cfg(tutorial, 'bad_add.py',
                     "_base_ = ['resnet50.py']\nb = {{_base_.model.depth}} + 1\n")
    with pytest.raises(TypeError):
        Config.fromfile(path)


def test_base_variable_in_json_and_yaml(tutorial, write_cfg):
    path = write_cfg(tutorial, 'ref.json',
                     '{"_base_": "optimizer_cfg.py", "lr": {{ _base_.optimizer.lr }}}')
    assert Config.fromfile(path).lr == 0.02
    path = write_cfg(tutorial, 'ref.yaml', "_base_: resnet50.py\nm: {{_base_.model}}\n")
    assert Config.fromfile(path).m == {'type': 'ResNet', 'depth': 50}


def test_missing_base_variable_names_file_and_line(tutorial, write_cfg):
    path = write_cfg(tutorial, 'miss.py', "_base_ = ['resnet50.py']\n\nx = {{_base_.model.nope}}\n")
    with pytest.raises(KeyError) as info:
        Config.fromfile(path)
    message = str(info.value)
    assert '{{_base_.model.nope}}' in message and "'nope'" in message
    assert f'{path}, line 3' in message


def test_python_config_evaluation_cfg14(tmp_path, write_cfg):
    path = write_cfg(tmp_path, 'code.py', """\
        import os
        from os.path import join
        a = 1
        b = a + 1
        c = [i * 2 for i in range(3)]
        scaled = [s * b for s in (1, 2)]
        keyed = {k: b for k in 'xy'}
        def twice(x):
            return x * b
        d = twice(2)
        f = lambda: 0
        class Klass:
            pass
        __hidden = 5
        _single = 6
        here = __file__
        """)
    cfg = Config.fromfile(path)
    assert cfg.b == 2 and cfg.c == [0, 2, 4] and cfg.d == 4
    assert cfg.scaled == [2, 4] and cfg.keyed == {'x': 2, 'y': 2}
    for gone in ('os', 'join', 'twice', 'f', '__hidden'):
        assert gone not in cfg
    assert cfg._single == 6
    assert isinstance(cfg.Klass, type)
    assert cfg.here == path


def test_predefined_variables_ts18(tmp_path, write_cfg):
    path = write_cfg(tmp_path, 'predefined_var.py', """\
        work_dir = './work_dir/{{fileBasenameNoExtension}}'
        name = '{{ fileBasename }}'
        ext = '{{fileExtname}}'
        folder = '{{fileDirname}}'
        """)
    cfg = Config.fromfile(path)
    assert cfg.work_dir == './work_dir/predefined_var'
    assert cfg.name == 'predefined_var.py'
    assert cfg.ext == '.py'
    assert cfg.folder == str(tmp_path).replace('\\', '/')
    cfg = Config.fromfile(path, use_predefined_variables=False)
    assert cfg.work_dir == './work_dir/{{fileBasenameNoExtension}}'


def test_predefined_variables_in_bases_use_the_base_file(tmp_path, write_cfg):
    write_cfg(tmp_path, 'sub/base.yaml', "base_name: '{{fileBasenameNoExtension}}'\n")
    path = write_cfg(tmp_path, 'child.py', "_base_ = 'sub/base.yaml'\nme = '{{fileBasename}}'\n")
    cfg = Config.fromfile(path, use_predefined_variables=False)
    assert cfg.base_name == 'base'  # bases always get their variables
    assert cfg.me == '{{fileBasename}}'


def test_deprecation_key_cfg15(tmp_path, write_cfg):
    path = write_cfg(tmp_path, 'old.py', "a = 1\n_deprecation_ = dict(expected='new.py', "
                                     "reference='https://x.y/z')\n")
    with pytest.warns(DeprecationWarning, match='will be deprecated in the future') as record:
        cfg = Config.fromfile(path)
    message = str(record[0].message)
    assert path in message and 'Please use new.py instead' in message
    assert 'More information can be found at https://x.y/z' in message
    assert '_deprecation_' not in cfg
    path = write_cfg(tmp_path, 'old2.py', 'a = 1\n_deprecation_ = dict()\n')
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter('always')
        Config.fromfile(path)
    assert 'Please use' not in str(record[0].message)


def test_circular_bases_are_reported(tmp_path, write_cfg):
    write_cfg(tmp_path, 'a.py', "_base_ = 'b.py'\n")
    path = write_cfg(tmp_path, 'b.py', "_base_ = 'a.py'\n")
    with pytest.raises(ValueError, match='Circular _base_ inheritance'):
        Config.fromfile(path)


def test_bad_base_value(tmp_path, write_cfg):
    path = write_cfg(tmp_path, 'c.py', '_base_ = 3\n')
    with pytest.raises(TypeError, match='must be a str or a list of str'):
        Config.fromfile(path)


def test_non_mapping_json(tmp_path, write_cfg):
    path = write_cfg(tmp_path, 'l.json', '[1, 2]')
    with pytest.raises(TypeError, match='mapping at top level'):
        Config.fromfile(path)
    assert Config.fromfile(write_cfg(tmp_path, 'empty.yaml', '')).to_dict() == {}


def test_aliased_values_stay_independent(tmp_path, write_cfg):
    write_cfg(tmp_path, 'b.py', "val = dict(bs=1, ds=dict(t='A'))\ntest = val\n")
    path = write_cfg(tmp_path, 'c.py', "_base_ = 'b.py'\ntest = dict(bs=4, ds=dict(t='B'))\n")
    cfg = Config.fromfile(path)
    assert cfg.val == {'bs': 1, 'ds': {'t': 'A'}}
    assert cfg.test == {'bs': 4, 'ds': {'t': 'B'}}
    cfg = Config.fromfile(tmp_path / 'b.py')
    assert cfg.val == cfg.test and cfg.val is not cfg.test
    cfg.val.ds.t = 'Z'
    assert cfg.test.ds.t == 'A'


def test_delete_survives_grandchild_merge(tmp_path, write_cfg):
    write_cfg(tmp_path, 'a.py', "opt = dict(type='SGD', lr=0.1, momentum=0.9)\n")
    write_cfg(tmp_path, 'b.py', "_base_ = 'a.py'\nopt = dict(_delete_=True, type='Adam')\n"
                                "seen = _base_.opt\n")
    path = write_cfg(tmp_path, 'c.py', "_base_ = 'b.py'\nopt = dict(lr=0.5)\n"
                                       "b_opt = _base_.opt\n")
    cfg = Config.fromfile(path)
    assert cfg.opt == {'type': 'Adam', 'lr': 0.5}
    assert cfg.b_opt == {'type': 'Adam'}
    assert cfg.seen == {'type': 'SGD', 'lr': 0.1, 'momentum': 0.9}
    assert '_delete_' not in cfg.pretty_text


def test_loading_twice_gives_fresh_objects(tmp_path, write_cfg):
    path = write_cfg(tmp_path, 'c.py', 'x = dict(a=[1])\n')
    first = Config.fromfile(path)
    first.x.a.append(2)
    assert Config.fromfile(path).x == {'a': [1]}
    write_cfg(tmp_path, 'c.py', 'x = dict(a=[3])\n')
    assert Config.fromfile(path).x == {'a': [3]}  # edits are seen (no stale cache)


def test_runtime_error_in_a_config_names_the_file(tmp_path, write_cfg):
    path = write_cfg(tmp_path, 'boom.py', 'a = 1\nb = undefined_name + 1\n')
    with pytest.raises(NameError) as info:
        Config.fromfile(path)
    tb_files = [entry.path for entry in info.traceback]
    assert any(str(p) == path for p in tb_files)  # the config's own line is in the traceback
    notes = getattr(info.value, '__notes__', [path])
    assert any(path in note for note in notes)
