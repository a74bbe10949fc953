"""Build errors a config author can act on: nearest registered names, accepted arguments."""

import pytest

from engine.registry import Registry, build_from_cfg


class LoggerHook:
    def __init__(self, interval=10, ignore_last=True, *, log_metric_by_epoch=True):
        self.interval = interval


class ForwardingHook(LoggerHook):
    def __init__(self, priority='NORMAL', **kwargs):
        super().__init__(**kwargs)


def make_hooks(scope='errscope'):
    hooks = Registry('hook', scope=scope)
    for cls in (LoggerHook, ForwardingHook):
        hooks.register_module(module=cls)
    hooks.register_module(name='CheckpointHook', module=LoggerHook)
    return hooks


def test_unregistered_type_names_registry_scope_and_nearest_names():
    hooks = make_hooks()
    with pytest.raises(KeyError) as info:
        hooks.build(dict(type='LogerHook', interval=5))
    message = info.value.args[0]
    assert message.startswith('LogerHook is not in the hook registry. Please check whether '
                              'the value of `LogerHook` is correct')
    assert 'Searched: the hook registry (scope errscope) and its parents.' in message
    assert "Did you mean 'LoggerHook'?" in message
    with pytest.raises(KeyError) as info:
        build_from_cfg(dict(type='CheckpointHok'), hooks)
    assert "Did you mean 'CheckpointHook'?" in info.value.args[0]


def test_nearest_names_include_the_parent_registry():
    parent = make_hooks('errparent')
    child = Registry('hook', parent=parent, scope='errchild')
    with pytest.raises(KeyError) as info:
        child.build(dict(type='LoggerHuk'))
    assert "(scope errchild) and its parents. Did you mean 'LoggerHook'?" in info.value.args[0]


def test_no_suggestion_when_nothing_is_close():
    with pytest.raises(KeyError) as info:
        make_hooks().build(dict(type='Zzzzzz'))
    assert 'Zzzzzz is not in the hook registry' in info.value.args[0]
    assert 'Did you mean' not in info.value.args[0]


def test_misspelled_field_names_class_argument_and_accepted_ones():
    with pytest.raises(TypeError) as info:
        make_hooks().build(dict(type='LoggerHook', intervl=5))
    message = str(info.value)
    assert 'class `LoggerHook`' in message
    assert "argument 'intervl' is not accepted" in message
    assert 'LoggerHook accepts: interval, ignore_last, log_metric_by_epoch' in message
    assert "Did you mean 'interval'?" in message


def test_misspelled_field_through_kwargs_forwarding():
    with pytest.raises(TypeError) as info:
        make_hooks().build(dict(type='ForwardingHook', prority='LOW'))
    assert "argument 'prority' is not accepted; ForwardingHook accepts: priority" in str(
        info.value)
    assert "Did you mean 'priority'?" in str(info.value)
    # a field of the base class, which the forwarding constructor passes on
    with pytest.raises(TypeError) as info:
        make_hooks().build(dict(type='ForwardingHook', intervl=5))
    assert ("ForwardingHook accepts: priority, interval, ignore_last, log_metric_by_epoch. "
            "Did you mean 'interval'?") in str(info.value)


def test_other_type_errors_are_left_as_they_are():
    def needs_two(a, b):
        return a + b

    reg = Registry('fn', scope='errfn')
    reg.register_module(module=needs_two)
    with pytest.raises(TypeError) as info:
        reg.build(dict(type='needs_two', a=1))
    assert "missing 1 required positional argument: 'b'" in str(info.value)
    assert 'accepts' not in str(info.value)
