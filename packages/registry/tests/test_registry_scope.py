"""DefaultScope and scope switching (SCOPE-01..05, REG-15..17, TS-08, TS-09)."""

import logging
import sys
import textwrap

import pytest

from engine.registry import DefaultScope, Registry
from engine.registry import registry as registry_module
from engine.utils import ManagerMixin, get_scope_distributions


@pytest.fixture
def tree():
    root = Registry('model', scope='xroot')
    det = Registry('model', parent=root, scope='xdet')
    cls = Registry('model', parent=root, scope='xcls')
    custom = Registry('model', parent=root, scope='custom')
    return root, det, cls, custom


def test_default_scope_basics():
    assert DefaultScope.get_current_instance() is None
    scope = DefaultScope.get_instance('task', scope_name='mmdet')
    assert isinstance(scope, ManagerMixin)
    assert scope.scope_name == 'mmdet' and scope.instance_name == 'task'
    assert DefaultScope.get_instance('task') is scope
    assert DefaultScope.get_current_instance() is scope
    DefaultScope.get_instance('task2', scope_name='mmcls')
    assert DefaultScope.get_current_instance().scope_name == 'mmcls'


def test_default_scope_name_must_be_str():
    with pytest.raises(AssertionError, match='scope_name should be a string'):
        DefaultScope.get_instance('bad', scope_name=1)


def test_overwrite_default_scope_restores_and_discards():
    DefaultScope.get_instance('outer', scope_name='a')
    with DefaultScope.overwrite_default_scope(None):
        assert DefaultScope.get_current_instance().scope_name == 'a'
    with DefaultScope.overwrite_default_scope('b'):
        assert DefaultScope.get_current_instance().scope_name == 'b'
        DefaultScope.get_instance('inside', scope_name='c')
        assert DefaultScope.get_current_instance().scope_name == 'c'
    assert DefaultScope.get_current_instance().scope_name == 'a'
    assert not DefaultScope.check_instance_created('inside')


def test_overwrite_default_scope_restores_after_error():
    DefaultScope.get_instance('outer', scope_name='a')
    with pytest.raises(ValueError):
        with DefaultScope.overwrite_default_scope('b'):
            raise ValueError
    assert DefaultScope.get_current_instance().scope_name == 'a'


def test_ts08_switch_scope_and_registry(tree):
    root, det, cls, custom = tree
    with custom.switch_scope_and_registry(None) as reg:
        assert reg is custom  # no default scope
    DefaultScope.get_instance('s1', scope_name='custom')
    with custom.switch_scope_and_registry('xcls') as reg:
        assert DefaultScope.get_current_instance().scope_name == 'xcls'
        assert reg.scope == 'xcls' and reg is cls
    with custom.switch_scope_and_registry('xdet') as reg:
        assert DefaultScope.get_current_instance().scope_name == 'xdet'
        assert reg is det
        with custom.switch_scope_and_registry('xcls') as inner:
            assert DefaultScope.get_current_instance().scope_name == 'xcls'
            assert inner is cls
        assert DefaultScope.get_current_instance().scope_name == 'xdet'
    assert DefaultScope.get_current_instance().scope_name == 'custom'
    with custom.switch_scope_and_registry(None) as reg:
        assert reg is custom
    with det.switch_scope_and_registry(None) as reg:
        assert reg is custom  # the current default scope redirects


def test_switch_to_missing_scope_warns_and_yields_self(tree, caplog):
    root, det, cls, custom = tree
    with caplog.at_level(logging.WARNING, logger='engine.registry'):
        with custom.switch_scope_and_registry('nonexist') as reg:
            assert reg is custom
    assert 'Failed to search registry with scope "nonexist" in the "model" registry tree' \
        in caplog.text


def test_switch_searches_whole_tree_from_root(tree):
    root, det, cls, custom = tree
    deep = Registry('model', parent=cls, scope='xdeep')
    with det.switch_scope_and_registry('xdeep') as reg:
        assert reg is deep
    with deep.switch_scope_and_registry('xroot') as reg:
        assert reg is root


def test_ts09_scope_reaches_nested_builds(tree):
    root, det, cls, custom = tree

    @det.register_module()
    class Inner:
        pass

    @det.register_module()
    class Outer:
        def __init__(self, inner):
            self.inner = det.build(inner)

    @cls.register_module()
    class OnlyInCls:
        pass

    DefaultScope.get_instance('task', scope_name='custom')
    outer = custom.build(dict(type='Outer', _scope_='xdet', inner=dict(type='Inner')))
    assert isinstance(outer, Outer) and isinstance(outer.inner, Inner)
    assert DefaultScope.get_current_instance().scope_name == 'custom'
    # without the switch the nested build from custom fails
    with pytest.raises(KeyError):
        custom.build(dict(type='Inner'))

    DefaultScope.get_instance('task2', scope_name='xcls')
    assert isinstance(det.build(dict(type='OnlyInCls')), OnlyInCls)


def test_scope_key_with_default_scope(tree):
    root, det, cls, custom = tree

    @root.register_module()
    class InRoot:
        pass

    DefaultScope.get_instance('task', scope_name='xcls')
    # lookups start in the default scope's registry and walk up its parents
    assert isinstance(det.build(dict(type='InRoot')), InRoot)


def test_runner_style_mmengine_scope_alias_reaches_engine_root():
    from engine.registry import LOOPS

    @LOOPS.register_module(name='AliasLoopForTest')
    class AliasLoop:
        pass

    try:
        DefaultScope.get_instance('task', scope_name='mmengine')
        assert isinstance(LOOPS.build(dict(type='AliasLoopForTest')), AliasLoop)
        with LOOPS.switch_scope_and_registry(None) as reg:
            assert reg is LOOPS
    finally:
        LOOPS.module_dict.pop('AliasLoopForTest')


def _write_package(base, name, files):
    pkg = base / name
    pkg.mkdir()
    for rel, text in files.items():
        path = pkg / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


@pytest.fixture
def sys_path(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in list(sys.modules):
        if name.split('.')[0] in ('mmrotate', 'mmflow', 'engscopelib'):
            del sys.modules[name]
    registry_module._imported_scopes.clear()


def test_known_scope_switch_calls_register_all_modules(sys_path):
    # mmrotate is in the built-in table: switching to it imports mmrotate.utils
    _write_package(sys_path, 'mmrotate', {
        '__init__.py': '',
        'registry.py': '''
            from engine.registry import MODELS as ROOT_MODELS, Registry
            MODELS = Registry('model', parent=ROOT_MODELS, scope='mmrotate')
        ''',
        'utils.py': '''
            CALLS = []
            def register_all_modules(init_default_scope=True):
                CALLS.append(init_default_scope)
                from mmrotate.registry import MODELS
                @MODELS.register_module()
                class RotatedBox:
                    pass
        ''',
    })
    from engine.registry import MODELS
    try:
        DefaultScope.get_instance('task', scope_name='mmrotate')
        obj = MODELS.build(dict(type='RotatedBox'))
        assert type(obj).__name__ == 'RotatedBox'
        assert type(obj).__module__ == 'mmrotate.utils'
        MODELS.build(dict(type='RotatedBox'))
        # done once per process, without creating a DefaultScope of its own
        assert sys.modules['mmrotate.utils'].CALLS == [False]
    finally:
        MODELS.children.pop('mmrotate', None)


def test_known_scope_without_register_all_imports_registry(sys_path):
    _write_package(sys_path, 'mmflow', {
        '__init__.py': '',
        'registry.py': '''
            from engine.registry import MODELS as ROOT_MODELS, Registry
            MODELS = Registry('model', parent=ROOT_MODELS, scope='mmflow')
        ''',
    })
    from engine.registry import MODELS
    try:
        with MODELS.switch_scope_and_registry('mmflow') as reg:
            assert reg.scope == 'mmflow' and reg.parent is MODELS
    finally:
        MODELS.children.pop('mmflow', None)


def test_known_but_missing_scope_warns(caplog):
    from engine.registry import MODELS
    registry_module._imported_scopes.discard('mmhuman3d')
    with caplog.at_level(logging.WARNING, logger='engine.registry'):
        with MODELS.switch_scope_and_registry('mmhuman3d') as reg:
            assert reg is MODELS
    assert 'Failed to import the modules of scope "mmhuman3d"' in caplog.text
    registry_module._imported_scopes.discard('mmhuman3d')


def test_entry_point_declares_new_scope(sys_path):
    _write_package(sys_path, 'engscopelib', {
        '__init__.py': '',
        'setup_registry.py': '''
            from engine.registry import MODELS as ROOT_MODELS, Registry
            MODELS = Registry('model', parent=ROOT_MODELS, scope='engscopelib')
            def register_all_modules(init_default_scope=True):
                @MODELS.register_module()
                class FromEntryPoint:
                    pass
        ''',
    })
    dist_info = sys_path / 'engscopelib_dist-1.0.dist-info'
    dist_info.mkdir()
    (dist_info / 'METADATA').write_text(
        'Metadata-Version: 2.1\nName: engscopelib-dist\nVersion: 1.0\n')
    (dist_info / 'entry_points.txt').write_text(
        '[engine.scopes]\nengscopelib = engscopelib.setup_registry:register_all_modules\n')
    from engine.registry import MODELS
    try:
        table = get_scope_distributions(refresh=True)
        assert table['engscopelib'] == 'engscopelib-dist'
        assert table['mmseg'] == 'mmsegmentation'
        DefaultScope.get_instance('task', scope_name='engscopelib')
        assert type(MODELS.build(dict(type='FromEntryPoint'))).__name__ == 'FromEntryPoint'
    finally:
        MODELS.children.pop('engscopelib', None)
        get_scope_distributions(refresh=True)
