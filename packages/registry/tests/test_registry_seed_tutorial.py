"""The seed's Registry tutorial (§4), the §36.1 example and the cross-library
chapter (§24), run as written with ``mmengine`` replaced by ``engine``.

The tutorial registers into the real root ``MODELS`` and adds children to it;
fixtures put the root back as it was. §24 needs mmcls/mmdet/mmrotate: small
fake packages with the same layout (``<pkg>/registry.py`` holding children of
the root registries, ``<pkg>/models.py`` registering into them) stand in.
"""

import sys
import textwrap
import time

import pytest

from engine.registry import MODELS, TRANSFORMS, DefaultScope, Registry
from engine.registry import registry as registry_module

torch = pytest.importorskip('torch')
nn = torch.nn


@pytest.fixture
def restore_roots():
    """Undo registrations into / children added to the real root registries."""
    saved = {reg: (dict(reg.module_dict), dict(reg.children)) for reg in (MODELS, TRANSFORMS)}
    yield
    for reg, (modules, children) in saved.items():
        reg.module_dict.clear()
        reg.module_dict.update(modules)
        reg.children.clear()
        reg.children.update(children)


# --------------------------------------------------------------------- §4.2

def test_4_2_getting_started(capsys):
    # scope 表示注册器的作用域 ...
    ACTIVATION = Registry('activation', scope='engine')

    @ACTIVATION.register_module()
    class Sigmoid(nn.Module):
        def __init__(self):
            super().__init__()

        def forward(self, x):
            print('call Sigmoid.forward')
            return x

    @ACTIVATION.register_module()
    class ReLU(nn.Module):
        def __init__(self, inplace=False):
            super().__init__()

        def forward(self, x):
            print('call ReLU.forward')
            return x

    @ACTIVATION.register_module()
    class Softmax(nn.Module):
        def __init__(self):
            super().__init__()

        def forward(self, x):
            print('call Softmax.forward')
            return x

    print(ACTIVATION.module_dict)
    assert ACTIVATION.module_dict == {'Sigmoid': Sigmoid, 'ReLU': ReLU, 'Softmax': Softmax}
    assert list(ACTIVATION.module_dict) == ['Sigmoid', 'ReLU', 'Softmax']
    capsys.readouterr()

    input = torch.randn(2)

    act_cfg = dict(type='Sigmoid')
    activation = ACTIVATION.build(act_cfg)
    output = activation(input)
    print(output)
    assert isinstance(activation, Sigmoid)
    assert capsys.readouterr().out.startswith('call Sigmoid.forward\ntensor(')

    act_cfg = dict(type='ReLU', inplace=True)
    activation = ACTIVATION.build(act_cfg)
    output = activation(input)
    print(output)
    assert isinstance(activation, ReLU)
    # the seed's comment says Sigmoid here: a doc defect (spec §12.1)
    assert capsys.readouterr().out.startswith('call ReLU.forward\ntensor(')
    assert act_cfg == dict(type='ReLU', inplace=True)  # the cfg is not consumed

    # the same as the decorator
    OTHER = Registry('activation', scope='engine')
    assert OTHER.register_module(module=ReLU) is ReLU
    assert OTHER.get('ReLU') is ReLU


def test_4_2_custom_build_function(capsys):
    input = torch.randn(2)

    def build_activation(cfg, registry, *args, **kwargs):
        cfg_ = cfg.copy()
        act_type = cfg_.pop('type')
        print(f'build activation: {act_type}')
        act_cls = registry.get(act_type)
        act = act_cls(*args, **kwargs, **cfg_)
        return act

    ACTIVATION = Registry('activation', build_func=build_activation, scope='engine')

    @ACTIVATION.register_module()
    class Tanh(nn.Module):
        def __init__(self):
            super().__init__()

        def forward(self, x):
            print('call Tanh.forward')
            return x

    act_cfg = dict(type='Tanh')
    activation = ACTIVATION.build(act_cfg)
    output = activation(input)
    print(output)
    assert isinstance(activation, Tanh)
    assert capsys.readouterr().out.startswith(
        'build activation: Tanh\ncall Tanh.forward\ntensor(')


def test_4_2_registered_function(capsys):
    FUNCTION = Registry('function', scope='engine')

    @FUNCTION.register_module()
    def print_args(**kwargs):
        print(kwargs)

    func_cfg = dict(type='print_args', a=1, b=2)
    func_res = FUNCTION.build(func_cfg)
    assert capsys.readouterr().out == "{'a': 1, 'b': 2}\n"
    assert func_res is None


# --------------------------------------------------------------------- §4.3

def _define_rrelu():
    @MODELS.register_module()
    class RReLU(nn.Module):
        def __init__(self, lower=0.125, upper=0.333, inplace=False):
            super().__init__()
            self.lower = lower

        def forward(self, x):
            print('call RReLU.forward')
            return x

    return RReLU


def _define_alpha():
    MODELS_A = Registry('model', parent=MODELS, scope='mmalpha')

    @MODELS_A.register_module()
    class LogSoftmax(nn.Module):
        def __init__(self, dim=None):
            super().__init__()

        def forward(self, x):
            print('call LogSoftmax.forward')
            return x

    return MODELS_A, LogSoftmax


def test_4_3_1_parent_modules(restore_roots, capsys):
    RReLU = _define_rrelu()
    MODELS_A, LogSoftmax = _define_alpha()
    assert MODELS_A.root is MODELS and MODELS.children['mmalpha'] is MODELS_A

    model = MODELS_A.build(cfg=dict(type='LogSoftmax'))
    assert isinstance(model, LogSoftmax)
    model = MODELS_A.build(cfg=dict(type='RReLU', lower=0.2))
    assert isinstance(model, RReLU) and model.lower == 0.2
    # 也可以加 scope: the tutorial's 'mmengine.' and the root's 'engine.'
    model = MODELS_A.build(cfg=dict(type='engine.RReLU'))
    assert isinstance(model, RReLU) and model.lower == 0.125
    assert isinstance(MODELS_A.build(cfg=dict(type='mmengine.RReLU')), RReLU)

    input = torch.randn(2)
    output = model(input)
    print(output)
    assert capsys.readouterr().out.startswith('call RReLU.forward\ntensor(')

    # the same name in child and parent: unprefixed is the child's, prefixed the parent's
    @MODELS_A.register_module(name='RReLU')
    class AlphaRReLU(nn.Module):
        pass

    assert isinstance(MODELS_A.build(dict(type='RReLU')), AlphaRReLU)
    assert isinstance(MODELS_A.build(dict(type='engine.RReLU')), RReLU)


def test_4_3_2_sibling_modules(restore_roots, capsys):
    _define_rrelu()
    _, LogSoftmax = _define_alpha()
    MODELS_B = Registry('model', parent=MODELS, scope='mmbeta')
    input = torch.randn(2)

    model = MODELS_B.build(cfg=dict(type='mmalpha.LogSoftmax'))
    output = model(input)
    print(output)
    assert isinstance(model, LogSoftmax)
    assert capsys.readouterr().out.startswith('call LogSoftmax.forward\ntensor(')

    model = MODELS_B.build(cfg=dict(type='LogSoftmax', _scope_='mmalpha'))
    output = model(input)
    print(output)
    assert isinstance(model, LogSoftmax)
    assert capsys.readouterr().out.startswith('call LogSoftmax.forward\ntensor(')

    with pytest.raises(KeyError, match='LogSoftmax is not in the model registry'):
        MODELS_B.build(cfg=dict(type='LogSoftmax'))
    assert DefaultScope.get_current_instance() is None


# --------------------------------------------------------------------- §36.1

def test_36_1_switch_scope_and_registry_example(restore_roots):
    # External Registry
    MMDet_MODELS = Registry('mmdet_model', scope='mmdet', parent=MODELS)
    MMCLS_MODELS = Registry('mmcls_model', scope='mmcls', parent=MODELS)
    # Local Registry
    CUSTOM_MODELS = Registry('custom_model', scope='custom', parent=MODELS)

    # Initiate DefaultScope
    DefaultScope.get_instance(f'scope_{time.time()}', scope_name='custom')
    # Check default scope
    assert DefaultScope.get_current_instance().scope_name == 'custom'
    # Switch to mmcls scope and get `MMCLS_MODELS` registry.
    with CUSTOM_MODELS.switch_scope_and_registry(scope='mmcls') as registry:
        assert DefaultScope.get_current_instance().scope_name == 'mmcls'
        assert registry.scope == 'mmcls' and registry is MMCLS_MODELS
    # Nested switch scope
    with CUSTOM_MODELS.switch_scope_and_registry(scope='mmdet') as mmdet_registry:
        assert DefaultScope.get_current_instance().scope_name == 'mmdet'
        assert mmdet_registry.scope == 'mmdet' and mmdet_registry is MMDet_MODELS
        with CUSTOM_MODELS.switch_scope_and_registry(scope='mmcls') as mmcls_registry:
            assert DefaultScope.get_current_instance().scope_name == 'mmcls'
            assert mmcls_registry.scope == 'mmcls'
        assert DefaultScope.get_current_instance().scope_name == 'mmdet'

    # Check switch back to original scope.
    assert DefaultScope.get_current_instance().scope_name == 'custom'


def test_36_2_default_scope_examples():
    default_scope = DefaultScope.get_current_instance()
    # There is no `DefaultScope` created yet, `get_current_instance` return `None`.
    assert default_scope is None
    default_scope = DefaultScope.get_instance('instance_name', scope_name='engine')
    assert default_scope.scope_name == 'engine'
    default_scope = DefaultScope.get_current_instance()
    assert default_scope.scope_name == 'engine'
    DefaultScope.get_instance('task', scope_name='mmdet')
    assert DefaultScope.get_instance('task').scope_name == 'mmdet'


# --------------------------------------------------------------------- §24

FAKE_PACKAGES = {
    'mmcls/__init__.py': '',
    'mmcls/registry.py': """\
        from engine.registry import MODELS as ENGINE_MODELS, Registry
        MODELS = Registry('model', parent=ENGINE_MODELS)  # scope inferred: 'mmcls'
        """,
    'mmcls/models.py': """\
        from .registry import MODELS

        @MODELS.register_module()
        class ConvNeXt:
            def __init__(self, arch, out_indices, drop_path_rate, layer_scale_init_value,
                         gap_before_final_norm, init_cfg=None):
                self.arch = arch
                self.init_cfg = init_cfg
        """,
    'mmdet/__init__.py': '',
    'mmdet/registry.py': """\
        from engine.registry import MODELS as ENGINE_MODELS, TRANSFORMS as ENGINE_TRANSFORMS
        from engine.registry import Registry
        MODELS = Registry('model', parent=ENGINE_MODELS)
        TRANSFORMS = Registry('transform', parent=ENGINE_TRANSFORMS)
        """,
    'mmdet/models.py': """\
        # Sub-modules are built through the *root* registry, as engine-level code
        # does: unprefixed types then resolve only in the current default scope.
        from engine.registry import MODELS as ENGINE_MODELS
        from .registry import MODELS

        def _build(cfg):
            return None if cfg is None else ENGINE_MODELS.build(cfg)

        @MODELS.register_module()
        class MaskRCNN:
            def __init__(self, backbone, data_preprocessor=None, neck=None, rpn_head=None):
                self.backbone = MODELS.build(backbone)

        @MODELS.register_module()
        class YOLOX:
            def __init__(self, backbone, neck, bbox_head, train_cfg=None):
                self.backbone = _build(backbone)
                self.neck = _build(neck)
                self.bbox_head = _build(bbox_head)
                self.assigner = _build(train_cfg['assigner'])

        @MODELS.register_module()
        class CSPDarknet:
            def __init__(self, deepen_factor, widen_factor):
                self.deepen_factor = deepen_factor

        @MODELS.register_module()
        class YOLOXPAFPN:
            def __init__(self, in_channels, out_channels, num_csp_blocks):
                self.out_channels = out_channels

        @MODELS.register_module()
        class YOLOXHead:
            def __init__(self, num_classes, in_channels, feat_channels):
                self.num_classes = num_classes

        @MODELS.register_module()
        class SimOTAAssigner:
            def __init__(self, center_radius):
                self.center_radius = center_radius
        """,
    'mmdet/datasets/__init__.py': '',
    'mmdet/datasets/transforms.py': """\
        from mmdet.registry import TRANSFORMS

        def _transform(name):
            def __init__(self, **kwargs):
                self.kwargs = kwargs
            cls = type(name, (), {'__init__': __init__, '__module__': __name__})
            TRANSFORMS.register_module(module=cls)
            return cls

        for _name in ('LoadImageFromFile', 'LoadAnnotations', 'Resize', 'RandomFlip',
                      'PackDetInputs'):
            globals()[_name] = _transform(_name)
        """,
    'mmrotate/__init__.py': '',
    'mmrotate/registry.py': """\
        from engine.registry import MODELS as ENGINE_MODELS, TRANSFORMS as ENGINE_TRANSFORMS
        from engine.registry import Registry
        MODELS = Registry('model', parent=ENGINE_MODELS)
        TRANSFORMS = Registry('transform', parent=ENGINE_TRANSFORMS)

        @TRANSFORMS.register_module()
        class ConvertBoxType:
            def __init__(self, box_type_mapping):
                self.box_type_mapping = box_type_mapping
        """,
}


@pytest.fixture
def downstream(tmp_path, monkeypatch, restore_roots):
    """Fake mmcls/mmdet/mmrotate on sys.path; all traces removed afterwards."""
    for rel, text in FAKE_PACKAGES.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    # A scope switch imports a known library's modules once per process.
    monkeypatch.setattr(registry_module, '_imported_scopes', set())
    yield tmp_path
    for name in list(sys.modules):
        if name.split('.')[0] in ('mmcls', 'mmdet', 'mmrotate'):
            del sys.modules[name]


def test_24_1_backbone_from_another_library(downstream):
    Config = pytest.importorskip('engine.config').Config

    (downstream / 'mask_rcnn_convnext.py').write_text(textwrap.dedent("""\
        # 使用 custom_imports 将 mmcls 的 models 添加进注册器
        custom_imports = dict(imports=['mmcls.models'], allow_failed_imports=False)

        model = dict(
            type='MaskRCNN',
            backbone=dict(
                type='mmcls.ConvNeXt',  # 添加 mmcls 前缀完成跨库调用
                arch='tiny',
                out_indices=[0, 1, 2, 3],
                drop_path_rate=0.4,
                layer_scale_init_value=1.0,
                gap_before_final_norm=False,
                init_cfg=dict(
                    type='Pretrained',
                    checkpoint='https://download.openmmlab.com/mmdetection/v2.0/convnext/'
                    'downstream/convnext-tiny_3rdparty_32xb128-noema_in1k_20220301-795e9634.pth',
                    prefix='backbone.')))
        """))
    import mmdet.models  # noqa: F401  (the MMDetection side is already imported)
    from mmdet.registry import MODELS as MMDET_MODELS

    assert 'mmcls' not in sys.modules
    cfg = Config.fromfile('mask_rcnn_convnext.py')
    from mmcls.models import ConvNeXt

    model = MMDET_MODELS.build(cfg.model)
    assert isinstance(model.backbone, ConvNeXt) and model.backbone.arch == 'tiny'
    assert model.backbone.init_cfg['prefix'] == 'backbone.'


def test_24_2_transforms_from_another_library(downstream):
    Config = pytest.importorskip('engine.config').Config

    (downstream / 'rotated_pipeline.py').write_text(textwrap.dedent("""\
        # 使用 custom_imports 将 mmdet 的 transforms 添加进注册器
        custom_imports = dict(imports=['mmdet.datasets.transforms'], allow_failed_imports=False)

        # 添加 mmdet 前缀完成跨库调用
        train_pipeline=[
            dict(type='mmdet.LoadImageFromFile'),
            dict(type='mmdet.LoadAnnotations', with_bbox=True, box_type='qbox'),
            dict(type='ConvertBoxType', box_type_mapping=dict(gt_bboxes='rbox')),
            dict(type='mmdet.Resize', scale=(1024, 1024), keep_ratio=True),
            dict(type='mmdet.RandomFlip', prob=0.5),
            dict(type='mmdet.PackDetInputs')
        ]
        """))
    from mmrotate.registry import TRANSFORMS as MMROTATE_TRANSFORMS

    cfg = Config.fromfile('rotated_pipeline.py')
    pipeline = [MMROTATE_TRANSFORMS.build(t) for t in cfg.train_pipeline]
    names = [type(t).__name__ for t in pipeline]
    assert names == ['LoadImageFromFile', 'LoadAnnotations', 'ConvertBoxType', 'Resize',
                     'RandomFlip', 'PackDetInputs']
    assert [type(t).__module__ for t in pipeline].count('mmdet.datasets.transforms') == 5
    assert pipeline[1].kwargs == {'with_bbox': True, 'box_type': 'qbox'}


YOLOX_PREFIXED = """\
custom_imports = dict(imports=['mmdet.models'], allow_failed_imports=False)
model = dict(
    type='mmdet.YOLOX',
    backbone=dict(type='mmdet.CSPDarknet', deepen_factor=1.33, widen_factor=1.25),
    neck=dict(
        type='mmdet.YOLOXPAFPN',
        in_channels=[320, 640, 1280],
        out_channels=320,
        num_csp_blocks=4),
    bbox_head=dict(
        type='mmdet.YOLOXHead', num_classes=1, in_channels=320, feat_channels=320),
    train_cfg=dict(assigner=dict(type='mmdet.SimOTAAssigner', center_radius=2.5)))
"""

YOLOX_SCOPED = """\
custom_imports = dict(imports=['mmdet.models'], allow_failed_imports=False)
model = dict(
    _scope_='mmdet',  # 使用 _scope_ 关键字，避免给所有子模块添加前缀
    type='YOLOX',
    backbone=dict(type='CSPDarknet', deepen_factor=1.33, widen_factor=1.25),
    neck=dict(
        type='YOLOXPAFPN',
        in_channels=[320, 640, 1280],
        out_channels=320,
        num_csp_blocks=4),
    bbox_head=dict(
        type='YOLOXHead', num_classes=1, in_channels=320, feat_channels=320),
    train_cfg=dict(assigner=dict(type='SimOTAAssigner', center_radius=2.5)))
"""


def test_24_3_detector_prefix_and_scope_forms_are_equivalent(downstream):
    Config = pytest.importorskip('engine.config').Config

    (downstream / 'yolox_prefixed.py').write_text(YOLOX_PREFIXED)
    (downstream / 'yolox_scoped.py').write_text(YOLOX_SCOPED)
    from mmrotate.registry import MODELS as MMROTATE_MODELS

    built = []
    for name in ('yolox_prefixed.py', 'yolox_scoped.py'):
        cfg = Config.fromfile(name)
        model = MMROTATE_MODELS.build(cfg.model)
        built.append(model)
        assert DefaultScope.get_current_instance() is None
    for model in built:
        assert type(model).__name__ == 'YOLOX' and type(model).__module__ == 'mmdet.models'
        assert model.backbone.deepen_factor == 1.33
        assert model.neck.out_channels == 320
        assert model.bbox_head.num_classes == 1
        assert model.assigner.center_radius == 2.5

    # Without `_scope_` (and no default scope) the unprefixed sub-modules are not found.
    cfg = Config.fromfile('yolox_scoped.py')
    cfg.model.pop('_scope_')
    cfg.model.type = 'mmdet.YOLOX'
    with pytest.raises(KeyError, match='CSPDarknet is not in the model registry'):
        MMROTATE_MODELS.build(cfg.model)
