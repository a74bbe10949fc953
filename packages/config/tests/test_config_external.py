"""custom_imports (CFG-25) and configs of installed packages, ``pkg::`` (CFG-16/17)."""

import re
import sys
import uuid

import pytest

from engine.config import Config
from engine.config.utils import get_model_metainfo

SCHEDULE = "train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=12, val_interval=1)\n"


@pytest.fixture
def site(tmp_path, monkeypatch):
    """A temp site dir on sys.path where tests install fake distributions."""
    folder = tmp_path / 'site'
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    return folder


def install(site, write_cfg, name, files, entry_points=''):
    """Fake installed distribution ``name``: dist-info, package and files."""
    write_cfg(site, f'{name}-0.1.0.dist-info/METADATA',
              f'Metadata-Version: 2.1\nName: {name}\nVersion: 0.1.0\n')
    if entry_points:
        write_cfg(site, f'{name}-0.1.0.dist-info/entry_points.txt', entry_points)
    write_cfg(site, f'{name}/__init__.py', '')
    for rel, text in files.items():
        write_cfg(site, f'{name}/{rel}', text)


def test_pkg_base_with_scope_injection_ts22(site, tmp_path, write_cfg):
    install(site, write_cfg, 'mmdet', {
        '.mim/configs/_base_/schedules/schedule_1x.py': SCHEDULE,
        '.mim/configs/_base_/models/m.py': """\
            model = dict(type='RetinaNet', backbone=dict(type='ResNet'), neck=dict(type='FPN'))
            optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.01))
            pipeline = [dict(type='Load'), dict(type='Pack', _scope_='mmcv')]
            holder = dict(inner=dict(type='X'), plain=1)
            scalar = 3
            """,
        '.mim/configs/retina/retina.py':
            "_base_ = ['../_base_/models/m.py']\nextra = dict(type='E')\n",
    })
    path = write_cfg(tmp_path, 'child.py', """\
        _base_ = ['mmdet::_base_/schedules/schedule_1x.py', 'mmdet::retina/retina.py']
        model = dict(backbone=dict(depth=101))
        copy_of_model = {{_base_.model}}
        ref = _base_.optim_wrapper
        """)
    cfg = Config.fromfile(path)
    assert cfg.train_cfg == {'type': 'EpochBasedTrainLoop', 'max_epochs': 12, 'val_interval': 1,
                             '_scope_': 'mmdet'}
    assert cfg.model == {'type': 'RetinaNet', 'backbone': {'type': 'ResNet', 'depth': 101},
                         'neck': {'type': 'FPN'}, '_scope_': 'mmdet'}
    assert cfg.optim_wrapper._scope_ == 'mmdet'
    assert '_scope_' not in cfg.optim_wrapper.optimizer
    assert cfg.pipeline == [{'type': 'Load', '_scope_': 'mmdet'},
                            {'type': 'Pack', '_scope_': 'mmcv'}]
    assert cfg.holder == {'inner': {'type': 'X', '_scope_': 'mmdet'}, 'plain': 1}
    assert cfg.scalar == 3
    assert cfg.extra._scope_ == 'mmdet'  # bases of the package file are injected as well
    assert cfg.copy_of_model._scope_ == 'mmdet'
    assert cfg.ref._scope_ == 'mmdet'


def test_fromfile_pkg_path_and_model_index(site, write_cfg):
    install(site, write_cfg, 'mmdet', {
        '.mim/configs/_base_/schedules/schedule_1x.py': SCHEDULE,
        '.mim/configs/faster_rcnn/frcnn_r50.py': "_base_ = '../_base_/schedules/schedule_1x.py'\n"
                                                 "model = dict(type='FasterRCNN')\n",
        '.mim/model-index.yml': 'Import:\n  - configs/faster_rcnn/metafile.yml\n',
        '.mim/configs/faster_rcnn/metafile.yml':
            'Models:\n  - Name: frcnn_r50_coco\n    Config: configs/faster_rcnn/frcnn_r50.py\n'
            '    Weights: https://example.org/frcnn.pth\n',
    })
    by_path = Config.fromfile('mmdet::faster_rcnn/frcnn_r50.py')
    by_name = Config.fromfile('mmdet::frcnn_r50_coco')
    assert by_path.to_dict() == by_name.to_dict()
    assert by_path.model.type == 'FasterRCNN' and by_path.train_cfg.max_epochs == 12
    assert get_model_metainfo('mmdet::frcnn_r50_coco')['Weights'] == 'https://example.org/frcnn.pth'
    assert get_model_metainfo('mmdet::faster_rcnn/frcnn_r50.py')['Name'] == 'frcnn_r50_coco'
    with pytest.raises(ValueError, match='not in the model index of mmdet'):
        get_model_metainfo('mmdet::nope')


def test_entry_point_registers_a_new_scope(site, tmp_path, write_cfg):
    name = f'mmfoo{uuid.uuid4().hex[:6]}'
    install(site, write_cfg, name, {'.mim/configs/a/b.py': "model = dict(type='Foo')\n"},
            entry_points=f'[engine.scopes]\n{name} = {name}\n')
    path = write_cfg(tmp_path, 'c.py', f"_base_ = '{name}::a/b.py'\n")
    assert Config.fromfile(path).model == {'type': 'Foo', '_scope_': name}


def test_pkg_path_errors(site, tmp_path, write_cfg):
    cases = [
        ('mmfoo_unknown::a/b.py', AssertionError, 'does not support to load mmfoo_unknown config'),
        ('mmocr::a/b.py', ModuleNotFoundError, 'mmocr is not installed, please install mmocr'),
        ('mmdet::a::b/c.py', ValueError, 'only once'),
        ('::', ValueError, 'not a package config path'),
    ]
    for entry, error, message in cases:
        path = write_cfg(tmp_path, 'c.py', f"_base_ = '{entry}'\n")
        with pytest.raises(error, match=message):
            Config.fromfile(path)
    install(site, write_cfg, 'mmdet', {})
    path = write_cfg(tmp_path, 'c.py', "_base_ = 'mmdet::nope/x.py'\n")
    with pytest.raises(FileNotFoundError, match='does not exist in the installed package mmdet'):
        Config.fromfile(path)


@pytest.fixture
def module_dir(tmp_path, monkeypatch):
    folder = tmp_path / 'mods'
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    names = set(sys.modules)
    yield folder
    for name in set(sys.modules) - names:
        del sys.modules[name]


def test_custom_imports_register_while_loading_ts21(module_dir, tmp_path, write_cfg):
    holder, mod = f'holder_{uuid.uuid4().hex[:8]}', f'my_module_{uuid.uuid4().hex[:8]}'
    write_cfg(module_dir, f'{holder}.py', "from engine.registry import Registry\n"
                                          "OPTIMIZERS = Registry('optimizer')\n")
    write_cfg(module_dir, f'{mod}.py', f"""\
        from {holder} import OPTIMIZERS

        @OPTIMIZERS.register_module()
        class CustomOptim:
            def __init__(self, lr=0.1):
                self.lr = lr
        """)
    path = write_cfg(tmp_path, 'c.py', f"""\
        custom_imports = dict(imports=['{mod}'], allow_failed_imports=False)
        optimizer = dict(type='CustomOptim', lr=0.5)
        """)
    cfg = Config.fromfile(path, import_custom_modules=False)
    assert mod not in sys.modules
    cfg = Config.fromfile(path)
    assert mod in sys.modules
    assert cfg.custom_imports == {'imports': [mod], 'allow_failed_imports': False}
    optim = sys.modules[holder].OPTIMIZERS.build(cfg.optimizer)
    assert type(optim).__name__ == 'CustomOptim' and optim.lr == 0.5


def test_custom_imports_failures(tmp_path, write_cfg):
    path = write_cfg(tmp_path, 'c.py', "custom_imports = dict(imports=['not_a_module_xyz'])\n")
    with pytest.raises(ImportError, match='Failed to custom import!') as info:
        Config.fromfile(path)
    assert isinstance(info.value.__cause__, ImportError)
    assert 'not_a_module_xyz' in str(info.value.__cause__)
    assert path in str(info.value)
    # set in a _base_ file: the message names that file and line, and the one being loaded
    child = write_cfg(tmp_path, 'child.py', "_base_ = ['./c.py']\nlr = 0.1\n")
    with pytest.raises(ImportError, match=rf"custom_imports set at {re.escape(path)}:1, "
                                          rf"loading {re.escape(child)}; the modules must be "
                                          r"importable"):
        Config.fromfile(child)
    path = write_cfg(tmp_path, 'd.py', "custom_imports = dict(imports='not_a_module_xyz', "
                                       "allow_failed_imports=True)\n")
    with pytest.warns(UserWarning, match='not_a_module_xyz failed to import and is ignored'):
        cfg = Config.fromfile(path)
    assert cfg.custom_imports.imports == 'not_a_module_xyz'


def test_scope_table_is_the_one_in_engine_utils(site, write_cfg):
    import engine.utils
    from engine.config import utils as config_utils

    assert config_utils.PKG2PROJECT is engine.utils.PKG2PROJECT
    assert config_utils.ENTRY_POINT_GROUP == engine.utils.SCOPE_ENTRY_POINT_GROUP
    assert config_utils.known_scopes() == engine.utils.get_scope_distributions()
    # A distribution installed after the first scan is seen by pkg:: loading.
    config_utils.known_scopes()
    name = f'mmlate{uuid.uuid4().hex[:6]}'
    install(site, write_cfg, name, {'.mim/configs/d/x.py': 'a = 1\n'},
            entry_points=f'[engine.scopes]\n{name} = {name}\n')
    assert config_utils.external_config_path(f'{name}::d/x.py')[0] == name
    assert config_utils.known_scopes()[name] == name
