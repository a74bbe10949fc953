"""Config behaviour that code written for the reference relies on.

- CFG-11: ``pytest.raises(KeyError, match="Duplicate keys: {'gpu_ids'}")`` matches
  ``str(err)``, the repr of the message: it must not escape the key's quotes.
- CFG-19: the reference dumps non-Python files through ``fileio.dump``, whose
  formats include pickle (``.pkl``/``.pickle``).
- CFG-07 / CFG-21: the reference's error types and texts.
"""

import pickle

import pytest

from engine.config import Config


def test_cfg11_duplicate_keys_match_on_str_of_the_error(tutorial, write_cfg):
    write_cfg(tutorial, 'runtime2.py', 'gpu_ids = [2]\n')
    path = write_cfg(tutorial, 'dup.py', "_base_ = ['runtime_cfg.py', 'runtime2.py']\n")
    with pytest.raises(KeyError, match="Duplicate keys: {'gpu_ids'}") as info:
        Config.fromfile(path)
    # the message still names both bases
    assert 'runtime_cfg.py' in str(info.value) and 'runtime2.py' in str(info.value)


@pytest.mark.parametrize('ext', ['.pkl', '.pickle'])
def test_cfg19_dump_to_pickle(tutorial, tmp_path, ext):
    cfg = Config.fromfile(tutorial / 'resnet50_lr0.01.py')
    out = tmp_path / 'out'
    out.mkdir()
    target = out / f'dumped{ext}'
    assert cfg.dump(target) is None
    with open(target, 'rb') as f:
        data = pickle.load(f)
    assert type(data) is dict and data == cfg.to_dict()
    assert list(data) == ['optimizer', 'gpu_ids', 'model']
    assert [p.name for p in out.iterdir()] == [f'dumped{ext}']  # no temp file left


def test_cfg19_dump_without_file_follows_the_filename_format(tutorial, tmp_path):
    cfg = Config.fromfile(tutorial / 'resnet50.py')
    for name in ('x.yml', 'x.json'):
        cfg.dump(tmp_path / name)
        loaded = Config.fromfile(tmp_path / name)
        assert loaded.dump() == (tmp_path / name).read_text()
        assert loaded.to_dict() == cfg.to_dict()


def test_cfg07_unsupported_extensions_raise_oserror(tmp_path, write_cfg):
    path = write_cfg(tmp_path, 'color.jpg', 'not a config')
    with pytest.raises(OSError, match='Only py/yml/yaml/json type are supported now!'):
        Config.fromfile(path)
    with pytest.raises(OSError, match='Only py/yml/yaml/json type are supported now!'):
        Config.fromstring('a = 1', 'py')  # the format needs its dot


def test_cfg01_reserved_keys_and_non_dict(tmp_path, write_cfg):
    for key in ('filename', 'text', 'pretty_text'):
        with pytest.raises(KeyError, match=f'{key} is reserved for config file'):
            Config({key: 1})
    path = write_cfg(tmp_path, 'g.py', "filename = 'reserved.py'\n")
    with pytest.raises(KeyError, match='filename is reserved for config file'):
        Config.fromfile(path)
    with pytest.raises(TypeError, match="cfg_dict must be a dict, but got <class 'list'>"):
        Config([0, 1])


def test_dictaction_also_importable_from_the_config_module():
    # The reference defines Config, ConfigDict and DictAction in config/config.py.
    from engine.config import ConfigDict as public_cd
    from engine.config import DictAction as public
    from engine.config.config import ConfigDict, DictAction

    assert DictAction is public and ConfigDict is public_cd
