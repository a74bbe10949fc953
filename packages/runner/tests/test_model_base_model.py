"""BaseModel (MOD-01..09): constructor, steps, parse_losses, device tracking."""
from collections import namedtuple

import pytest
import torch
import torch.nn as nn

from engine.model import BaseDataPreprocessor, BaseModel, ImgDataPreprocessor
from engine.optim import OptimWrapper, OptimWrapperDict


class ToyModel(BaseModel):
    def __init__(self, data_preprocessor=None):
        super().__init__(data_preprocessor=data_preprocessor)
        self.linear = nn.Linear(1, 1)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        out = self.linear(inputs)
        if mode == 'loss':
            return dict(loss1=(out - data_samples) ** 2, loss2=(out - data_samples).abs())
        if mode == 'predict':
            return list(out)
        return out


def _toy_33():
    model = ToyModel()
    nn.init.constant_(model.linear.weight, 1)
    nn.init.constant_(model.linear.bias, 0)
    return model


# --------------------------------------------------------------- constructor
def test_constructor_builds_default_preprocessor():
    assert type(ToyModel().data_preprocessor) is BaseDataPreprocessor
    model = ToyModel(data_preprocessor=dict(type='ImgDataPreprocessor'))
    assert isinstance(model.data_preprocessor, ImgDataPreprocessor)
    dp = BaseDataPreprocessor()
    model = ToyModel(data_preprocessor=dp)
    assert model.data_preprocessor is dp
    assert 'data_preprocessor' in dict(model.named_children())


def test_constructor_rejects_other_types():
    with pytest.raises(TypeError, match='data_preprocessor should be a `dict` or `nn.Module`'):
        ToyModel(data_preprocessor=[BaseDataPreprocessor()])


def test_forward_is_abstract():
    class NoForward(BaseModel):
        pass

    with pytest.raises(TypeError):
        NoForward()


# ------------------------------------------------------------- parse_losses
def test_parse_losses_sums_loss_keys_in_model_order_then_loss_last():
    model = ToyModel()
    losses = {'loss_cls': torch.tensor(1.), 'loss_list': [torch.tensor(2.), torch.tensor(3.)]}
    total, log_vars = model.parse_losses(losses)
    assert total.item() == 6.0
    # conflict C1: sub-losses in the model's order, then the total
    assert list(log_vars) == ['loss_cls', 'loss_list', 'loss']
    assert [v.item() for v in log_vars.values()] == [1.0, 5.0, 6.0]


def test_parse_losses_uses_mean_and_ignores_non_loss_keys():
    total, log_vars = ToyModel().parse_losses(
        {'loss_a': torch.tensor([1., 3.]), 'acc': torch.tensor(0.5)})
    assert total.item() == 2.0
    assert {k: v.item() for k, v in log_vars.items()} == {'loss_a': 2.0, 'acc': 0.5, 'loss': 2.0}


def test_parse_losses_log_vars_are_the_reduced_tensors_total_differentiable():
    w = torch.ones(2, requires_grad=True)
    scalar_loss = w.sum()
    total, log_vars = ToyModel().parse_losses({'my_loss': w * 2, 'loss1': scalar_loss})
    assert total.requires_grad
    # MOD-06: values stay tensors, no copy, no detach; a 0-dim loss needs no mean()
    assert log_vars['loss1'] is scalar_loss and log_vars['loss'] is total
    assert all(type(v) is torch.Tensor for v in log_vars.values())
    total.backward()
    assert w.grad.tolist() == [2.0, 2.0]


def test_parse_losses_edge_cases():
    model = ToyModel()
    with pytest.raises(TypeError, match='error_key is not a tensor or list of tensors'):
        model.parse_losses({'loss_cls': torch.tensor(1.), 'error_key': {}})
    with pytest.raises(TypeError, match='mixed is not a tensor'):
        model.parse_losses({'mixed': [torch.tensor(1.), 2.0]})
    # a forward(mode='loss') that returned the loss itself, not a dict of losses
    with pytest.raises(TypeError, match=r"dict of losses that forward\(\.\.\., mode='loss'\) "
                                        r'returns .* but got Tensor'):
        model.parse_losses(torch.tensor(1.))
    total, log_vars = model.parse_losses({'acc': torch.tensor(1.)})
    assert total == 0 and log_vars['loss'] == 0
    total, log_vars = model.parse_losses({'loss_empty': [], 'loss_b': torch.tensor(2.)})
    assert total.item() == 2.0 and log_vars['loss_empty'] == 0
    # a model entry named exactly 'loss' keeps its own value (0.2.0 behaviour)
    total, log_vars = model.parse_losses({'loss': torch.tensor([1., 3.]),
                                          'loss_b': torch.tensor(1.)})
    assert total.item() == 3.0
    assert list(log_vars) == ['loss_b', 'loss'] and log_vars['loss'].item() == 2.0


# -------------------------------------------------------------------- steps
def test_train_step_toy_from_migration_guide():
    model = _toy_33()
    optim_wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0))
    data = [torch.ones(2, 1), 3 * torch.ones(2, 1)]
    log_vars = model.train_step(data, optim_wrapper)
    assert {k: v.item() for k, v in log_vars.items()} == {'loss1': 4., 'loss2': 2., 'loss': 6.}
    # gradients were computed and cleared by update_params (zero_grad after step)
    assert model.linear.weight.grad is None or model.linear.weight.grad.abs().sum() == 0


def test_train_step_honours_run_forward_override_and_optim_context():
    # train_step calls the model directly only when neither is customised
    events = []

    class Context:
        def __enter__(self):
            events.append('enter')

        def __exit__(self, *exc):
            events.append('exit')

    class ContextWrapper(OptimWrapper):
        def optim_context(self, model):
            return Context()

    class Overriding(ToyModel):
        def _run_forward(self, data, mode):
            events.append(('run_forward', mode))
            return super()._run_forward(data, mode)

    model = Overriding()
    data = [torch.ones(2, 1), 3 * torch.ones(2, 1)]
    model.train_step(data, ContextWrapper(torch.optim.SGD(model.parameters(), lr=0)))
    assert events == ['enter', ('run_forward', 'loss'), 'exit']
    events.clear()
    log_vars = _toy_33().train_step(tuple(data), OptimWrapper(
        torch.optim.SGD(model.parameters(), lr=0)))
    assert events == [] and log_vars['loss'].item() == 6.
    with pytest.raises(TypeError, match='should be list, tuple or dict'):
        ToyModel().train_step(
            torch.ones(1, 1), OptimWrapper(torch.optim.SGD(model.parameters(), lr=0)))


def test_train_step_updates_parameters_and_uses_training_flag():
    seen = []

    class RecordingDP(BaseDataPreprocessor):
        def forward(self, data, training=False):
            seen.append(training)
            return super().forward(data, training)

    model = ToyModel(data_preprocessor=RecordingDP())
    nn.init.constant_(model.linear.weight, 1)
    nn.init.constant_(model.linear.bias, 0)
    optim_wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    model.train_step(dict(inputs=torch.ones(2, 1), data_samples=3 * torch.ones(2, 1)),
                     optim_wrapper)
    # d/dw [(w-3)^2 + |w-3|] at w=1 is -4 - 1 = -5 -> w = 1 + 0.5
    assert model.linear.weight.item() == pytest.approx(1.5)
    model.val_step([torch.ones(2, 1), None])
    model.test_step([torch.ones(2, 1), None])
    assert seen == [True, False, False]


def test_val_and_test_step_return_predictions_unchanged():
    model = _toy_33()
    img, label = torch.ones(2, 1), torch.ones(2, 1)
    for step in (model.val_step, model.test_step):
        preds = step([img, label])
        assert isinstance(preds, list) and len(preds) == 2
        assert torch.equal(preds[0], torch.ones(1))


def test_run_forward_unpacking_and_error():
    model = _toy_33()
    out = model._run_forward(dict(inputs=torch.ones(1, 1)), mode='tensor')
    assert out.shape == (1, 1)
    out = model._run_forward((torch.ones(1, 1),), mode='tensor')
    assert out.shape == (1, 1)
    with pytest.raises(TypeError, match='Output of `data_preprocessor` should be list, tuple '
                                        'or dict, but got'):
        model._run_forward(torch.ones(1, 1), mode='tensor')


def test_custom_train_step_with_optim_wrapper_dict():
    """GAN-style flow (§25.3): two wrappers, two parse_losses, merged log_vars."""
    class TwoPart(BaseModel):
        def __init__(self):
            super().__init__()
            self.gen = nn.Linear(1, 1)
            self.disc = nn.Linear(1, 1)

        def forward(self, inputs, data_samples=None, mode='tensor'):
            return self.gen(inputs)

        def train_step(self, data, optim_wrapper):
            data = self.data_preprocessor(data, True)
            log_vars = {}
            for name, sub in (('discriminator', self.disc), ('generator', self.gen)):
                wrapper = optim_wrapper[name]
                with wrapper.optim_context(sub):
                    loss = {f'loss_{name}': sub(data['inputs']).pow(2).mean()}
                parsed, part_vars = self.parse_losses(loss)
                wrapper.update_params(parsed)
                log_vars.update({k: v for k, v in part_vars.items() if k != 'loss'})
            return log_vars

    model = TwoPart()
    before = model.gen.weight.detach().clone()
    wrappers = OptimWrapperDict(
        generator=OptimWrapper(torch.optim.SGD(model.gen.parameters(), lr=0.1)),
        discriminator=OptimWrapper(torch.optim.SGD(model.disc.parameters(), lr=0.1)))
    log_vars = model.train_step(dict(inputs=torch.ones(4, 1)), wrappers)
    assert set(log_vars) == {'loss_discriminator', 'loss_generator'}
    assert not torch.equal(before, model.gen.weight)


# ------------------------------------------------------------------- device
def test_to_and_cpu_update_every_nested_preprocessor():
    outer = _toy_33()
    inner = _toy_33()
    outer.sub = inner
    assert outer.to('cpu') is outer
    assert outer.data_preprocessor.device == torch.device('cpu')
    assert inner.data_preprocessor.device == torch.device('cpu')
    # walk reaches nested preprocessors even though nn.Module.to skips children's overrides
    inner.data_preprocessor._device = torch.device('meta')
    outer.data_preprocessor._device = torch.device('meta')
    assert outer.cpu() is outer
    assert inner.data_preprocessor.device == torch.device('cpu')
    inner.data_preprocessor._device = torch.device('meta')
    outer.to(torch.device('cpu'))
    assert inner.data_preprocessor.device == torch.device('cpu')
    # a dtype-only call keeps the device
    outer.to(torch.float64)
    assert outer.linear.weight.dtype == torch.float64
    assert outer.data_preprocessor.device == torch.device('cpu')


def test_to_meta_moves_preprocessor_device():
    model = _toy_33()
    model.to('meta')
    assert model.data_preprocessor.device == torch.device('meta')
    assert model.linear.weight.device.type == 'meta'


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a CUDA device')
def test_cuda_sets_indexed_device():
    model = _toy_33().cuda()
    assert model.data_preprocessor.device == torch.device('cuda', torch.cuda.current_device()) \
        or model.data_preprocessor.device.type == 'cuda'
    batch = model.data_preprocessor([torch.ones(1, 1)])
    assert batch[0].is_cuda


def test_tutorial_tuple_batch_reaches_forward_positionally():
    """§8.1: a DataLoader (img, label) tuple becomes forward(img, label, mode=...)."""
    Batch = namedtuple('Batch', ['inputs', 'data_samples'])
    model = _toy_33()
    out = model.val_step(Batch(torch.ones(3, 1), torch.zeros(3, 1)))
    assert len(out) == 3
