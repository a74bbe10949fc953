"""The training step skips ``nn.Module.__call__`` only when calling would add nothing."""

import torch
import torch.nn as nn
from torch.nn.modules.module import register_module_forward_hook, register_module_forward_pre_hook

from engine.model import BaseModel
from engine.model.base_model.forwards_directly import forwards_directly
from engine.optim import OptimWrapper


class ToyModel(BaseModel):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(4, 2)

    def forward(self, inputs, labels, mode='tensor'):
        return dict(loss=((self.linear(inputs) - labels) ** 2).mean())


def _batch():
    return [torch.ones(3, 4), torch.zeros(3, 2)]


def _train_step(model):
    optim_wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    return model.train_step(_batch(), optim_wrapper=optim_wrapper)


def test_plain_module_is_called_through_forward():
    model = ToyModel()
    assert forwards_directly(model, model.data_preprocessor)


def test_forward_hooks_on_model_and_preprocessor_still_run_in_train_step():
    model = ToyModel()
    seen = []
    model.register_forward_pre_hook(lambda module, args, kwargs: seen.append('model pre'),
                                    with_kwargs=True)
    model.register_forward_hook(lambda module, args, output: seen.append('model post'))
    model.data_preprocessor.register_forward_hook(
        lambda module, args, output: seen.append('preprocessor post'))
    assert not forwards_directly(model, model.data_preprocessor)
    _train_step(model)
    assert seen == ['preprocessor post', 'model pre', 'model post']


def test_backward_hooks_keep_the_module_call():
    # torch attaches them to the forward's output inside nn.Module.__call__
    model = ToyModel()
    model.data_preprocessor.register_full_backward_hook(lambda module, grad_in, grad_out: None)
    assert not forwards_directly(model, model.data_preprocessor)
    other = ToyModel()
    other.register_full_backward_pre_hook(lambda module, grad_out: None)
    assert not forwards_directly(other, other.data_preprocessor)


def test_global_module_hooks_still_run():
    model = ToyModel()
    seen = []
    post = register_module_forward_hook(lambda m, args, out: seen.append(type(m).__name__))
    pre = register_module_forward_pre_hook(lambda m, args: seen.append('pre'))
    try:
        assert not forwards_directly(model, model.data_preprocessor)
        _train_step(model)
    finally:
        post.remove()
        pre.remove()
    assert 'ToyModel' in seen and 'BaseDataPreprocessor' in seen and 'pre' in seen
    assert forwards_directly(model, model.data_preprocessor)  # hooks removed: the shortcut again


def test_class_overriding_call_is_called():
    calls = []

    class Counting(ToyModel):
        def __call__(self, *args, **kwargs):
            calls.append('call')
            return super().__call__(*args, **kwargs)

    class CountingImpl(ToyModel):
        def _call_impl(self, *args, **kwargs):
            calls.append('impl')
            return super()._call_impl(*args, **kwargs)

    for cls in (Counting, CountingImpl):
        model = cls()
        assert not forwards_directly(model, model.data_preprocessor)
        _train_step(model)
    assert calls == ['call', 'impl']


def test_compiled_module_goes_through_its_compiled_call():
    model = ToyModel()
    model.compile()  # lazy: nothing compiles until the module is called
    assert not forwards_directly(model, model.data_preprocessor)
    preprocessor_compiled = ToyModel()
    preprocessor_compiled.data_preprocessor.compile()
    assert not forwards_directly(preprocessor_compiled, preprocessor_compiled.data_preprocessor)
