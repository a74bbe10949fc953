"""``engine config`` output formats, --explain's hook, and one-line errors."""

from __future__ import annotations

import textwrap

import pytest

import engine.config
from engine.cli.main import main
from engine.config import Config

BASE = '''
model = dict(type='Net', depth=18, channels=[16, 32], head=dict(num_classes=10))
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.1))
'''
CHILD = '''
_base_ = ['./base.py']
model = dict(depth=50, head=dict(num_classes=100))
work_dir = './work_dirs/child'
'''


@pytest.fixture
def child_config(tmp_path):
    (tmp_path / 'base.py').write_text(textwrap.dedent(BASE))
    child = tmp_path / 'child.py'
    child.write_text(textwrap.dedent(CHILD))
    return child


def test_config_prints_merged_config_in_three_formats_that_reload_equal(
        child_config, tmp_path, engine_cli):
    expected = Config.fromfile(child_config)
    expected.merge_from_dict({'optim_wrapper.optimizer.lr': 0.02, 'model.channels': [8, 8]})
    expected = expected.to_dict()
    assert expected['model']['depth'] == 50 and expected['model']['head']['num_classes'] == 100
    for fmt in ('py', 'yaml', 'json'):
        proc = engine_cli('config', child_config, '--format', fmt, '--cfg-options',
                          'optim_wrapper.optimizer.lr=0.02', 'model.channels=[8,8]')
        assert proc.returncode == 0, proc.stderr
        assert '_base_' not in proc.stdout  # fully merged, standalone
        out = tmp_path / f'printed.{fmt}'
        out.write_text(proc.stdout)
        assert Config.fromfile(out).to_dict() == expected, fmt


def test_bad_config_path_gives_one_line_and_nonzero_exit(tmp_path, engine_cli):
    for command in ('train', 'config'):
        proc = engine_cli(command, tmp_path / 'missing.py')
        assert proc.returncode != 0
        lines = proc.stderr.strip().splitlines()
        assert lines == [f'engine: error: config file not found: {tmp_path / "missing.py"}']


def test_bad_cfg_options_give_one_line_naming_the_problem(child_config, engine_cli):
    proc = engine_cli('config', child_config, '--cfg-options', 'model.depth')
    assert proc.returncode != 0
    assert proc.stderr.strip().splitlines() == [
        "engine: error: bad --cfg-options: --cfg-options: expected KEY=VALUE, got 'model.depth'"]

    # model.type is a string: it cannot take a sub-key
    proc = engine_cli('train', child_config, '--cfg-options', 'model.type.depth=3')
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('engine: error: bad --cfg-options')
    assert 'type' in lines[0] and str(child_config) in lines[0]


def test_syntax_error_names_file_and_line_and_debug_shows_the_traceback(tmp_path, engine_cli):
    broken = tmp_path / 'broken.py'
    broken.write_text("model = dict(type='Net')\nlr = (0.1\n")
    proc = engine_cli('config', broken)
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and str(broken) in lines[0] and 'SyntaxError' in lines[0]

    proc = engine_cli('config', broken, '--debug')
    assert proc.returncode != 0
    assert 'Traceback (most recent call last)' in proc.stderr


def test_explain_calls_engine_config_explain_when_it_exists(child_config, monkeypatch, capsys):
    if not hasattr(engine.config, 'explain'):
        assert main(['config', str(child_config), '--explain']) == 1
        err = capsys.readouterr().err
        assert err.strip().splitlines() == [
            'engine: error: engine config --explain is not available yet: '
            'this engine.config has no explain()']
    seen = []

    def explain(cfg):
        seen.append(cfg.model.depth)
        return 'model.depth = 50  # child.py:3'

    monkeypatch.setattr(engine.config, 'explain', explain, raising=False)
    assert main(['config', str(child_config), '--explain']) == 0
    assert seen == [50]
    assert capsys.readouterr().out == 'model.depth = 50  # child.py:3\n'


def test_version_and_help(engine_cli):
    proc = engine_cli('--version')
    assert proc.returncode == 0 and proc.stdout.startswith('engine ')
    proc = engine_cli('--help')
    assert proc.returncode == 0
    for command in ('train', 'test', 'config', 'plot', 'registry'):
        assert command in proc.stdout


def test_explain_with_engine_config_provenance(child_config, capsys):
    if not hasattr(engine.config, 'explain'):
        pytest.skip('engine.config.explain is not available in this engine-config')
    assert main(['config', str(child_config), '--explain', '--cfg-options',
                 'optim_wrapper.optimizer.lr=0.5']) == 0
    lines = {line.split(' = ')[0]: line for line in capsys.readouterr().out.splitlines()}
    assert 'child.py:3' in lines['model.depth']  # set by the child, over the base's 18
    assert 'base.py:2' in lines['model.type']
    assert '--cfg-options' in lines['optim_wrapper.optimizer.lr']


def test_config_command_does_not_import_torch(child_config):
    import subprocess
    import sys

    code = ('import sys\nfrom engine.cli.main import main\n'
            f'assert main(["config", {str(child_config)!r}, "--format", "json"]) == 0\n'
            'print("torch" in sys.modules, file=sys.stderr)')
    proc = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip() == 'False'


@pytest.mark.skipif(__import__('sys').version_info < (3, 11),
                    reason='engine-config names the running config through add_note (3.11+)')
def test_error_raised_while_running_a_config_names_its_line(tmp_path, capsys):
    config = tmp_path / 'zero.py'
    config.write_text("model = dict(type='Net')\nscale = 1 / 0\n")
    assert main(['config', str(config)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith('engine: error: ZeroDivisionError: division by zero')
    assert err[0].endswith(f'at {config}:2')
