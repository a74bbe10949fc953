"""Registry: registration, lookup across scopes, build (spec REG-01..14, TS-01..07)."""

import logging

import pytest

from engine.registry import Registry, build_from_cfg


class Sigmoid:
    pass


class ReLU:
    def __init__(self, inplace=False):
        self.inplace = inplace


def test_constructor_stores_name_scope_parent_and_build_func():
    reg = Registry('activation', scope='mmengine')
    assert reg.name == 'activation'
    assert reg.scope == 'mmengine'
    assert reg.parent is None and reg.root is reg
    assert reg.build_func is build_from_cfg
    assert reg.module_dict == {} and reg.children == {}


def test_scope_must_be_str_and_parent_a_registry():
    with pytest.raises(AssertionError):
        Registry('x', scope=1)
    with pytest.raises(AssertionError):
        Registry('x', parent='notreg', scope='s')


def test_duplicate_child_scope_rejected():
    root = Registry('model', scope='r')
    Registry('model', parent=root, scope='det')
    with pytest.raises(AssertionError, match='scope det exists in model registry'):
        Registry('model', parent=root, scope='det')


def test_build_func_inherited_from_parent():
    def my_build(cfg, registry, *args, **kwargs):
        return ('built', cfg['type'])

    root = Registry('model', build_func=my_build, scope='r')
    child = Registry('model', parent=root, scope='c')
    assert child.build_func is my_build
    assert child.build(dict(type='X')) == ('built', 'X')
    own = Registry('model', parent=root, scope='o', build_func=build_from_cfg)
    assert own.build_func is build_from_cfg


def test_scope_inferred_from_calling_module():
    reg = Registry('x')
    # pytest's importlib mode names this module after its file.
    assert reg.scope == __name__.split('.')[0]
    assert Registry.infer_scope() == __name__.split('.')[0]


def test_scope_inference_skips_subclass_init():
    class MyRegistry(Registry):
        def __init__(self, name, **kwargs):
            super().__init__(name, **kwargs)

    assert MyRegistry('x').scope == __name__.split('.')[0]


def test_ts01_register_and_build():
    act = Registry('activation', scope='mmengine')
    assert act.register_module()(Sigmoid) is Sigmoid
    act.register_module(module=ReLU)
    assert list(act.module_dict) == ['Sigmoid', 'ReLU']
    relu = act.build(dict(type='ReLU', inplace=True))
    assert isinstance(relu, ReLU) and relu.inplace is True
    assert 'ReLU' in act and 'Nope' not in act
    assert len(act) == 2
    assert act.get('Sigmoid') is Sigmoid


def test_register_with_name_and_name_list():
    reg = Registry('r', scope='s')

    @reg.register_module(name='mnet')
    class MobileNet:
        pass

    reg.register_module(name=['a1', 'a2'], module=ReLU)
    assert reg.get('mnet') is MobileNet and 'MobileNet' not in reg
    assert reg.get('a1') is ReLU and reg.get('a2') is ReLU


def test_ts02_custom_build_func(capsys):
    def build_activation(cfg, registry, *args, **kwargs):
        cfg_ = cfg.copy()
        act_type = cfg_.pop('type')
        print(f'build activation: {act_type}')
        act_cls = registry.get(act_type)
        return act_cls(*args, **kwargs, **cfg_)

    act = Registry('activation', build_func=build_activation, scope='mmengine')

    @act.register_module()
    class Tanh:
        pass

    assert isinstance(act.build(dict(type='Tanh')), Tanh)
    assert capsys.readouterr().out == 'build activation: Tanh\n'


def test_build_passes_registry_by_keyword_and_extra_kwargs():
    seen = {}

    def build_func(cfg, *args, registry, **kwargs):
        seen.update(args=args, registry=registry, kwargs=kwargs)

    reg = Registry('r', build_func=build_func, scope='s')
    reg.build(dict(type='X'), 1, default_args=dict(a=1))
    assert seen == dict(args=(1,), registry=reg, kwargs=dict(default_args=dict(a=1)))


def test_default_args_through_registry_build():
    reg = Registry('r', scope='s')
    reg.register_module(module=ReLU)
    assert reg.build(dict(type='ReLU'), default_args=dict(inplace=True)).inplace is True


def test_ts03_registered_function(capsys):
    func_reg = Registry('function', scope='mmengine')

    @func_reg.register_module()
    def print_args(**kwargs):
        print(kwargs)
        return 'ret'

    assert func_reg.build(dict(type='print_args', a=1, b=2)) == 'ret'
    assert capsys.readouterr().out == "{'a': 1, 'b': 2}\n"


def test_ts04_registration_errors():
    reg = Registry('activation', scope='s')
    reg.register_module(module=ReLU)
    with pytest.raises(KeyError, match='ReLU is already registered in activation at'):
        reg.register_module(module=ReLU)

    class Other:
        pass

    reg.register_module(name='ReLU', force=True, module=Other)
    assert reg.get('ReLU') is Other
    with pytest.raises(TypeError, match='module must be a class or a function'):
        reg.register_module(module=3)
    with pytest.raises(TypeError, match='force must be a boolean'):
        reg.register_module(force=1)
    with pytest.raises(TypeError, match='name must be None'):
        reg.register_module(name=7)
    with pytest.raises(TypeError):
        reg.register_module(name=['ok', 3])
    # a name given twice in one list clashes with itself (as in the reference)
    with pytest.raises(KeyError, match='Sphynx is given twice'):
        reg.register_module(name=['Sphynx', 'Sphynx'], module=Other)
    assert 'Sphynx' not in reg.module_dict
    reg.register_module(name=['Sphynx', 'Sphynx'], module=Other, force=True)
    assert reg.get('Sphynx') is Other


def test_register_name_list_is_atomic_on_clash():
    reg = Registry('r', scope='s')
    reg.register_module(module=ReLU)
    with pytest.raises(KeyError):
        reg.register_module(name=['fresh', 'ReLU'], module=Sigmoid)
    assert 'fresh' not in reg.module_dict


def test_ts07_split_scope_key():
    assert Registry.split_scope_key('mmdet.ResNet') == ('mmdet', 'ResNet')
    assert Registry.split_scope_key('ResNet') == (None, 'ResNet')
    assert Registry.split_scope_key('a.b.C') == ('a', 'b.C')


@pytest.fixture
def tree():
    models = Registry('model', scope='r')

    @models.register_module()
    class ResNet:
        pass

    detectors = Registry('detector', parent=models, scope='det')
    classifier = Registry('classifier', parent=models, scope='cls')

    @classifier.register_module()
    class MobileNet:
        pass

    return models, detectors, classifier, ResNet, MobileNet


def test_ts07_get_through_parent_and_sibling(tree):
    models, detectors, classifier, ResNet, MobileNet = tree
    assert detectors.parent is models and models.children == {'det': detectors, 'cls': classifier}
    assert detectors.root is models
    assert detectors.get('ResNet') is ResNet
    assert detectors.get('cls.MobileNet') is MobileNet
    assert detectors.get('r.ResNet') is ResNet
    assert models.get('cls.MobileNet') is MobileNet
    assert detectors.get('Nope') is None
    assert 'cls.MobileNet' in detectors
    # len counts this registry only
    assert len(detectors) == 0 and len(models) == 1


def test_get_with_own_scope_does_not_fall_back_to_parent(tree):
    models, detectors, *_ = tree
    assert detectors.get('det.ResNet') is None


def test_get_unknown_scope_and_deep_scope(tree):
    models, detectors, classifier, ResNet, MobileNet = tree
    assert detectors.get('unknown.X') is None
    grandchild = Registry('sub', parent=classifier, scope='deep')

    @grandchild.register_module()
    class Deep:
        pass

    # two levels below the root: only reachable through its parent
    assert classifier.get('deep.Deep') is Deep
    assert detectors.get('deep.Deep') is None
    assert grandchild.get('MobileNet') is MobileNet and grandchild.get('ResNet') is ResNet


def test_get_logs_debug(tree, caplog):
    models, detectors, classifier, ResNet, MobileNet = tree
    with caplog.at_level(logging.DEBUG, logger='engine.registry'):
        detectors.get('ResNet')
    assert 'Get class `ResNet` from "model" registry in "r"' in caplog.text


@pytest.fixture
def alpha_beta():
    root = Registry('model', scope='mmengine')

    @root.register_module()
    class RReLU:
        def __init__(self, lower=0.125):
            self.lower = lower

    models_a = Registry('model', parent=root, scope='mmalpha')

    @models_a.register_module()
    class LogSoftmax:
        pass

    models_b = Registry('model', parent=root, scope='mmbeta')
    return root, models_a, models_b, RReLU, LogSoftmax


def test_ts05_parent_modules(alpha_beta):
    root, models_a, _, RReLU, LogSoftmax = alpha_beta
    assert isinstance(models_a.build(dict(type='LogSoftmax')), LogSoftmax)
    assert models_a.build(dict(type='RReLU', lower=0.2)).lower == 0.2
    assert isinstance(models_a.build(dict(type='mmengine.RReLU')), RReLU)


def test_child_name_shadows_parent(alpha_beta):
    root, models_a, _, RReLU, _ = alpha_beta

    @models_a.register_module(name='RReLU')
    class ChildRReLU:
        pass

    assert isinstance(models_a.build(dict(type='RReLU')), ChildRReLU)
    assert isinstance(models_a.build(dict(type='mmengine.RReLU')), RReLU)


def test_ts06_sibling_modules(alpha_beta):
    _, _, models_b, _, LogSoftmax = alpha_beta
    assert isinstance(models_b.build(dict(type='mmalpha.LogSoftmax')), LogSoftmax)
    assert isinstance(models_b.build(dict(type='LogSoftmax', _scope_='mmalpha')), LogSoftmax)
    with pytest.raises(KeyError, match='LogSoftmax is not in the model registry'):
        models_b.build(dict(type='LogSoftmax'))


def test_repr_is_the_reference_form():
    reg = Registry('activation', scope='s')
    reg.register_module(module=Sigmoid)
    reg.register_module(module=ReLU)
    assert repr(reg) == (f"Registry(name=activation, items={{'Sigmoid': {Sigmoid!r}, "
                         f"'ReLU': {ReLU!r}}})")
    assert repr(Registry('empty', scope='s')) == 'Registry(name=empty, items={})'


def test_str_is_a_table_of_names_and_objects():
    reg = Registry('activation', scope='s')
    reg.register_module(module=Sigmoid)
    reg.register_module(module=ReLU)
    text = str(reg)
    assert text.startswith('Registry(name=activation, scope=s, items=2)')
    lines = text.splitlines()
    assert '| Names' in lines[2] and 'Objects' in lines[2]
    assert any('Sigmoid' in line and f'{__name__}.Sigmoid' in line for line in lines)
    assert text.index('Sigmoid |') < text.index('ReLU    |')
    assert str(Registry('empty', scope='s')) == 'Registry(name=empty, scope=s, items=0)'
