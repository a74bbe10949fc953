"""AmpOptimWrapper on CPU (bfloat16 autocast + GradScaler) and, when present, CUDA."""

from unittest.mock import MagicMock

import pytest
import torch
import torch.nn as nn

from engine.optim import AmpOptimWrapper, OptimWrapper, build_optim_wrapper

DEFAULT_SCALER_STATE = {'scale': 65536.0, 'growth_factor': 2.0, 'backoff_factor': 0.5,
                        'growth_interval': 2000, '_growth_tracker': 0}


@pytest.fixture(autouse=True)
def _cpu_unless_cuda_test(request, monkeypatch):
    # With CPU parameters the wrapper picks CUDA whenever it exists (as the
    # reference did), so the CPU tests pin the CPU on GPU machines.
    if 'cuda' not in request.node.name:
        monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)


def make(model=None, **kwargs):
    model = model or nn.Linear(4, 2)
    return model, AmpOptimWrapper(optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
                                  **kwargs)


def test_loss_scale_variants_ts31():
    _, w = make()
    assert isinstance(w, OptimWrapper)
    assert isinstance(w.loss_scaler, torch.amp.GradScaler)
    assert w._scale_update_param is None
    assert w.state_dict()['loss_scaler'] == DEFAULT_SCALER_STATE

    _, w = make(loss_scale=dict(init_scale=1, growth_factor=2))
    assert w.loss_scaler.get_scale() == 1.0
    assert w.loss_scaler.get_growth_factor() == 2
    assert w._scale_update_param is None

    for static in (512.0, 512):
        _, w = make(loss_scale=static)
        assert w._scale_update_param == 512.0
        assert w.loss_scaler.get_scale() == 512.0

    for bad in ('unknown', True, [1.0]):
        with pytest.raises(TypeError, match='loss_scale must be of type float, dict, or '
                                            '"dynamic"'):
            make(loss_scale=bad)


def test_dtype_argument():
    assert make(dtype='bfloat16')[1].cast_dtype is torch.bfloat16
    assert make(dtype=torch.float16)[1].cast_dtype is torch.float16
    assert make()[1].cast_dtype is None
    with pytest.raises(AssertionError, match='dtype'):
        make(dtype='int8')


def test_static_scale_is_kept_after_step_and_grads_are_unscaled():
    torch.manual_seed(0)
    model, w = make(loss_scale=512.0)
    ref = nn.Linear(4, 2)
    ref.load_state_dict(model.state_dict())
    ref_opt = torch.optim.SGD(ref.parameters(), lr=0.1)
    x = torch.randn(3, 4)
    w.update_params(model(x).sum())
    ref(x).sum().backward()
    ref_opt.step()
    assert w.loss_scaler.get_scale() == 512.0
    for a, b in zip(model.parameters(), ref.parameters()):
        assert torch.allclose(a, b, atol=1e-6)


def test_dynamic_scale_backs_off_on_inf_and_skips_the_step():
    model, w = make(loss_scale=dict(init_scale=8.0))
    before = [p.detach().clone() for p in model.parameters()]
    loss = model(torch.full((1, 4), float('inf'))).sum()
    w.update_params(loss)
    assert w.loss_scaler.get_scale() == 4.0
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))


def test_cpu_autocast_bfloat16_in_optim_context():
    model, w = make(dtype='bfloat16')
    with w.optim_context(model):
        out = model(torch.randn(2, 4))
    assert out.dtype is torch.bfloat16
    assert model(torch.randn(2, 4)).dtype is torch.float32
    # default dtype on CPU is bfloat16 as well
    model, w = make()
    with w.optim_context(model):
        assert model(torch.randn(2, 4)).dtype is torch.bfloat16


def test_cpu_amp_training_with_clip_and_accumulation():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 1))
    w = build_optim_wrapper(model, dict(type='AmpOptimWrapper', dtype='bfloat16',
                                        accumulative_counts=2, clip_grad=dict(max_norm=10.0),
                                        optimizer=dict(type='SGD', lr=0.05)))
    assert isinstance(w, AmpOptimWrapper)
    x = torch.randn(32, 4)
    y = x.sum(dim=1, keepdim=True)
    w.initialize_count_status(model, 0, 40)
    first = None
    for i in range(40):
        with w.optim_context(model):
            loss = nn.functional.mse_loss(model(x[i % 4 * 8:(i % 4 + 1) * 8]).float(),
                                          y[i % 4 * 8:(i % 4 + 1) * 8])
        first = first if first is not None else loss.item()
        w.update_params(loss)
    assert loss.item() < first
    assert w.last_grad_norm is not None  # clipping ran on unscaled gradients
    assert w.last_grad_norm < 1e3


def test_state_dict_round_trip_and_partial_load():
    model, w = make()
    w.update_params(model(torch.ones(1, 4)).sum())  # the scaler initialises lazily
    w.loss_scaler.update(1024.0)
    state = w.state_dict()
    assert state['loss_scaler']['scale'] == 1024.0
    _, other = make(model)
    other.load_state_dict(state)
    assert 'loss_scaler' in state  # the caller's dict is not consumed
    assert other.loss_scaler.get_scale() == 1024.0

    _, fresh = make(model)
    opt_only = {k: v for k, v in state.items() if k != 'loss_scaler'}
    opt_only['param_groups'][0]['lr'] = 0.3
    fresh.load_state_dict(opt_only)
    assert fresh.get_lr() == {'lr': [0.3]}
    assert fresh.loss_scaler.get_scale() == 65536.0


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a CUDA device')
def test_cuda_amp_float16_and_bfloat16():
    for dtype, expected in ((None, torch.float16), ('float16', torch.float16),
                            ('bfloat16', torch.bfloat16)):
        model, w = make(nn.Linear(4, 2).cuda(), dtype=dtype)
        assert w.device_type == 'cuda'
        with w.optim_context(model):
            out = model(torch.randn(2, 4, device='cuda'))
        assert out.dtype is expected
        # d(loss)/d(out) * 65536 must stay below float16's max (65504), or the
        # scaler skips the step and halves its scale
        w.update_params(out.float().mean() * 1e-2)
        assert w.state_dict()['loss_scaler']['scale'] == 65536.0


def test_device_and_scaler_on_a_cpu_only_machine():
    _, w = make()
    assert w.device_type == 'cpu'
    assert type(w.loss_scaler) is torch.amp.GradScaler


def test_optimizer_without_param_groups_steps_through_the_scaler():
    # Code written for the reference builds the wrapper around a stand-in
    # optimizer (MagicMock(spec=Optimizer)); construction must not need params.
    optimizer = MagicMock(spec=torch.optim.Optimizer)
    w = AmpOptimWrapper(optimizer=optimizer)
    w.loss_scaler = MagicMock()
    w.step()
    w.loss_scaler.step.assert_called_with(optimizer)
    w.loss_scaler.update.assert_called_with(None)
    w = AmpOptimWrapper(optimizer=optimizer, loss_scale=512.0)
    w.loss_scaler = MagicMock()
    w.step()
    w.loss_scaler.update.assert_called_with(512.0)


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a CUDA device')
def test_cuda_amp_reference_setup_with_cpu_params_at_construction():
    # The reference's tests build the wrapper before moving the model to CUDA.
    model = nn.Conv2d(1, 1, 1)
    w = AmpOptimWrapper(optimizer=torch.optim.SGD(model.parameters(), lr=0.1))
    assert w.device_type == 'cuda'
    assert isinstance(w.loss_scaler, torch.cuda.amp.GradScaler)
    with w.optim_context(model):
        y = nn.Conv2d(1, 1, 1).cuda()(torch.randn(1, 1, 1, 1).cuda())
    assert y.dtype == torch.float16
    model.cuda()
    w.update_params(model(torch.randn(1, 1, 1, 1).cuda()).sum())
    state = w.state_dict()
    assert state.pop('loss_scaler') == w.loss_scaler.state_dict()
    assert state == w.optimizer.state_dict()
