"""A config's `type` or fields that do not match the registry (issue 11)."""

import pytest

from engine.config import Config
from engine.registry import Registry


class LoggerHook:
    def __init__(self, interval=10, ignore_last=True, interval_exp_name=None):
        self.interval = interval


@pytest.fixture
def hooks():
    registry = Registry('hook', scope='cfgerr')
    registry.register_module(module=LoggerHook)
    return registry


def test_unregistered_type_from_a_config_suggests_the_nearest(tmp_path, write_cfg, hooks):
    path = write_cfg(tmp_path, 'c.py', "hook = dict(type='LogerHook', interval=5)\n")
    cfg = Config.fromfile(path)
    with pytest.raises(KeyError) as info:
        hooks.build(cfg.hook)
    message = info.value.args[0]
    assert message.startswith('LogerHook is not in the hook registry. ')
    assert 'the hook registry (scope cfgerr)' in message
    assert "Did you mean 'LoggerHook'?" in message


def test_misspelled_hook_field_names_class_argument_and_accepted(tmp_path, write_cfg, hooks):
    path = write_cfg(tmp_path, 'c.py', "hook = dict(type='LoggerHook', intervl=5)\n")
    cfg = Config.fromfile(path)
    with pytest.raises(TypeError) as info:
        hooks.build(cfg.hook)
    message = str(info.value)
    assert 'class `LoggerHook`' in message and "'intervl'" in message
    assert 'accepts: interval, ignore_last, interval_exp_name' in message
    assert "Did you mean 'interval'" in message
    # the config tells where the bad field was written
    assert cfg.source_of('hook.intervl') == f'{path}:1'
