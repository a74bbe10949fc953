"""The seed's Config tutorial (§5), run as written with ``mmengine`` replaced by ``engine``.

Each test writes the tutorial's files into a temp folder, changes into it (the
tutorial loads them by relative path) and compares what the snippets print with
the outputs the tutorial shows.
"""

import argparse
import json
import subprocess
import sys
import textwrap

import pytest
import yaml

from engine.config import Config, ConfigDict, DictAction

LEARN_READ_PY = """\
test_int = 1
test_list = [1, 2, 3]
test_dict = dict(key1='value1', key2=0.1)
"""
LEARN_READ_JSON = """\
{
  "test_int": 1,
  "test_list": [1, 2, 3],
  "test_dict": {"key1": "value1", "key2": 0.1}
}
"""
LEARN_READ_YML = """\
test_int: 1
test_list: [1, 2, 3]
test_dict:
  key1: "value1"
  key2: 0.1
"""

FILES = {
    'learn_read_config.py': LEARN_READ_PY,
    'config.py': LEARN_READ_PY,
    'config.json': LEARN_READ_JSON,
    'config.yml': LEARN_READ_YML,
    'optimizer_cfg.py': "optimizer = dict(type='SGD', lr=0.02, momentum=0.9, "
                        "weight_decay=0.0001)\n",
    'resnet50.py': "_base_ = ['optimizer_cfg.py']\nmodel = dict(type='ResNet', depth=50)\n",
    'runtime_cfg.py': 'gpu_ids = [0, 1]\n',
    'resnet50_runtime.py': "_base_ = ['optimizer_cfg.py', 'runtime_cfg.py']\n"
                           "model = dict(type='ResNet', depth=50)\n",
    'resnet50_lr0.01.py': "_base_ = ['optimizer_cfg.py', 'runtime_cfg.py']\n"
                          "model = dict(type='ResNet', depth=50)\n"
                          'optimizer = dict(lr=0.01)\n',
    'resnet50_gpu0.py': "_base_ = ['optimizer_cfg.py', 'runtime_cfg.py']\n"
                        "model = dict(type='ResNet', depth=50)\n"
                        'gpu_ids = [0]\n',
    'resnet50_delete_key.py': "_base_ = ['optimizer_cfg.py', 'runtime_cfg.py']\n"
                              "model = dict(type='ResNet', depth=50)\n"
                              "optimizer = dict(_delete_=True, type='SGD', lr=0.01)\n",
    'refer_base_var.py': "_base_ = ['resnet50.py']\na = {{_base_.model}}\n",
    'refer_base_var_modify.py': "_base_ = ['resnet50.py']\na = {{_base_.model}}\n"
                                "a['type'] = 'MobileNet'\n",
    'modify_base_var.py': "_base_ = ['resnet50.py']\na = _base_.model\na.type = 'MobileNet'\n",
    'predefined_var.py': "work_dir = './work_dir/{{fileBasenameNoExtension}}'\n",
    'example.py': "model = dict(type='CustomModel', in_channels=[1, 2, 3])\n"
                  "optimizer = dict(type='SGD', lr=0.01)\n",
}

DEMO_TRAIN = '''\
import argparse

from engine.config import Config, DictAction

def parse_args():
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override some settings in the used config, the key-value pair '
        'in xxx=yyy format will be merged into config file. If the value to '
        'be overwritten is a list, it should be like key="[a,b]" or key=a,b '
        'It also allows nested list/tuple values, e.g. key="[(a,b),(c,d)]" '
        'Note that the quotation marks are necessary and that no white space '
        'is allowed.')

    args = parser.parse_args()
    return args

def main():
    args = parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    print(cfg)

if __name__ == '__main__':
    main()
'''


@pytest.fixture
def seed_dir(tmp_path, monkeypatch):
    for name, text in FILES.items():
        (tmp_path / name).write_text(text, encoding='utf-8')
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_5_1_read_the_three_formats(seed_dir, capsys):
    cfg = Config.fromfile('learn_read_config.py')
    print(cfg)
    assert capsys.readouterr().out == (
        "Config (path: learn_read_config.py): {'test_int': 1, 'test_list': [1, 2, 3], "
        "'test_dict': {'key1': 'value1', 'key2': 0.1}}\n")
    expected = {'test_int': 1, 'test_list': [1, 2, 3], 'test_dict': {'key1': 'value1', 'key2': 0.1}}
    for name in ('config.py', 'config.json', 'config.yml'):
        loaded = Config.fromfile(name)
        assert loaded.to_dict() == expected
        assert isinstance(loaded.test_dict, ConfigDict)
        assert loaded.filename == name


def test_5_2_access_and_modify(seed_dir, capsys):
    cfg = Config.fromfile('learn_read_config.py')
    print(cfg.test_int)
    print(cfg.test_list)
    print(cfg.test_dict)
    cfg.test_int = 2

    print(cfg['test_int'])
    print(cfg['test_list'])
    print(cfg['test_dict'])
    cfg['test_list'][1] = 3
    print(cfg['test_list'])
    assert capsys.readouterr().out == textwrap.dedent("""\
        1
        [1, 2, 3]
        {'key1': 'value1', 'key2': 0.1}
        2
        [1, 2, 3]
        {'key1': 'value1', 'key2': 0.1}
        [1, 3, 3]
        """)


def test_5_3_inheritance_examples(seed_dir, capsys):
    for name in ('resnet50.py', 'resnet50_runtime.py'):
        cfg = Config.fromfile(name)
        print(cfg.optimizer)
    cfg = Config.fromfile('resnet50_lr0.01.py')
    print(cfg.optimizer)
    cfg = Config.fromfile('resnet50_delete_key.py')
    print(cfg.optimizer)
    cfg = Config.fromfile('refer_base_var.py')
    print(cfg.a)
    cfg = Config.fromfile('modify_base_var.py')
    print(cfg.a)
    assert capsys.readouterr().out == textwrap.dedent("""\
        {'type': 'SGD', 'lr': 0.02, 'momentum': 0.9, 'weight_decay': 0.0001}
        {'type': 'SGD', 'lr': 0.02, 'momentum': 0.9, 'weight_decay': 0.0001}
        {'type': 'SGD', 'lr': 0.01, 'momentum': 0.9, 'weight_decay': 0.0001}
        {'type': 'SGD', 'lr': 0.01}
        {'type': 'ResNet', 'depth': 50}
        {'type': 'MobileNet', 'depth': 50}
        """)
    assert set(Config.fromfile('resnet50_runtime.py')) == {'model', 'optimizer', 'gpu_ids'}
    assert Config.fromfile('resnet50_gpu0.py').gpu_ids == [0]
    # "the config class cannot parse such a file": the placeholder is a string there
    with pytest.raises(TypeError, match='does not support item assignment'):
        Config.fromfile('refer_base_var_modify.py')


def test_5_4_dump_formats(seed_dir):
    cfg = Config.fromfile('resnet50.py')
    cfg.dump('resnet50_dump.py')
    assert (seed_dir / 'resnet50_dump.py').read_text() == (
        "optimizer = dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=0.0001)\n"
        "model = dict(type='ResNet', depth=50)\n")
    cfg.dump('resnet50_dump.yaml')
    assert (seed_dir / 'resnet50_dump.yaml').read_text() == textwrap.dedent("""\
        model:
          depth: 50
          type: ResNet
        optimizer:
          lr: 0.02
          momentum: 0.9
          type: SGD
          weight_decay: 0.0001
        """)
    cfg.dump('resnet50_dump.json')
    text = (seed_dir / 'resnet50_dump.json').read_text()
    assert json.loads(text) == {
        'optimizer': {'type': 'SGD', 'lr': 0.02, 'momentum': 0.9, 'weight_decay': 0.0001},
        'model': {'type': 'ResNet', 'depth': 50}}
    assert list(json.loads(text)) == ['optimizer', 'model']
    for name in ('resnet50_dump.py', 'resnet50_dump.yaml', 'resnet50_dump.json'):
        assert Config.fromfile(name).to_dict() == cfg.to_dict()

    cfg = Config(dict(a=1, b=2))
    cfg.dump('dump_dict.py')
    assert (seed_dir / 'dump_dict.py').read_text() == 'a = 1\nb = 2\n'
    assert Config.fromfile('dump_dict.py').to_dict() == {'a': 1, 'b': 2}


def test_5_4_yaml_dump_is_pyyaml_default_layout(seed_dir):
    cfg = Config.fromfile('resnet50.py')
    assert cfg.dump('x.yaml') is None
    assert (seed_dir / 'x.yaml').read_text() == yaml.safe_dump(cfg.to_dict())


def test_5_5_1_predefined_variables(seed_dir, capsys):
    cfg = Config.fromfile('./predefined_var.py')
    print(cfg.work_dir)
    assert capsys.readouterr().out == './work_dir/predefined_var\n'


def test_5_5_2_demo_train_script(seed_dir):
    (seed_dir / 'demo_train.py').write_text(DEMO_TRAIN)

    def run(*options):
        out = subprocess.run([sys.executable, 'demo_train.py', './example.py', '--cfg-options',
                              *options], capture_output=True, text=True, check=True)
        return out.stdout

    assert run('optimizer.lr=0.1') == (
        "Config (path: ./example.py): {'model': {'type': 'CustomModel', 'in_channels': "
        "[1, 2, 3]}, 'optimizer': {'type': 'SGD', 'lr': 0.1}}\n")
    # the shell passes model.in_channels="[1, 1, 1]" as model.in_channels=[1, 1, 1]
    assert run('model.in_channels=[1, 1, 1]') == (
        "Config (path: ./example.py): {'model': {'type': 'CustomModel', 'in_channels': "
        "[1, 1, 1]}, 'optimizer': {'type': 'SGD', 'lr': 0.01}}\n")


def test_5_5_2_in_process(seed_dir, capsys):
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args(['./example.py', '--cfg-options', 'optimizer.lr=0.1',
                              'model.in_channels="[1, 1, 1]"'])
    assert args.cfg_options == {'optimizer.lr': 0.1, 'model.in_channels': [1, 1, 1]}
    cfg = Config.fromfile(args.config)
    cfg.merge_from_dict(args.cfg_options)
    print(cfg)
    assert capsys.readouterr().out == (
        "Config (path: ./example.py): {'model': {'type': 'CustomModel', 'in_channels': "
        "[1, 1, 1]}, 'optimizer': {'type': 'SGD', 'lr': 0.1}}\n")
    args = parser.parse_args(['./example.py'])
    assert args.cfg_options is None


@pytest.fixture
def my_module(seed_dir, monkeypatch):
    """§5.5.3's my_module.py, importable; unregistered and unimported afterwards."""
    from engine.registry import OPTIMIZERS

    (seed_dir / 'my_module.py').write_text(
        'from engine.registry import OPTIMIZERS\n\n'
        '@OPTIMIZERS.register_module()\n'
        'class CustomOptim:\n'
        '    pass\n')
    (seed_dir / 'custom_imports.py').write_text(
        "custom_imports = dict(imports=['my_module'], allow_failed_imports=False)\n"
        "optimizer = dict(type='CustomOptim')\n")
    monkeypatch.syspath_prepend(str(seed_dir))
    yield
    OPTIMIZERS.module_dict.pop('CustomOptim', None)
    sys.modules.pop('my_module', None)


def test_5_5_3_custom_imports(my_module, capsys):
    cfg = Config.fromfile('custom_imports.py')

    from engine.registry import OPTIMIZERS

    custom_optim = OPTIMIZERS.build(cfg.optimizer)
    print(custom_optim)
    assert capsys.readouterr().out.startswith('<my_module.CustomOptim object at 0x')
    assert cfg.custom_imports == dict(imports=['my_module'], allow_failed_imports=False)


def test_custom_imports_from_a_string_and_their_errors(my_module, seed_dir):
    from engine.registry import OPTIMIZERS

    OPTIMIZERS.module_dict.pop('CustomOptim', None)
    sys.modules.pop('my_module', None)
    text = (seed_dir / 'custom_imports.py').read_text()
    cfg = Config.fromstring(text, file_format='.py')
    assert type(OPTIMIZERS.build(cfg.optimizer)).__module__ == 'my_module'
    (seed_dir / 'bad.py').write_text("custom_imports = 'my_module'\n")
    with pytest.raises(TypeError, match=r"custom_imports in .*bad\.py must be a dict like "
                                        r"dict\(imports=\['my_module'\].*but got 'my_module'"):
        Config.fromfile(str(seed_dir / 'bad.py'))
    (seed_dir / 'missing.py').write_text("custom_imports = dict(imports=['no_such_mod_x'])\n")
    with pytest.raises(ImportError, match=r"Failed to custom import!.*no_such_mod_x.*missing\.py"):
        Config.fromfile(str(seed_dir / 'missing.py'))


MMDET_BASES = {
    '_base_/schedules/schedule_1x.py':
        "train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=12, val_interval=1)\n"
        "optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.02))\n",
    '_base_/datasets/coco_instance.py':
        "dataset_type = 'CocoDataset'\n"
        "train_dataloader = dict(batch_size=2, dataset=dict(type=dataset_type))\n",
    '_base_/default_runtime.py': "default_scope = 'mmdet'\nlog_level = 'INFO'\n",
    '_base_/models/faster_rcnn_r50_fpn.py':
        "model = dict(type='FasterRCNN', backbone=dict(type='ResNet', depth=50))\n",
}


def test_5_5_4_cross_repo_inheritance(seed_dir, monkeypatch, capsys):
    site = seed_dir / 'site'
    (site / 'mmdet-3.0.0.dist-info').mkdir(parents=True)
    (site / 'mmdet-3.0.0.dist-info' / 'METADATA').write_text(
        'Metadata-Version: 2.1\nName: mmdet\nVersion: 3.0.0\n')
    (site / 'mmdet').mkdir()
    (site / 'mmdet' / '__init__.py').write_text('')
    for rel, text in MMDET_BASES.items():
        path = site / 'mmdet' / '.mim' / 'configs' / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    monkeypatch.syspath_prepend(str(site))
    (seed_dir / 'cross_repo.py').write_text(textwrap.dedent("""\
        _base_ = [
            'mmdet::_base_/schedules/schedule_1x.py',
            'mmdet::_base_/datasets/coco_instance.py',
            'mmdet::_base_/default_runtime.py',
            'mmdet::_base_/models/faster_rcnn_r50_fpn.py',
        ]
        """))

    cfg = Config.fromfile('cross_repo.py')
    print(cfg.train_cfg)
    assert capsys.readouterr().out == (
        "{'type': 'EpochBasedTrainLoop', 'max_epochs': 12, 'val_interval': 1, "
        "'_scope_': 'mmdet'}\n")
    assert cfg.model == {'type': 'FasterRCNN', 'backbone': {'type': 'ResNet', 'depth': 50},
                         '_scope_': 'mmdet'}
    assert '_scope_' not in cfg.optim_wrapper.optimizer
    assert cfg.train_dataloader.dataset._scope_ == 'mmdet'
    assert cfg.default_scope == 'mmdet' and cfg.dataset_type == 'CocoDataset'
