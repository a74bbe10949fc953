"""Property-based tests of config parsing, dumping, DictAction and merge_from_dict (issue 11).

Examples per property: 2,000 with the environment variable ``CI`` set
(hypothesis profile ``engine-config-ci``), 100 otherwise
(``engine-config-dev``); no deadline either way. Structures are kept small so
that the file runs in well under a minute on 2 cores in CI mode.

What each format keeps (asserted below, exactly):

* ``.py``: everything generated here, tuples stay tuples, int keys stay ints;
* ``.json``: tuples become lists; keys are strings (only those are generated);
* ``.yaml``/``.yml``: a file written by a plain YAML dumper has no tuples
  (lists come back); ``Config.dump`` writes tuples as ``!!python/tuple``, so
  a dumped config reloads with its tuples.
"""

import argparse
import json
import math
import os
import tempfile

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.config import Config, ConfigDict, DictAction

settings.register_profile('engine-config-ci', max_examples=2000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile('engine-config-dev', max_examples=100, deadline=None)
PROFILE = settings.get_profile('engine-config-ci' if os.environ.get('CI') else
                               'engine-config-dev')

# Keys and strings that mean something to the config loader are left out:
# '{{' starts a variable, '_delete_'/'_base_' steer inheritance, reserved
# names are refused by design (tested elsewhere).
SPECIAL_KEYS = {'_delete_', '_base_', '_deprecation_', 'custom_imports',
                'filename', 'text', 'pretty_text'}
# Cheap strategies on purpose: generating text draws once per character, and
# generation is most of the cost of an example. Keys come from pools that
# hold the awkward cases (non-identifiers, names of dict methods, unicode,
# quotes, digits); free text is in the values.
LOWER = 'abcdefghijklmnopqrstuvwxyz'
IDENTIFIERS = ['a', 'b', 'c', 'type', 'lr', 'x_1', '_private', 'items', 'keys', 'copy',
               'to_dict', 'model', 'depth', 'déjà', 'über', 'ºrd', 'N' * 40]
ODD_KEYS = ['', ' ', 'with space', 'dot.ted', '0', '12', 'class', 'None', "it's",
            'quo"te', 'new\nline', '{', '}', '{{x}}', '\\', '\x00', '😀']
plain_text = st.one_of(st.sampled_from(ODD_KEYS + IDENTIFIERS + ['{{ fileDirname }}'[1:]]),
                       st.text(max_size=6).map(lambda s: s.replace('{{', '{')))
floats = st.floats(allow_nan=False)
scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), floats, plain_text)
identifiers = st.sampled_from(IDENTIFIERS[:13] + ['o' * 30])
str_keys = st.sampled_from(IDENTIFIERS + ODD_KEYS)
top_keys = st.sampled_from([k for k in IDENTIFIERS if k.isascii()] + ['if_', 'dump', 'merge'])


def nested(keys):
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3),
            st.lists(inner, max_size=3).map(tuple),
            st.dictionaries(keys, inner, max_size=3)),
        max_leaves=8)


py_configs = st.dictionaries(top_keys, nested(st.one_of(str_keys, st.integers(-3, 3))),
                             max_size=5)
str_key_configs = st.dictionaries(top_keys, nested(str_keys), max_size=5)


def no_tuples(value):
    """What a format without tuples gives back: every tuple a list."""
    if isinstance(value, dict):
        return {k: no_tuples(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [no_tuples(v) for v in value]
    return value


def same(a, b):
    """Equal, with exact container types (a tuple is not a list here)."""
    if isinstance(a, dict) or isinstance(b, dict):
        return (isinstance(a, dict) and isinstance(b, dict) and list(a) == list(b)
                and all(same(a[k], b[k]) for k in a))
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(same, a, b))
    if isinstance(a, float) and isinstance(b, float):
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    return type(a) is type(b) and a == b


def same_unordered(a, b):
    """:func:`same` where dict key order does not matter (YAML dumpers sort keys)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_unordered(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(same_unordered, a, b))
    return same(a, b)


@pytest.fixture(scope='module')
def folder():
    with tempfile.TemporaryDirectory(prefix='engine_cfg_prop_') as path:
        yield path


def write(folder, name, text):
    path = os.path.join(folder, name)
    with open(path, 'w', encoding='utf-8') as f:
        f.write(text)
    return path


def py_literal(value):
    """Python source of a value, written here so that the parser is tested, not our printer."""
    if isinstance(value, dict):
        return '{' + ', '.join(f'{py_literal(k)}: {py_literal(v)}' for k, v in value.items()) + '}'
    if isinstance(value, list):
        return '[' + ', '.join(map(py_literal, value)) + ']'
    if isinstance(value, tuple):
        return '(' + ''.join(py_literal(v) + ', ' for v in value) + ')'
    if isinstance(value, float) and not math.isfinite(value):
        return f"float('{value}')"
    return repr(value)


def py_source(data):
    return ''.join(f'{key} = {py_literal(value)}\n' for key, value in data.items())


# ------------------------------------------------------------- file round trips

@PROFILE
@given(data=py_configs, str_data=str_key_configs, ext=st.sampled_from(['.yaml', '.yml']))
def test_config_files_load_and_round_trip_in_every_format(folder, data, str_data, ext):
    # .py: exact, tuples and int keys included
    cfg = Config.fromfile(write(folder, 'gen.py', py_source(data)))
    assert same(cfg.to_dict(), data)
    cfg.dump(os.path.join(folder, 'dumped.py'))
    assert same(Config.fromfile(os.path.join(folder, 'dumped.py')).to_dict(), data)

    # .json: tuples come back as lists, from a file and from Config.dump
    cfg = Config.fromfile(write(folder, 'gen.json', json.dumps(str_data)))
    assert same(cfg.to_dict(), no_tuples(str_data))
    assert same(json.loads(cfg.dump()), no_tuples(str_data))  # no file: the text
    Config(str_data).dump(os.path.join(folder, 'dumped.json'))
    assert same(Config.fromfile(os.path.join(folder, 'dumped.json')).to_dict(),
                no_tuples(str_data))

    # .yaml/.yml: a plain YAML file has lists; Config.dump keeps tuples
    cfg = Config.fromfile(write(folder, 'gen' + ext, yaml.safe_dump(no_tuples(str_data))))
    assert same_unordered(cfg.to_dict(), no_tuples(str_data))
    Config(str_data).dump(os.path.join(folder, 'dumped' + ext))
    assert same_unordered(Config.fromfile(os.path.join(folder, 'dumped' + ext)).to_dict(),
                          str_data)


# ------------------------------------------------------------- DictAction

words = st.sampled_from(['a', 'b_c', 'SGD', 'Adam', 'trueish', 'nan_x', 'Nonesuch', 'x' * 20])
cli_scalars = st.one_of(
    st.integers(-10**12, 10**12),
    st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: not f.is_integer()),
    st.booleans(), st.none(), words)
cli_values = st.recursive(
    cli_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.lists(inner, max_size=4).map(tuple)),
    max_leaves=10)


def cli_text(value, spaced):
    """A value as a user would type it after KEY= (DictAction's grammar)."""
    sep = ', ' if spaced else ','
    if isinstance(value, list):
        return '[' + sep.join(cli_text(v, spaced) for v in value) + ']'
    if isinstance(value, tuple):
        return '(' + sep.join(cli_text(v, spaced) for v in value) + ')'
    if isinstance(value, bool):
        return str(value).lower() if spaced else str(value).upper()
    if isinstance(value, float):
        return repr(value)
    return str(value)


PARSER = argparse.ArgumentParser()
PARSER.add_argument('--cfg-options', nargs='+', action=DictAction)

dotted_keys = st.lists(identifiers, min_size=1, max_size=3).map('.'.join)



@PROFILE
@given(options=st.dictionaries(dotted_keys, cli_values, min_size=1, max_size=3),
       spaced=st.booleans(), quoted=st.booleans())
def test_dict_action_parses_what_it_is_given(options, spaced, quoted):
    tokens = []
    for key, value in options.items():
        text = cli_text(value, spaced)
        tokens.append(f'{key}="{text}"' if quoted else f'{key}={text}')
    parsed = PARSER.parse_args(['--cfg-options', *tokens]).cfg_options
    assert list(parsed) == list(options)
    for key, value in options.items():
        assert same(parsed[key], value), (key, tokens)


@PROFILE
@given(values=st.lists(cli_scalars, min_size=2, max_size=5))
def test_dict_action_bare_commas_make_a_list(values):
    text = ','.join(cli_text(v, False) for v in values)
    parsed = PARSER.parse_args(['--cfg-options', f'k={text}']).cfg_options
    assert same(parsed['k'], values)


@PROFILE
@given(tokens=st.lists(st.text(max_size=15), min_size=1, max_size=3))
def test_dict_action_on_any_text_raises_only_documented_errors(tokens):
    # Documented: a token without '=' is a ValueError, unbalanced brackets an
    # AssertionError. Anything else parses to str/int/float/bool/None/list/tuple.
    action = DictAction(option_strings=['--cfg-options'], dest='cfg_options', nargs='+')
    namespace = argparse.Namespace()
    try:
        action(PARSER, namespace, tokens, '--cfg-options')  # as argparse would call it
    except ValueError as err:
        assert 'expected KEY=VALUE' in str(err)
        assert any('=' not in t for t in tokens)
        return
    except AssertionError as err:
        assert 'Imbalanced brackets' in str(err)
        return
    parsed = namespace.cfg_options
    for key, value in parsed.items():
        assert any(t.split('=', 1)[0] == key for t in tokens)
        _check_cli_type(value)


def _check_cli_type(value):
    if isinstance(value, (list, tuple)):
        for item in value:
            _check_cli_type(item)
    else:
        assert value is None or isinstance(value, (str, int, float, bool))


# ------------------------------------------------------------- merge_from_dict

option_keys = st.one_of(
    dotted_keys,
    st.lists(st.one_of(st.text(max_size=4), st.integers(0, 4).map(str)), min_size=1,
             max_size=4).map('.'.join),
    st.integers(-2, 5))
option_values = nested(str_keys)


def lookup(cfg, parts):
    node = cfg
    for part in parts:
        node = node[int(part)] if isinstance(node, (list, tuple)) else node[part]
    return node


def related(a, b):
    return a[:len(b)] == b or b[:len(a)] == a


@PROFILE
@given(base=py_configs.filter(bool), options=st.dictionaries(option_keys, option_values,
                                                             max_size=4),
       pick=st.lists(st.integers(0, 10**6), max_size=3))
def test_merge_from_dict_sets_values_or_raises_documented_errors(base, options, pick):
    cfg = Config(base)
    # options aimed at existing keys too, so that merges (not only additions) happen
    paths = [[str(k)] for k in base]
    for top in base:
        if isinstance(base[top], dict):
            paths += [[str(top), str(k)] for k in base[top]]
        elif isinstance(base[top], list) and base[top]:
            paths.append([str(top), '0'])
    for n in pick:
        options['.'.join(paths[n % len(paths)])] = n
    try:
        cfg.merge_from_dict(options)
    except TypeError as err:
        # documented: a dict option over a non-dict value, a path through a
        # value another option sets, `_delete_` not a bool
        assert ('cannot inherit from base' in str(err) or 'which another option sets' in
                str(err) or '_delete_ must be True or False' in str(err)), err
        return
    except KeyError as err:  # documented: a list index past the end
        assert 'exceeds the length of list' in str(err), err
        return
    split = {key: str(key).split('.') for key in options}
    for key, value in options.items():
        if isinstance(value, dict) or any(
                related(split[key], split[other]) for other in options if other != key):
            continue
        assert same(_plain(lookup(cfg, split[key])), value)
    assert isinstance(cfg._cfg_dict, ConfigDict)


def _plain(value):
    return value.to_dict() if isinstance(value, ConfigDict) else (
        type(value)(_plain(v) for v in value) if type(value) in (list, tuple) else value)


def test_list_index_options_need_decimal_digits():
    # '²'.isdigit() is True but int('²') fails: such a key is not a list index.
    cfg = Config({'a': [1, 2]})
    with pytest.raises(TypeError, match='cannot inherit from base'):
        cfg.merge_from_dict({'a.\u00b2': 5})
    cfg.merge_from_dict({'a.\u0661': 5})  # ARABIC-INDIC DIGIT ONE is a decimal digit
    assert cfg.a == [1, 5]
