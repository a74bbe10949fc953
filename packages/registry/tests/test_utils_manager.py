"""ManagerMixin / ManagerMeta (MGR-01..08, TS-23)."""

import threading

import pytest

from engine.utils import InstanceNotCreatedError, ManagerMeta, ManagerMixin


def make_global_class():
    class GlobalClass(ManagerMixin):
        def __init__(self, name, value=0):
            super().__init__(name)
            self.value = value

    return GlobalClass


def test_ts23_get_instance_and_current():
    GlobalClass = make_global_class()
    with pytest.raises(RuntimeError, match='Before calling GlobalClass.get_current_instance'):
        GlobalClass.get_current_instance()
    with pytest.raises(AssertionError):
        GlobalClass.get_current_instance()
    with pytest.raises(InstanceNotCreatedError):
        GlobalClass.get_current_instance()
    GlobalClass.get_instance('mmengine', value=50)
    GlobalClass.get_instance('exp', value=100)
    assert GlobalClass.get_current_instance().value == 100
    assert GlobalClass.get_instance('mmengine').value == 50
    assert GlobalClass.get_instance('mmengine') is GlobalClass.get_instance('mmengine')
    # fetching an existing instance does not make it current
    assert GlobalClass.get_current_instance().instance_name == 'exp'
    with pytest.raises(AssertionError):
        GlobalClass.get_instance('mmengine', value=1000)
    # §20.1 writes the extra argument positionally: an error too, of both types
    with pytest.raises(AssertionError, match='keywords only'):
        GlobalClass.get_instance('mmengine', 1000)
    with pytest.raises(TypeError):
        GlobalClass.get_instance('new-one', 1000)
    assert not GlobalClass.check_instance_created('new-one')
    assert GlobalClass.get_instance('mmengine').value == 50
    assert GlobalClass.check_instance_created('exp')
    assert not GlobalClass.check_instance_created('nope')
    assert GlobalClass.get_instance('exp').instance_name == 'exp'


def test_each_class_has_its_own_instances():
    A = make_global_class()

    class B(A):
        pass

    A.get_instance('a')
    assert not B.check_instance_created('a')
    with pytest.raises(RuntimeError):
        B.get_current_instance()


def test_name_checks():
    GlobalClass = make_global_class()
    with pytest.raises(AssertionError, match='name argument must be an non-empty string'):
        GlobalClass('')
    with pytest.raises(AssertionError):
        GlobalClass.get_instance(1)


def test_meta_requires_name_parameter():
    with pytest.raises(AssertionError, match='must have the `name` argument'):
        class SubClass1(metaclass=ManagerMeta):
            def __init__(self, *args, **kwargs):
                pass

    class SubClass2(metaclass=ManagerMeta):
        def __init__(self, name):
            pass

    assert SubClass2._instance_dict == {}


def test_concurrent_get_instance_creates_one():
    GlobalClass = make_global_class()
    results = []

    def worker():
        results.append(GlobalClass.get_instance('shared'))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r is results[0] for r in results)
