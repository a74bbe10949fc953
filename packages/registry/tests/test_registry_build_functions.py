"""build_from_cfg and the specialised build functions (BUILD-01..10, TS-10)."""

import logging
from collections import OrderedDict

import pytest

from engine.registry import (
    DefaultScope,
    Registry,
    build_from_cfg,
    build_runner_from_cfg,
    build_scheduler_from_cfg,
)
from engine.utils import ManagerMixin


class Plain:
    def __init__(self, x=0, y=0):
        self.x, self.y = x, y


@pytest.fixture
def reg():
    r = Registry('thing', scope='bscope')
    r.register_module(module=Plain)
    return r


def test_ts10_default_args_merge_cfg_wins(reg):
    obj = build_from_cfg(dict(type=Plain, x=1), reg, default_args=dict(x=5, y=7))
    assert (obj.x, obj.y) == (1, 7)
    obj = build_from_cfg(dict(x=1), reg, default_args=dict(type='Plain'))
    assert isinstance(obj, Plain) and obj.x == 1
    obj = build_from_cfg(dict(type='Plain'), reg, default_args=dict(type='Other'))
    assert isinstance(obj, Plain)


def test_cfg_is_not_mutated(reg):
    cfg = dict(type='Plain', x=1, _scope_='bscope')
    default_args = dict(y=2)
    build_from_cfg(cfg, reg, default_args=default_args)
    assert cfg == dict(type='Plain', x=1, _scope_='bscope')
    assert default_args == dict(y=2)


def test_any_mapping_is_accepted(reg):
    assert build_from_cfg(OrderedDict(type='Plain', x=3), reg).x == 3


def test_ts10_errors_in_order(reg):
    with pytest.raises(TypeError, match='cfg should be a dict, ConfigDict or Config, but got'):
        build_from_cfg([1], reg)
    with pytest.raises(KeyError, match='must contain the key "type"'):
        build_from_cfg(dict(a=1), reg)
    with pytest.raises(TypeError, match='registry must be a engine.Registry object'):
        build_from_cfg(dict(type='X'), 'notreg')
    with pytest.raises(TypeError, match='default_args should be a dict'):
        build_from_cfg(dict(type='Plain'), reg, default_args=[1])
    with pytest.raises(TypeError, match='type must be a str or valid type, but got'):
        build_from_cfg(dict(type=3), reg)
    with pytest.raises(KeyError, match='Missing is not in the thing registry'):
        build_from_cfg(dict(type='Missing'), reg)


def test_function_type_object_is_called(reg):
    def make(a, b):
        return a + b

    assert build_from_cfg(dict(type=make, a=1, b=2), reg) == 3


def test_scope_key_switches_registry_for_lookup(reg):
    other = Registry('thing', parent=reg, scope='other')

    @other.register_module()
    class OnlyOther:
        pass

    assert isinstance(build_from_cfg(dict(type='OnlyOther', _scope_='other'), reg), OnlyOther)
    assert DefaultScope.get_current_instance() is None


def test_constructor_errors_keep_type_and_gain_location(reg):
    with pytest.raises(TypeError, match=r'class `Plain` in .*\.py: .*unexpected keyword') as info:
        reg.build(dict(type='Plain', bad=1))
    assert isinstance(info.value.__cause__, TypeError)

    @reg.register_module()
    class Fails:
        def __init__(self):
            raise ValueError('boom')

    with pytest.raises(ValueError, match='class `Fails` in .*: boom'):
        reg.build(dict(type='Fails'))


def test_exception_with_unusual_constructor_is_reraised_unchanged(reg):
    class OddError(Exception):
        def __init__(self, a, b):
            super().__init__(a, b)

    @reg.register_module()
    class Odd:
        def __init__(self):
            raise OddError(1, 2)

    with pytest.raises(OddError):
        reg.build(dict(type='Odd'))


def test_manager_mixin_target_built_with_get_instance(reg):
    @reg.register_module()
    class Managed(ManagerMixin):
        def __init__(self, name, value=0):
            super().__init__(name)
            self.value = value

    first = reg.build(dict(type='Managed', name='m1', value=3))
    assert Managed.get_instance('m1') is first
    assert Managed.get_current_instance() is first and first.value == 3


def test_build_logs_debug(reg, caplog):
    with caplog.at_level(logging.DEBUG, logger='engine.registry'):
        reg.build(dict(type='Plain'))
    assert 'An `Plain` instance is built from registry' in caplog.text


class FakeRunner:
    def __init__(self, cfg):
        self.cfg = cfg

    @classmethod
    def from_cfg(cls, cfg):
        return cls(cfg)


def test_build_runner_from_cfg_uses_from_cfg_and_keeps_runner_type():
    runners = Registry('runner', build_func=build_runner_from_cfg, scope='rscope')
    runners.register_module(module=FakeRunner)
    cfg = dict(runner_type='FakeRunner', work_dir='w')
    runner = runners.build(cfg)
    assert isinstance(runner, FakeRunner)
    assert runner.cfg == dict(runner_type='FakeRunner', work_dir='w')
    assert cfg == dict(runner_type='FakeRunner', work_dir='w')


def test_build_runner_defaults_to_engine_runner():
    from engine.registry import RUNNERS

    # engine.runner may be imported already (other packages' tests): put its Runner back.
    previous = RUNNERS.module_dict.get('Runner')
    RUNNERS.register_module(name='Runner', module=FakeRunner, force=True)
    try:
        assert isinstance(RUNNERS.build(dict(work_dir='w')), FakeRunner)
    finally:
        RUNNERS.module_dict.pop('Runner')
        if previous is not None:
            RUNNERS.module_dict['Runner'] = previous


def test_build_runner_errors():
    runners = Registry('runner', build_func=build_runner_from_cfg, scope='rscope')
    with pytest.raises(AssertionError):
        build_runner_from_cfg([1], runners)
    with pytest.raises(AssertionError):
        build_runner_from_cfg(dict(), 'notreg')
    with pytest.raises(KeyError, match='Nope is not in the runner registry'):
        runners.build(dict(runner_type='Nope'))
    with pytest.raises(TypeError, match='type must be a str or valid type'):
        runners.build(dict(runner_type=5))


class EpochScheduler:
    def __init__(self, optimizer, by_epoch=True, begin=0, end=10):
        self.optimizer, self.by_epoch, self.begin, self.end = optimizer, by_epoch, begin, end

    @classmethod
    def build_iter_from_epoch(cls, *args, begin=0, end=10, by_epoch=True, epoch_length=None,
                              **kwargs):
        obj = cls(*args, begin=begin * epoch_length, end=end * epoch_length, by_epoch=False,
                  **kwargs)
        obj.converted = True
        return obj


@pytest.fixture
def schedulers():
    r = Registry('parameter scheduler', build_func=build_scheduler_from_cfg, scope='sscope')
    r.register_module(module=EpochScheduler)
    return r


def test_build_scheduler_plain_drops_epoch_length(schedulers):
    sched = schedulers.build(dict(type='EpochScheduler', end=5, epoch_length=100),
                             default_args=dict(optimizer='opt'))
    assert sched.optimizer == 'opt' and sched.end == 5 and sched.by_epoch is True


def test_build_scheduler_convert_to_iter_based(schedulers):
    cfg = dict(type='EpochScheduler', end=5, convert_to_iter_based=True)
    sched = schedulers.build(cfg, default_args=dict(optimizer='opt', epoch_length=100))
    assert sched.converted and sched.end == 500 and sched.by_epoch is False
    with pytest.raises(AssertionError, match='Only epoch-based parameter scheduler'):
        schedulers.build(cfg, default_args=dict(optimizer='opt'))
    with pytest.raises(AssertionError, match='Only epoch-based parameter scheduler'):
        schedulers.build(dict(cfg, by_epoch=False), default_args=dict(optimizer='o',
                                                                      epoch_length=3))


def test_build_scheduler_requires_optimizer(schedulers):
    with pytest.raises(AssertionError, match='must contain the key "optimizer"'):
        schedulers.build(dict(type='EpochScheduler'))
    # the optimizer may also come in the cfg itself
    sched = schedulers.build(dict(type='EpochScheduler', optimizer='opt', end=4))
    assert sched.optimizer == 'opt' and sched.end == 4


class Config:
    """Shape of engine.config.Config: wraps a dict and delegates to it."""

    def __init__(self, data):
        object.__setattr__(self, '_cfg_dict', data)

    def __getattr__(self, name):
        return getattr(self._cfg_dict, name)

    def __getitem__(self, key):
        return self._cfg_dict[key]

    def __contains__(self, key):
        return key in self._cfg_dict

    def __iter__(self):
        return iter(self._cfg_dict)


def test_config_like_wrapper_is_accepted_and_untouched(reg):
    cfg = Config(dict(type='Plain', x=4, _scope_='bscope'))
    assert build_from_cfg(cfg, reg, default_args=Config(dict(y=1))).x == 4
    assert cfg._cfg_dict == dict(type='Plain', x=4, _scope_='bscope')
    runners = Registry('runner', build_func=build_runner_from_cfg, scope='rscope2')
    runners.register_module(module=FakeRunner)
    cfg = Config(dict(runner_type='FakeRunner', _scope_='rscope2'))
    assert isinstance(runners.build(cfg), FakeRunner)
    assert '_scope_' in cfg
