"""Config and ConfigDict construction, access, repr, copy and pickle (CFG-01..05, CD-01..05)."""

import copy
import pickle
from pathlib import Path

import pytest

from engine.config import Config, ConfigDict


def test_construct_and_access_ts11():
    cfg = Config(dict(a=1, b=dict(b1=[0, 1])))
    assert cfg.a == 1
    assert cfg['a'] == 1
    assert cfg.b == {'b1': [0, 1]}
    assert cfg.b.b1 == [0, 1]
    assert isinstance(cfg.b, ConfigDict)
    assert repr(cfg) == "Config (path: None): {'a': 1, 'b': {'b1': [0, 1]}}"
    assert str(cfg) == repr(cfg)
    assert cfg.filename is None
    assert cfg.text == ''


def test_constructor_errors():
    with pytest.raises(TypeError, match='cfg_dict must be a dict'):
        Config([1])
    for key in ('filename', 'text', 'pretty_text'):
        with pytest.raises(KeyError, match=f'{key} is reserved for config file'):
            Config({key: 1})
    assert Config().to_dict() == {}


def test_missing_attribute_and_item():
    cfg = Config(dict(a=dict(b=1)))
    with pytest.raises(AttributeError, match="'ConfigDict' object has no attribute 'nope'"):
        cfg.nope  # noqa: B018
    with pytest.raises(KeyError):
        cfg['nope']
    with pytest.raises(AttributeError, match="no attribute 'missing'"):
        cfg.a.missing  # noqa: B018
    assert not hasattr(cfg.a, 'missing')
    assert getattr(cfg.a, 'missing', 7) == 7
    # no auto-vivification: reading a missing key never creates it
    with pytest.raises(AttributeError):
        cfg.a.nope.x = 1
    assert 'nope' not in cfg.a


def test_set_by_attribute_and_item_converts_dicts():
    cfg = Config()
    cfg.model = dict(type='R', backbone=dict(depth=50))
    cfg['optimizer'] = {'lr': 0.1}
    assert isinstance(cfg.model, ConfigDict)
    assert cfg.model.backbone.depth == 50
    assert cfg.optimizer.lr == 0.1
    cfg.model.backbone.depth = 101
    assert cfg['model']['backbone']['depth'] == 101
    cfg.model.neck = dict(out=256)
    assert cfg.model.neck.out == 256


def test_dict_interface_len_iter_contains():
    cfg = Config(dict(a=1, b=2))
    assert len(cfg) == 2
    assert list(cfg) == ['a', 'b']
    assert 'a' in cfg and 'z' not in cfg
    assert list(cfg.keys()) == ['a', 'b']
    assert dict(cfg.items()) == {'a': 1, 'b': 2}
    assert cfg.get('z', 3) == 3
    assert cfg.pop('b') == 2
    assert cfg.to_dict() == {'a': 1}
    del cfg.a
    assert len(cfg) == 0


def test_update_is_deep_merge_cd03():
    cd = ConfigDict(model=dict(type='R', depth=50))
    cd.update(dict(model=dict(depth=101)))
    assert cd == {'model': {'type': 'R', 'depth': 101}}
    cfg = Config(dict(model=dict(type='R', depth=50)))
    cfg.update(dict(model=dict(depth=18)))
    assert cfg.model == {'type': 'R', 'depth': 18}


def test_configdict_conversion_cd01():
    cd = ConfigDict(a=[dict(b=1), (dict(c=2),)], d={'e': {'f': 3}})
    assert isinstance(cd, dict)
    assert isinstance(cd.a[0], ConfigDict)
    assert isinstance(cd.a[1], tuple) and isinstance(cd.a[1][0], ConfigDict)
    assert cd.d.e.f == 3
    plain = cd.to_dict()
    assert plain == {'a': [{'b': 1}, ({'c': 2},)], 'd': {'e': {'f': 3}}}
    assert type(plain['d']) is dict and type(plain['a'][0]) is dict
    assert type(plain['a'][1][0]) is dict
    assert cd == plain



def test_configdict_takes_what_dict_takes_and_keeps_sequence_types():
    # dict's own constructor forms: pairs, a single pair (addict's), keywords
    assert ConfigDict([('a', dict(b=1)), ('c', 2)]) == {'a': {'b': 1}, 'c': 2}
    assert isinstance(ConfigDict([('a', dict(b=1))]).a, ConfigDict)
    assert ConfigDict(('a', 1)) == {'a': 1}
    assert ConfigDict(None, {}, a=1) == {'a': 1}

    from collections import namedtuple
    Size = namedtuple('Size', 'h w')

    class Pads(tuple):
        pass

    cd = ConfigDict(size=Size(dict(v=1), 2), pads=Pads([dict(p=0)]))
    assert type(cd.size) is Size and isinstance(cd.size.h, ConfigDict) and cd.size.w == 2
    assert type(cd.pads) is Pads and isinstance(cd.pads[0], ConfigDict)
    plain = cd.to_dict()
    assert type(plain['size']) is Size and type(plain['size'].h) is dict
    assert type(plain['pads']) is Pads and type(plain['pads'][0]) is dict

def test_configdict_copy_deepcopy_pickle_cd04():
    cd = ConfigDict(a=dict(b=[1, 2]))
    shallow = cd.copy()
    assert isinstance(shallow, ConfigDict) and shallow == cd
    assert shallow.a is cd.a
    deep = copy.deepcopy(cd)
    assert isinstance(deep, ConfigDict) and isinstance(deep.a, ConfigDict)
    assert deep == cd and deep.a is not cd.a
    loaded = pickle.loads(pickle.dumps(cd))
    assert isinstance(loaded, ConfigDict) and isinstance(loaded.a, ConfigDict)
    assert loaded == cd


def test_config_copy_deepcopy_pickle_cfg05(tmp_path):
    path = tmp_path / 'c.py'
    path.write_text('a = dict(b=1)\n')
    cfg = Config.fromfile(path)
    shallow = copy.copy(cfg)
    assert shallow._cfg_dict is cfg._cfg_dict
    deep = copy.deepcopy(cfg)
    assert deep.to_dict() == cfg.to_dict()
    deep.a.b = 2
    assert cfg.a.b == 1
    assert deep.filename == cfg.filename and deep.text == cfg.text
    loaded = pickle.loads(pickle.dumps(cfg))
    assert isinstance(loaded, Config)
    assert loaded.to_dict() == cfg.to_dict()
    assert loaded.filename == cfg.filename and loaded.text == cfg.text
    assert isinstance(loaded.a, ConfigDict)


def test_filename_kept_as_given_and_text(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path('rel.py').write_text('x = 1\n')
    cfg = Config.fromfile('rel.py')
    assert cfg.filename == 'rel.py'
    assert cfg.text == f'{tmp_path / "rel.py"}\nx = 1\n'
    cfg = Config.fromfile(Path('rel.py'))
    assert cfg.filename == 'rel.py'
    assert Config(dict(a=1), filename=Path('rel.py')).filename == 'rel.py'
    # text comes from the file when only a filename is given
    assert Config(dict(a=1), filename='rel.py').text == 'x = 1\n'


def test_equality():
    assert Config(dict(a=1)) == Config(dict(a=1))
    assert Config(dict(a=1)) == {'a': 1}
    assert Config(dict(a=1)) != Config(dict(a=2))
