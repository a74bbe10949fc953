"""Shared helpers: the seed's tutorial config files, written into a temp dir."""

import textwrap

import pytest

TUTORIAL = {
    'optimizer_cfg.py': "optimizer = dict(type='SGD', lr=0.02, momentum=0.9, "
                        "weight_decay=0.0001)\n",
    'runtime_cfg.py': 'gpu_ids = [0, 1]\n',
    'resnet50.py': "_base_ = ['optimizer_cfg.py']\nmodel = dict(type='ResNet', depth=50)\n",
    'resnet50_runtime.py': "_base_ = ['optimizer_cfg.py', 'runtime_cfg.py']\n"
                           "model = dict(type='ResNet', depth=50)\n",
    'resnet50_lr0.01.py': "_base_ = ['optimizer_cfg.py', 'runtime_cfg.py']\n"
                          "model = dict(type='ResNet', depth=50)\n"
                          'optimizer = dict(lr=0.01)\n'
                          'gpu_ids = [0]\n',
    'resnet50_delete_key.py': "_base_ = ['optimizer_cfg.py', 'runtime_cfg.py']\n"
                              "model = dict(type='ResNet', depth=50)\n"
                              "optimizer = dict(_delete_=True, type='SGD', lr=0.01)\n",
    'refer_base_var.py': "_base_ = ['resnet50.py']\na = {{_base_.model}}\n",
    'modify_base_var.py': "_base_ = ['resnet50.py']\na = _base_.model\na.type = 'MobileNet'\n",
}


def write(folder, name, text):
    """Write ``text`` (dedented) to ``folder/name``; return the path as str."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding='utf-8')
    return str(path)


@pytest.fixture
def write_cfg():
    """The :func:`write` helper (test modules cannot import conftest)."""
    return write


@pytest.fixture
def tutorial(tmp_path):
    """The §5.3 tutorial files in ``tmp_path``; returns the folder."""
    for name, text in TUTORIAL.items():
        write(tmp_path, name, text)
    return tmp_path
