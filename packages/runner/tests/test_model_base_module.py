"""BaseModule, init_weights bookkeeping and the init_info log (BM-01..05; scenarios 13-16)."""
import logging
import re
from collections import OrderedDict

import pytest
import torch
import torch.nn as nn

from engine.logging import MMLogger
from engine.model import BaseModule, ModuleDict, ModuleList, Sequential, update_init_info
from engine.registry import MODELS


@pytest.fixture
def log_file(monkeypatch, tmp_path):
    """Make a fresh MMLogger with a log file current; yield a reader of the file."""
    monkeypatch.setattr(MMLogger, '_instance_dict', OrderedDict())
    path = tmp_path / 'run.log'
    logger = MMLogger.get_instance('test_model_base_module', log_file=str(path),
                                   log_level='DEBUG')

    def read():
        for handler in logger.handlers:
            handler.flush()
        return path.read_text()
    yield read
    for handler in logger.handlers:
        if hasattr(handler, 'baseFilename'):
            handler.close()


def _records(text):
    """{param name: init info} parsed from the dumped block."""
    found = re.findall(r'\n(\S+) - torch\.Size\(\[[^\]]*\]\): \n(.*?) \n', text)
    return dict(found)


class ToyNet(BaseModule):
    def __init__(self, init_cfg=None):
        super().__init__(init_cfg)
        self.linear = nn.Linear(1, 1)
        self.conv = nn.Conv2d(1, 1, 1)


def test_constructor_and_repr():
    cfg = dict(type='Constant', val=1, layer='Linear')
    net = ToyNet(init_cfg=cfg)
    assert net.init_cfg == cfg and net.init_cfg is not cfg  # deep copy
    assert net.is_init is False
    assert repr(net).endswith(f'\ninit_cfg={cfg}')
    assert 'init_cfg' not in repr(ToyNet())
    assert not hasattr(net, '_params_init_info')


def test_init_weights_log_with_file_handler(log_file):
    net = ToyNet(init_cfg=[dict(type='Kaiming', layer='Conv2d'),
                           dict(type='Xavier', layer='Linear')])
    net.init_weights()
    text = log_file()
    assert 'Name of parameter - Initialization information\n' in text
    assert '\nlinear.weight - torch.Size([1, 1]): \n' \
           'XavierInit: gain=1, distribution=normal, bias=0 \n' in text
    records = _records(text)
    assert list(records) == ['linear.weight', 'linear.bias', 'conv.weight', 'conv.bias']
    kaiming = 'KaimingInit: a=0, mode=fan_out, nonlinearity=relu, distribution =normal, bias=0'
    assert records['conv.weight'] == kaiming and records['conv.bias'] == kaiming
    assert records['linear.weight'] == 'XavierInit: gain=1, distribution=normal, bias=0'
    # DEBUG line naming the cfg
    assert "initialize ToyNet with init_cfg [{'type': 'Kaiming'" in text
    assert net.is_init is True
    assert all(not hasattr(m, '_params_init_info') for m in net.modules())
    with pytest.warns(UserWarning, match='init_weights of ToyNet has been called more than once'):
        net.init_weights()


def test_init_weights_after_the_log_file_was_closed(monkeypatch, tmp_path, capsys):
    """The current logger's file belongs to a run that has ended (its handler is closed):
    the records go to the console instead of failing on the closed stream."""
    monkeypatch.setattr(MMLogger, '_instance_dict', OrderedDict())
    logger = MMLogger.get_instance('test_model_closed_file', log_file=str(tmp_path / 'old.log'))
    for handler in logger.handlers:
        if hasattr(handler, 'baseFilename'):
            handler.close()
    before = (tmp_path / 'old.log').read_text()
    ToyNet(init_cfg=dict(type='Xavier', layer='Linear')).init_weights()
    assert 'linear.weight - torch.Size([1, 1])' in capsys.readouterr().out
    assert (tmp_path / 'old.log').read_text() == before


def test_init_weights_log_with_a_delayed_file_handler(monkeypatch, tmp_path):
    """A FileHandler created with delay=True has no stream until its first record."""
    monkeypatch.setattr(MMLogger, '_instance_dict', OrderedDict())
    logger = MMLogger.get_instance('test_model_delayed_file')
    path = tmp_path / 'delayed.log'
    handler = logging.FileHandler(str(path), delay=True)
    logger.addHandler(handler)
    try:
        ToyNet(init_cfg=dict(type='Xavier', layer='Linear')).init_weights()
        handler.flush()
        assert '\nlinear.weight - torch.Size([1, 1]): \nXavierInit' in path.read_text()
    finally:
        logger.removeHandler(handler)
        handler.close()

def test_init_weights_log_on_console(monkeypatch, capsys):
    monkeypatch.setattr(MMLogger, '_instance_dict', OrderedDict())
    MMLogger.get_instance('test_model_console')  # no file: records go through print_log
    net = ToyNet(init_cfg=dict(type='Xavier', layer='Linear'))
    net.init_weights()
    out = capsys.readouterr().out
    assert 'linear.weight - torch.Size([1, 1]): \n' \
           'XavierInit: gain=1, distribution=normal, bias=0 \n' in out
    assert 'Name of parameter' not in out


def test_override_keeps_unchanged_record(log_file):
    class Net(BaseModule):
        def __init__(self, init_cfg=None):
            super().__init__(init_cfg)
            self.conv1 = nn.Conv2d(1, 1, 1)
            self.conv2 = nn.Conv2d(1, 1, 1)

    Net(init_cfg=[dict(type='Kaiming', layer=['Conv2d'],
                       override=dict(name='conv2', type='Xavier'))]).init_weights()
    records = _records(log_file())
    kaiming = 'KaimingInit: a=0, mode=fan_out, nonlinearity=relu, distribution =normal, bias=0'
    assert records['conv1.weight'] == kaiming and records['conv1.bias'] == kaiming
    assert records['conv2.weight'] == 'XavierInit: gain=1, distribution=normal, bias=0'
    assert records['conv2.bias'] == kaiming  # both set it to 0: the record does not change


class ToyConv(nn.Module):
    def __init__(self):
        super().__init__()
        self.custom_weight = nn.Parameter(torch.full((1, 1, 1, 1), 5.))
        self.custom_bias = nn.Parameter(torch.full((1,), 5.))

    def init_weights(self):
        with torch.no_grad():
            self.custom_weight.fill_(1)
            self.custom_bias.fill_(0)


def test_user_defined_init_weights(log_file):
    class Net(BaseModule):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 1, 1)
            self.custom_conv = ToyConv()

    torch.manual_seed(1)
    net = Net()
    net.init_weights()
    assert net.custom_conv.custom_weight.item() == 1 and net.custom_conv.custom_bias.item() == 0
    records = _records(log_file())
    custom = 'Initialized by user-defined `init_weights` in ToyConv '
    assert records['custom_conv.custom_weight'] == custom
    assert records['custom_conv.custom_bias'] == custom
    assert records['conv1.weight'] == \
        'The value is the same before and after calling `init_weights` of Net '


def test_children_run_after_parent_and_containers(log_file):
    class Head(BaseModule):
        def __init__(self):
            super().__init__(init_cfg=dict(type='Constant', val=2, layer='Linear'))
            self.fc = nn.Linear(1, 1)

    class Net(BaseModule):
        def __init__(self):
            super().__init__(init_cfg=dict(type='Constant', val=1, layer='Linear'))
            self.head = Head()
            self.seq = Sequential(nn.Linear(1, 1), init_cfg=dict(type='Constant', val=3,
                                                                  layer='Linear'))
            self.lst = ModuleList([nn.Linear(1, 1)], init_cfg=dict(type='Constant', val=4,
                                                                    layer='Linear'))
            self.dct = ModuleDict({'a': nn.Linear(1, 1)},
                                  init_cfg=dict(type='Constant', val=5, layer='Linear'))
            self.plain = nn.Sequential(nn.Linear(1, 1))

    net = Net()
    net.init_weights()
    assert net.head.fc.weight.item() == 2  # the child's own cfg wins
    assert net.seq[0].weight.item() == 3
    assert net.lst[0].weight.item() == 4
    assert net.dct['a'].weight.item() == 5
    assert net.plain[0].weight.item() == 1  # reached only by the parent's cfg
    records = _records(log_file())
    assert records['seq.0.weight'] == 'ConstantInit: val=3, bias=0'
    assert records['plain.0.weight'] == 'ConstantInit: val=1, bias=0'
    assert net.head.is_init and net.seq.is_init


def test_pretrained_cfg_skips_children_and_still_dumps(tmp_path, log_file):
    class Child(BaseModule):
        def __init__(self):
            super().__init__(init_cfg=dict(type='Constant', val=9, layer='Linear'))
            self.fc = nn.Linear(1, 1)

    class Net(BaseModule):
        def __init__(self, init_cfg=None):
            super().__init__(init_cfg)
            self.child = Child()

    source = Net()
    path = str(tmp_path / 'pretrained.pth')
    torch.save(source.state_dict(), path)
    net = Net(init_cfg=dict(type='Pretrained', checkpoint=path))
    net.init_weights()
    assert torch.equal(net.child.fc.weight, source.child.fc.weight)  # not overwritten by 9
    assert net.is_init and not net.child.is_init
    text = log_file()
    assert f'load model from: {path}' in text
    assert 'Name of parameter - Initialization information' in text
    assert all(not hasattr(m, '_params_init_info') for m in net.modules())


def test_update_init_info_errors():
    lin = nn.Linear(1, 1)
    with pytest.raises(AssertionError, match='Can not find `_params_init_info`'):
        update_init_info(lin, 'x')

    class Sneaky(BaseModule):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(1, 1)

        def init_weights(self):
            self.fc.weight = nn.Parameter(torch.zeros(1, 1))  # replaces a parameter

    class Net(BaseModule):
        def __init__(self):
            super().__init__()
            self.sneaky = Sneaky()

    with pytest.raises(AssertionError, match='Find a new :obj:`Parameter` named `fc.weight`'):
        Net().init_weights()


def test_sequential_from_config_list():
    seq = MODELS.build([dict(type='BaseDataPreprocessor'), dict(type='BaseDataPreprocessor')])
    assert isinstance(seq, Sequential) and len(seq) == 2
    with pytest.raises(TypeError):
        Sequential(nn.Linear(1, 1), dict(type='Constant', val=1))
