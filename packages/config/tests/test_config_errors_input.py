"""Bad config input: each error names the file, and the line where there is one (issue 11)."""

import json
import re

import pytest
import yaml

from engine.config import Config


@pytest.mark.parametrize('name, text, error, line', [
    ('bad.py', 'a = 1\nb = dict(\nc = 3\n', SyntaxError, 2),
    ('bad.py', 'a = 1\n\nb = 1 +* 2\n', SyntaxError, 3),
    ('bad.json', '{\n  "a": 1,\n  "b": [1, 2\n}\n', json.JSONDecodeError, 4),
    ('bad.yaml', 'a: 1\nb: [1, 2\nc: 3\n', yaml.YAMLError, 3),
    ('bad.yml', 'a: 1\n  b: 2\n', yaml.YAMLError, 2),
])
def test_syntax_error_names_file_and_line(tmp_path, write_cfg, name, text, error, line):
    path = write_cfg(tmp_path, name, text)
    with pytest.raises(error) as info:
        Config.fromfile(path)
    message = str(info.value)
    assert 'There are syntax errors in config file' in message and path in message
    assert re.search(rf'\bline {line}\b', message), message


def test_syntax_error_in_a_base_names_the_base(tmp_path, write_cfg):
    base = write_cfg(tmp_path, 'base.py', 'x = [\n')
    child = write_cfg(tmp_path, 'child.py', "_base_ = 'base.py'\n")
    with pytest.raises(SyntaxError) as info:
        Config.fromfile(child)
    assert base in str(info.value) and info.value.filename == base


def test_missing_base_names_the_file_that_lists_it(tmp_path, write_cfg):
    child = write_cfg(tmp_path, 'child.py', "a = 1\n_base_ = ['nope.py']\n")
    with pytest.raises(FileNotFoundError) as info:
        Config.fromfile(child)
    message = str(info.value)
    assert f'file "{tmp_path / "nope.py"}" does not exist' in message
    assert f'listed in _base_ of {child}, line 2' in message


@pytest.mark.parametrize('value', ['3', "[1, 'a.py']", "dict(a='b.py')"])
def test_base_of_wrong_type_names_file_line_and_value(tmp_path, write_cfg, value):
    child = write_cfg(tmp_path, 'child.py', f'_base_ = {value}\n')
    with pytest.raises(TypeError) as info:
        Config.fromfile(child)
    message = str(info.value)
    assert f'_base_ in {child}, line 1 must be a str or a list of str' in message


def test_base_with_unsupported_extension_and_json_base(tmp_path, write_cfg):
    write_cfg(tmp_path, 'a.txt', 'x')
    child = write_cfg(tmp_path, 'child.json', '{"_base_": "a.txt"}')
    with pytest.raises(OSError, match=re.escape(str(tmp_path / 'a.txt'))):
        Config.fromfile(child)
    child = write_cfg(tmp_path, 'child.yaml', '_base_: missing.yaml\n')
    with pytest.raises(FileNotFoundError) as info:
        Config.fromfile(child)
    assert f'listed in _base_ of {child}, line 1' in str(info.value)


def test_circular_base_names_the_chain(tmp_path, write_cfg):
    a = write_cfg(tmp_path, 'a.py', "_base_ = 'b.py'\n")
    b = write_cfg(tmp_path, 'b.py', "_base_ = 'a.py'\n")
    with pytest.raises(ValueError, match=re.escape(f'{a} -> {b} -> {a}')):
        Config.fromfile(a)


def test_undefined_base_variable_names_file_line_and_choices(tmp_path, write_cfg):
    write_cfg(tmp_path, 'base.py', 'model = dict(depth=50)\n')
    child = write_cfg(tmp_path, 'child.py', "_base_ = 'base.py'\n\nd = {{_base_.model.dept}}\n")
    with pytest.raises(KeyError) as info:
        Config.fromfile(child)
    message = info.value.args[0]
    assert f'{child}, line 3' in message and "'dept' is not defined" in message
    assert 'defined at that level: depth' in message



def test_base_variable_inside_a_string_names_file_line_and_the_fix(tmp_path, write_cfg):
    write_cfg(tmp_path, 'base.py', "model = dict(type='ResNet', depth=50)\n")
    quoted = write_cfg(tmp_path, 'quoted.py', "_base_ = 'base.py'\nd = '{{_base_.model.depth}}'\n")
    with pytest.raises(ValueError) as info:
        Config.fromfile(quoted)
    message = str(info.value)
    assert f'{{{{_base_.model.depth}}}} in {quoted}, line 2' in message
    assert "part of the string '{{_base_.model.depth}}'" in message
    assert 'write it unquoted' in message
    joined = write_cfg(tmp_path, 'joined.py',
                       "_base_ = 'base.py'\n\nn = 'my' + {{_base_.model.type}}\n")
    with pytest.raises(ValueError) as info:
        Config.fromfile(joined)
    assert "line 3 is part of the string 'my{{_base_.model.type}}'" in str(info.value)


@pytest.mark.parametrize('name, text, line', [
    ('quoted.json', '{"_base_": "base.py",\n "lr": "{{ _base_.model.depth }}"}\n', 2),
    ('quoted.yaml', "_base_: base.py\nm: {{_base_.model}}\nlr: '{{_base_.model.depth}}'\n", 3),
])
def test_quoted_base_variable_in_json_or_yaml_says_to_drop_the_quotes(tmp_path, write_cfg,
                                                                      name, text, line):
    write_cfg(tmp_path, 'base.py', "model = dict(type='ResNet', depth=50)\n")
    path = write_cfg(tmp_path, name, text)
    with pytest.raises(ValueError) as info:
        Config.fromfile(path)
    assert f'in {path}, line {line}: base variables in JSON and YAML configs are written ' \
        'without quotes' in str(info.value)

def test_runtime_error_in_python_config_names_the_file(tmp_path, write_cfg):
    path = write_cfg(tmp_path, 'boom.py', 'a = 1\nb = undefined_name\n')
    with pytest.raises(NameError) as info:
        Config.fromfile(path)
    notes = getattr(info.value, '__notes__', None)
    if notes is None:
        pytest.skip('exception notes need Python 3.11+')
    assert f'(while running config file {path})' in notes
    assert info.traceback[-1].lineno + 1 == 2  # the frame points into the config file


@pytest.mark.parametrize('assignment', ['model = dict(a=1)', 'model: dict = dict(a=1)'])
def test_dict_over_non_dict_names_key_and_file(tmp_path, write_cfg, assignment):
    write_cfg(tmp_path, 'base.py', 'model = 3\n')
    child = write_cfg(tmp_path, 'child.py', f"_base_ = 'base.py'\n{assignment}\n")
    with pytest.raises(TypeError) as info:
        Config.fromfile(child)
    message = str(info.value)
    assert 'model' in message and "<class 'int'>" in message
    assert f'(in {child}, line 2)' in message
