"""OptimWrapper: update sequence, accumulation (tail rule, resume), clipping, state."""

import contextlib
import logging
import re
import subprocess
import sys
import unittest
import uuid

import pytest
import torch
import torch.nn as nn

from engine.optim import OptimWrapper, OptimWrapperDict


def sgd(model_or_params, lr=0.01, **kwargs):
    params = model_or_params.parameters() if isinstance(model_or_params, nn.Module) \
        else model_or_params
    return torch.optim.SGD(params, lr=lr, **kwargs)


class CountingSGD(torch.optim.SGD):
    """SGD that remembers at which wrapper count it stepped (a real optimizer)."""

    def __init__(self, params, wrapper_ref, **kwargs):
        super().__init__(params, **kwargs)
        self.wrapper_ref = wrapper_ref
        self.step_counts = []

    def step(self, closure=None):
        self.step_counts.append(self.wrapper_ref[0].inner_count)
        return super().step(closure)


def counting_wrapper(accumulative_counts):
    param = nn.Parameter(torch.zeros(1))
    ref = []
    opt = CountingSGD([param], ref, lr=0.1)
    wrapper = OptimWrapper(opt, accumulative_counts=accumulative_counts)
    ref.append(wrapper)
    return wrapper, param, opt


def run_calls(wrapper, param, n):
    """Call update_params n times with loss = 1.0 * param.sum(); record loss scales."""
    scales = []
    for _ in range(n):
        loss = (param * 1.0).sum() + 1.0
        scaled = wrapper.scale_loss(loss)
        scales.append(float(scaled.detach()) / float(loss.detach()))
        wrapper.update_params(loss)
    return scales


def test_basics_ts22():
    model = nn.Linear(2, 1)
    opt = sgd(model)
    wrapper = OptimWrapper(opt)
    assert wrapper.get_lr() == {'lr': [0.01]}
    assert wrapper.get_momentum() == {'momentum': [0]}
    assert wrapper.param_groups is opt.param_groups
    assert wrapper.defaults is opt.defaults
    assert wrapper.state_dict() == opt.state_dict()
    adam = torch.optim.Adam(model.parameters(), betas=(0.9, 0.9))
    assert OptimWrapper(adam).get_momentum() == {'momentum': [0.9]}
    adagrad = torch.optim.Adagrad(model.parameters())
    assert OptimWrapper(adagrad).get_momentum() == {'momentum': [0]}
    assert repr(wrapper).startswith('Type: OptimWrapper\n_accumulative_counts: 1\n'
                                    'optimizer: \nSGD (')
    with pytest.raises(AssertionError, match='accumulative_counts'):
        OptimWrapper(opt, accumulative_counts=0)
    with pytest.raises(AssertionError, match='should be a `dict`'):
        OptimWrapper(opt, clip_grad=[])
    with pytest.raises(AssertionError, match='should be a `dict`'):
        OptimWrapper(opt, clip_grad={})
    with pytest.raises(AssertionError, match='torch.optim.Optimizer` instance'):
        OptimWrapper('sgd')


def test_update_params_equals_raw_loop():
    torch.manual_seed(0)
    model_a = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    model_b = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    model_b.load_state_dict(model_a.state_dict())
    wrapper = OptimWrapper(sgd(model_a, lr=0.1, momentum=0.9))
    opt_b = sgd(model_b, lr=0.1, momentum=0.9)
    for _ in range(5):
        x = torch.randn(3, 4)
        wrapper.update_params(model_a(x).pow(2).mean())
        loss = model_b(x).pow(2).mean()
        loss.backward()
        opt_b.step()
        opt_b.zero_grad()
    for pa, pb in zip(model_a.parameters(), model_b.parameters()):
        assert torch.equal(pa, pb)
        assert pa.grad is None
    assert wrapper.inner_count == 5


def test_unscaled_loss_is_passed_through_when_not_accumulating():
    wrapper = OptimWrapper(sgd([nn.Parameter(torch.zeros(1))]))
    loss = torch.tensor(3.0)
    assert wrapper.scale_loss(loss) is loss


def test_accumulation_tail_ts21():
    wrapper, param, opt = counting_wrapper(3)
    wrapper.initialize_count_status(nn.Linear(1, 1), 0, 10)
    assert wrapper._remainder_counts == 1
    scales = run_calls(wrapper, param, 10)
    assert opt.step_counts == [3, 6, 9, 10]
    assert scales == pytest.approx([1 / 3] * 9 + [1.0])


def test_accumulation_without_initialisation_ts21():
    wrapper, param, opt = counting_wrapper(3)
    scales = run_calls(wrapper, param, 10)
    assert opt.step_counts == [3, 6, 9]
    assert scales == pytest.approx([1 / 3] * 10)


def test_accumulation_after_resume_ts21():
    wrapper, param, opt = counting_wrapper(3)
    wrapper.initialize_count_status(nn.Linear(1, 1), 96, 100)
    scales = run_calls(wrapper, param, 4)
    assert opt.step_counts == [99, 100]
    assert scales == pytest.approx([1 / 3, 1 / 3, 1 / 3, 1.0])


def test_stepping_past_a_divisible_max_counts_is_an_error():
    wrapper, param, opt = counting_wrapper(3)
    wrapper.initialize_count_status(nn.Linear(1, 1), 0, 6)
    run_calls(wrapper, param, 6)
    assert opt.step_counts == [3, 6]
    with pytest.raises(AssertionError, match='loss_factor should be larger than zero'):
        run_calls(wrapper, param, 1)


def test_section23_example_25_iters_accumulate_4():
    wrapper, param, opt = counting_wrapper(4)
    wrapper.initialize_count_status(nn.Linear(1, 1), 0, 25)
    scales = run_calls(wrapper, param, 25)
    assert opt.step_counts == [4, 8, 12, 16, 20, 24, 25]
    assert scales[-1] == 1.0 and scales[0] == 0.25


def test_accumulated_gradient_values_with_tail():
    """Exact gradients: 4 accumulated passes give the mean, the tail pass its own mean."""
    param = nn.Parameter(torch.zeros(1))
    grads_at_step = []

    class RecordingSGD(torch.optim.SGD):
        def step(self, closure=None):
            grads_at_step.append(float(param.grad))
            return super().step(closure)

    wrapper = OptimWrapper(RecordingSGD([param], lr=0.0), accumulative_counts=4)
    wrapper.initialize_count_status(nn.Linear(1, 1), 0, 5)
    # loss_i = c_i * param  ->  d/dparam = c_i
    coefficients = [1.0, 2.0, 3.0, 6.0, 10.0]
    for c in coefficients:
        wrapper.update_params((param * c).sum())
    assert grads_at_step == pytest.approx([(1 + 2 + 3 + 6) / 4, 10.0])


def _train(model, batches, accumulative_counts):
    wrapper = OptimWrapper(sgd(model, lr=0.1, momentum=0.9),
                           accumulative_counts=accumulative_counts)
    wrapper.initialize_count_status(model, 0, len(batches))
    for x, y in batches:
        with wrapper.optim_context(model):
            loss = nn.functional.mse_loss(model(x), y)
        wrapper.update_params(loss)
    return model


def test_accumulate_4_of_batch_4_equals_batch_16():
    torch.manual_seed(0)
    x, y = torch.randn(16 * 5 + 2, 3), torch.randn(16 * 5 + 2, 1)
    big = nn.Linear(3, 1)
    small = nn.Linear(3, 1)
    small.load_state_dict(big.state_dict())
    # 82 samples: batch 16 -> 5 full batches + a tail of 2; batch 4 -> 20 + a tail of 2
    _train(big, [(x[i:i + 16], y[i:i + 16]) for i in range(0, 82, 16)], 1)
    _train(small, [(x[i:i + 4], y[i:i + 4]) for i in range(0, 82, 4)], 4)
    for a, b in zip(big.parameters(), small.parameters()):
        assert torch.allclose(a, b, atol=1e-6)


def test_initialize_count_status_warnings_ts22(caplog):
    wrapper = OptimWrapper(sgd([nn.Parameter(torch.zeros(1))]), accumulative_counts=3)
    with caplog.at_level(logging.WARNING, logger='engine'):
        wrapper.initialize_count_status(nn.BatchNorm2d(1), 0, 99)
    assert [r.message for r in caplog.records if 'Gradient accumulative' in r.message]
    assert caplog.records[0].name.startswith('engine.optim')
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger='engine'):
        wrapper.initialize_count_status(nn.Linear(1, 1), 2, 100)
    assert len(caplog.records) == 1
    assert 'Resumed iteration number' in caplog.records[0].message


def test_initialize_count_status_warnings_reach_the_current_mmlogger():
    # The reference logs through print_log(logger='current'): a user capturing the
    # run's MMLogger (assertLogs) must see exactly one record per warning.
    logging_mod = pytest.importorskip('engine.logging', reason='engine-runner not installed')
    mm_logger = logging_mod.MMLogger.get_instance(f'test_optim_counts_{uuid.uuid4().hex}')
    wrapper = OptimWrapper(sgd([nn.Parameter(torch.zeros(1))]), accumulative_counts=3)
    case = unittest.TestCase()
    with case.assertLogs(mm_logger) as cm:
        wrapper.initialize_count_status(nn.Linear(1, 1), 2, 100)
    assert len(cm.output) == 1
    assert re.search('Resumed iteration number', cm.records[0].msg)
    with case.assertLogs(mm_logger) as cm:
        wrapper.initialize_count_status(nn.BatchNorm2d(1), 0, 99)
    assert len(cm.output) == 1
    assert re.search('Gradient accumulative', cm.records[0].msg)


class NoSyncModel(nn.Linear):
    """A model exposing ``no_sync`` the way DDP does; records when it is used."""

    def __init__(self):
        super().__init__(1, 1)
        self.no_sync_entered = 0

    @contextlib.contextmanager
    def no_sync(self):
        self.no_sync_entered += 1
        yield


def test_optim_context_sync_ts24():
    model = NoSyncModel()
    wrapper = OptimWrapper(sgd(model), accumulative_counts=3)
    wrapper.initialize_count_status(model, 0, 100)
    used = []
    for _ in range(6):
        before = model.no_sync_entered
        with wrapper.optim_context(model):
            loss = model(torch.ones(1, 1)).sum()
        used.append(model.no_sync_entered > before)
        wrapper.update_params(loss)
    assert used == [True, True, False, True, True, False]

    model = NoSyncModel()
    wrapper = OptimWrapper(sgd(model))
    for _ in range(3):
        with wrapper.optim_context(model):
            pass
        wrapper._inner_count += 1
    assert model.no_sync_entered == 0


def test_optim_context_syncs_on_forced_tail_update():
    model = NoSyncModel()
    wrapper = OptimWrapper(sgd(model), accumulative_counts=4)
    wrapper.initialize_count_status(model, 0, 6)
    used = []
    for _ in range(6):
        before = model.no_sync_entered
        with wrapper.optim_context(model):
            loss = model(torch.ones(1, 1)).sum()
        used.append(model.no_sync_entered > before)
        wrapper.update_params(loss)
    assert used == [True, True, True, False, True, False]


def test_clip_grad_norm_ts23():
    param = nn.Parameter(torch.zeros(2))
    seen = []

    class RecordingSGD(torch.optim.SGD):
        def step(self, closure=None):
            seen.append(param.grad.clone())
            return super().step(closure)

    clip_cfg = dict(max_norm=1.0)
    wrapper = OptimWrapper(RecordingSGD([param], lr=0.1), clip_grad=clip_cfg)
    assert clip_cfg == dict(max_norm=1.0)
    param.grad = torch.tensor([3.0, 4.0])
    wrapper.step()
    assert torch.allclose(seen[0], torch.tensor([0.6, 0.8]))
    assert wrapper.last_grad_norm == pytest.approx(5.0)


def test_clip_grad_norm_reaches_the_current_message_hub_opt01():
    # OPT-01/OPT-10: the wrapper takes the current MessageHub at construction and
    # logs the total norm there as 'train/grad_norm'.
    logging_mod = pytest.importorskip('engine.logging', reason='engine-runner not installed')
    hub = logging_mod.MessageHub.get_instance(f'test_optim_clip_hub_{uuid.uuid4().hex}')
    param = nn.Parameter(torch.zeros(2))
    wrapper = OptimWrapper(sgd([param]), clip_grad=dict(max_norm=1.0))
    assert wrapper.message_hub is hub
    param.grad = torch.tensor([3.0, 4.0])
    wrapper.step()
    assert hub.get_scalar('train/grad_norm').current() == pytest.approx(5.0)
    other = logging_mod.MessageHub.get_instance(f'test_optim_clip_hub_{uuid.uuid4().hex}')
    wrapper.message_hub = other  # the runner hands over its own hub
    wrapper.step()
    assert other.get_scalar('train/grad_norm').current() == pytest.approx(1.0)


def test_without_engine_logging_there_is_no_message_hub():
    code = ('import sys, torch\n'
            'from engine.optim import OptimWrapper\n'
            'p = torch.nn.Parameter(torch.zeros(2))\n'
            'w = OptimWrapper(torch.optim.SGD([p], lr=0.1), clip_grad=dict(max_norm=1.0))\n'
            'p.grad = torch.tensor([3.0, 4.0])\n'
            'w.step()\n'
            "assert 'engine.logging' not in sys.modules, 'engine.optim loaded engine.logging'\n"
            'assert w.message_hub is None and abs(w.last_grad_norm - 5.0) < 1e-6\n')
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr


def test_clip_grad_value_and_errors_ts23():
    param = nn.Parameter(torch.zeros(2))
    cfg = dict(type='value', clip_value=1.0)
    wrapper = OptimWrapper(sgd([param], lr=0.0), clip_grad=cfg)
    assert cfg == dict(type='value', clip_value=1.0)  # the caller's dict is untouched
    param.grad = torch.tensor([3.0, -4.0])
    wrapper.step()
    assert torch.equal(param.grad, torch.tensor([1.0, -1.0]))
    assert wrapper.last_grad_norm is None
    with pytest.raises(ValueError, match='"norm" or "value"'):
        OptimWrapper(sgd([param]), clip_grad=dict(type='foo', max_norm=1))
    with pytest.raises(AssertionError):
        OptimWrapper(sgd([param]), clip_grad=dict(type='norm'))
    # a misspelled field fails when the wrapper is built, not at the first update
    with pytest.raises(TypeError, match=r"clip_grad=\{'max_nrom': 1\} does not fit "
                                        r"clip_grad_norm_: .*\(it takes max_norm, norm_type"):
        OptimWrapper(sgd([param]), clip_grad=dict(max_nrom=1))
    with pytest.raises(TypeError, match='does not fit clip_grad_value_.*it takes clip_value'):
        OptimWrapper(sgd([param]), clip_grad=dict(type='value', max_norm=1))


def test_clip_grad_skips_frozen_and_gradless_params():
    frozen = nn.Parameter(torch.ones(2), requires_grad=False)
    no_grad = nn.Parameter(torch.ones(2))
    wrapper = OptimWrapper(sgd([frozen, no_grad]), clip_grad=dict(max_norm=1.0))
    wrapper.step()  # nothing to clip: no error, no norm
    assert wrapper.last_grad_norm is None


def test_state_dict_round_trip():
    model = nn.Linear(2, 1)
    wrapper = OptimWrapper(sgd(model, momentum=0.9))
    wrapper.update_params(model(torch.ones(1, 2)).sum())
    state = wrapper.state_dict()
    other = OptimWrapper(sgd(model, lr=0.5, momentum=0.9))
    other.load_state_dict(state)
    assert other.get_lr() == {'lr': [0.01]}
    assert torch.equal(other.optimizer.state[model.weight]['momentum_buffer'],
                       wrapper.optimizer.state[model.weight]['momentum_buffer'])


def test_optim_wrapper_dict_ts25():
    gen, disc = nn.Linear(1, 1), nn.Linear(1, 1)
    d = OptimWrapperDict(gen=OptimWrapper(sgd(gen)), disc=OptimWrapper(sgd(disc)))
    assert isinstance(d, OptimWrapper)
    assert d.get_lr() == {'gen.lr': [0.01], 'disc.lr': [0.01]}
    assert d.get_momentum() == {'gen.momentum': [0], 'disc.momentum': [0]}
    for call in (lambda: d.update_params(1), lambda: d.backward(1), lambda: d.step()):
        with pytest.raises(NotImplementedError, match='separately'):
            call()
    with pytest.raises(NotImplementedError, match='optim_context'):
        with d.optim_context(gen):
            pass
    with pytest.raises(AssertionError, match='only accept OptimWrapper instance'):
        OptimWrapperDict(a=sgd(gen))
    assert set(d.state_dict()) == {'gen', 'disc'}
    with pytest.raises(AssertionError, match='cannot found x in OptimWrapperDict'):
        d.load_state_dict({'x': {}})
    with pytest.raises(AssertionError, match='Cannot find x in OptimWrapperDict'):
        d['x']
    assert 'gen' in d and len(d) == 2
    assert list(d.keys()) == ['gen', 'disc']
    assert [w for w in d.values()] == [d['gen'], d['disc']]
    assert dict(d.items()) == d.optim_wrappers
    assert set(d.param_groups) == {'gen', 'disc'}
    assert repr(d).startswith('name: gen\nType: OptimWrapper')

    gen(torch.ones(1, 1)).sum().backward()
    disc(torch.ones(1, 1)).sum().backward()
    d.zero_grad()
    assert all(p.grad is None for p in [*gen.parameters(), *disc.parameters()])

    # loading a partial state dict leaves the other wrapper alone
    d['gen'].param_groups[0]['lr'] = 0.5
    saved = d.state_dict()
    d['gen'].param_groups[0]['lr'] = 0.7
    d['disc'].param_groups[0]['lr'] = 0.3
    d.load_state_dict({'gen': saved['gen']})
    assert d.get_lr() == {'gen.lr': [0.5], 'disc.lr': [0.3]}
    d.initialize_count_status(gen, 0, 10)  # no-op
    assert d['gen']._max_counts == -1
