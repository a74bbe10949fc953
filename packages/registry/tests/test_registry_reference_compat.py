"""Registry behaviour that code written for the reference relies on.

Error texts are the reference's with ``mmengine`` replaced by ``engine``
(BUILD-02), since callers match on them; lookups through several scope levels
(REG-07); the reference's private root accessor (REG-02).
"""

import pytest

from engine.registry import Registry, build_from_cfg


class ResNet:
    def __init__(self, depth, stages=4):
        self.depth, self.stages = depth, stages


@pytest.fixture
def backbones():
    reg = Registry('backbone', scope='audit2_bb')
    reg.register_module(module=ResNet)
    return reg


def _cfg_types():
    types = [dict]
    try:
        from engine.config import Config, ConfigDict
    except ImportError:  # engine-registry installed alone
        return types
    return types + [ConfigDict, Config]


@pytest.mark.parametrize('cfg_type', _cfg_types())
def test_build02_registry_type_error_has_the_reference_text(backbones, cfg_type):
    cfg = cfg_type(dict(type='ResNet', depth=50))
    with pytest.raises(TypeError,
                       match="registry must be a engine.Registry object, but got <class 'str'>"):
        build_from_cfg(cfg, 'BACKBONES')


@pytest.mark.parametrize('cfg_type', _cfg_types())
def test_build02_default_args_type_error_has_the_reference_text(backbones, cfg_type):
    cfg = cfg_type(dict(type='ResNet', depth=50))
    with pytest.raises(TypeError, match='default_args should be a dict, ConfigDict, Config or '
                                        "None, but got <class 'int'>"):
        build_from_cfg(cfg, backbones, default_args=1)
    # None is accepted, and a cfg-type default_args completes the cfg.
    assert build_from_cfg(cfg, backbones, default_args=None).stages == 4
    assert build_from_cfg(cfg, backbones, default_args=cfg_type(dict(stages=3))).stages == 3


def _dog_tree():
    #                  DOGS
    #          HOUNDS          SAMOYEDS
    #   LITTLE_HOUNDS MID_HOUNDS  LITTLE_SAMOYEDS
    dogs = Registry('dogs', scope='audit2_dogs')
    hounds = Registry('hounds', parent=dogs, scope='hound')
    little = Registry('little hounds', parent=hounds, scope='little_hound')
    mid = Registry('mid hounds', parent=hounds, scope='mid_hound')
    samoyeds = Registry('samoyeds', parent=dogs, scope='samoyed')
    little_sam = Registry('little samoyeds', parent=samoyeds, scope='little_samoyed')
    return dogs, hounds, little, mid, samoyeds, little_sam


def test_reg02_get_root_registry_is_the_root():
    dogs, hounds, little, mid, _, little_sam = _dog_tree()
    for reg in (dogs, hounds, little, mid, little_sam):
        assert reg._get_root_registry() is dogs
        assert reg.root is dogs


def test_reg07_keys_through_several_scope_levels():
    dogs, hounds, little, mid, samoyeds, little_sam = _dog_tree()

    @mid.register_module()
    class Beagle:
        pass

    @little.register_module()
    class Dachshund:
        pass

    @little_sam.register_module()
    class LittlePedigreeSamoyed:
        pass

    # descendants by a chain of prefixes
    assert dogs.get('hound.little_hound.Dachshund') is Dachshund
    assert hounds.get('little_hound.Dachshund') is Dachshund
    # a sibling, a cousin and a nephew: through a child of the root
    assert little.get('hound.mid_hound.Beagle') is Beagle
    assert little.get('samoyed.little_samoyed.LittlePedigreeSamoyed') is LittlePedigreeSamoyed
    assert hounds.get('samoyed.little_samoyed.LittlePedigreeSamoyed') is LittlePedigreeSamoyed
    # a grandchild scope is not a prefix that can be used from elsewhere (REG-08)
    assert little.get('little_samoyed.LittlePedigreeSamoyed') is None
    # a known scope that lacks the key, and an unknown scope
    assert dogs.get('samoyed.LittlePedigreeSamoyed') is None
    assert little.get('mid_hound.Nope') is None
    assert dogs.get('samoyedddd.Beagle') is None


def test_reg16_search_child_is_depth_first_from_self():
    dogs, hounds, little, mid, _, _ = _dog_tree()
    assert dogs._search_child('hound') is hounds
    assert dogs._search_child('little_hound') is little
    assert dogs._search_child('not a child') is None
    # only below self: neither the parent nor a sibling is found
    assert little._search_child('hound') is None
    assert little._search_child('mid_hound') is None


def test_build02_unknown_type_message_matches_on_str_of_the_error(backbones):
    # pytest.raises(match=...) searches str(err), the repr of a KeyError's message:
    # the message must not mix quote kinds, or the single quotes come out escaped.
    with pytest.raises(KeyError, match="VGG is not in the backbone registry") as info:
        build_from_cfg(dict(type='VGG'), backbones)
    assert '"' not in info.value.args[0]
    with pytest.raises(KeyError, match="Did you mean 'ResNet'"):
        build_from_cfg(dict(type='ResNt'), backbones)
