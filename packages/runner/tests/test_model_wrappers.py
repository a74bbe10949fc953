"""Model wrappers (WRAP-01..06): registry, is_model_wrapper, FSDP argument handling, and
two real gloo processes running MMDistributedDataParallel, MMSeparateDistributedDataParallel
and MMFullyShardedDataParallel train steps.

One launch covers every multi-process check (to keep the suite fast): each rank runs this
file as a script and prints a JSON report, and the tests compare the two reports.
"""

import pytest
import torch
import torch.nn as nn
from rank_processes import report_and_exit, run_ranks

from engine.model import (
    BaseModel,
    MMDistributedDataParallel,
    MMSeparateDistributedDataParallel,
    is_model_wrapper,
)
from engine.registry import MODEL_WRAPPERS, Registry

WORLD_SIZE = 2
STEPS = 5
LR = 0.1


class RegressionModel(BaseModel):
    """y = Linear(x); loss = mean squared error; an optional unused layer."""

    def __init__(self, with_unused=False):
        super().__init__()
        self.linear = nn.Linear(3, 1)
        if with_unused:
            self.unused = nn.Linear(3, 1)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        out = self.linear(inputs)
        if mode == 'loss':
            return dict(loss_mse=((out - data_samples) ** 2).mean())
        if mode == 'predict':
            return list(out.detach())
        return out


def make_data(rank, step):
    gen = torch.Generator().manual_seed(100 * step + rank)
    return dict(inputs=torch.randn(4, 3, generator=gen),
                data_samples=torch.randn(4, 1, generator=gen))


def make_model(with_unused=False):
    torch.manual_seed(0)
    return RegressionModel(with_unused)


# ---------------------------------------------------------------- the worker
def _worker() -> None:
    import torch.distributed as torch_dist

    from engine.logging import MMLogger
    from engine.model import MMFullyShardedDataParallel
    from engine.optim import OptimWrapper, OptimWrapperDict

    torch_dist.init_process_group('gloo', init_method='env://')
    rank = torch_dist.get_rank()
    report = {'rank': rank}

    # MMDistributedDataParallel: 5 steps on different data per rank
    model = make_model()
    ddp = MMDistributedDataParallel(module=model)
    optim_wrapper = OptimWrapper(torch.optim.SGD(ddp.parameters(), lr=LR))
    losses = []
    for step in range(STEPS):
        log_vars = ddp.train_step(make_data(rank, step), optim_wrapper)
        losses.append(float(log_vars['loss']))
    report['ddp_losses'] = losses
    report['ddp_weights'] = [p.detach().flatten().tolist() for p in model.parameters()]
    report['ddp_val'] = [t.tolist() for t in ddp.val_step(make_data(rank, 0))]
    report['ddp_test'] = [t.tolist() for t in ddp.test_step(make_data(rank, 0))]
    report['ddp_is_wrapper'] = is_model_wrapper(ddp)

    # gradient accumulation: optim_context enters DDP.no_sync on non-update passes
    model = make_model()
    ddp = MMDistributedDataParallel(module=model)
    accum = OptimWrapper(torch.optim.SGD(ddp.parameters(), lr=LR), accumulative_counts=2)
    for step in range(4):
        ddp.train_step(make_data(rank, step), accum)
    report['accum_weights'] = [p.detach().flatten().tolist() for p in model.parameters()]

    # detect_anomalous_params logs the unused layer
    log_file = f'anomalous_rank{rank}.log'
    logger = MMLogger.get_instance('wrappers_worker', log_file=log_file, distributed=True)
    ddp = MMDistributedDataParallel(module=make_model(with_unused=True),
                                    detect_anomalous_params=True, find_unused_parameters=True)
    ddp.train_step(make_data(rank, 0), OptimWrapper(torch.optim.SGD(ddp.parameters(), lr=LR)))
    for handler in logger.handlers:
        handler.flush()

    # MMSeparateDistributedDataParallel: a GAN-like model optimised part by part
    class TwoPart(BaseModel):
        def __init__(self):
            super().__init__()
            torch.manual_seed(1)
            self.generator = nn.Linear(3, 3)
            self.discriminator = nn.Linear(3, 1)
            self.frozen = nn.Linear(3, 3).requires_grad_(False)
            self.act = nn.ReLU()

        def forward(self, inputs, data_samples=None, mode='tensor'):
            return self.generator(inputs)

        def train_step(self, data, optim_wrapper):
            data = self.data_preprocessor(data, True)
            log_vars = {}
            for name in ('discriminator', 'generator'):
                wrapper = optim_wrapper[name]
                module = getattr(self, name)
                with wrapper.optim_context(module):
                    fake = self.generator(data['inputs'])
                    loss = {f'loss_{name[:3]}': self.discriminator(fake).pow(2).mean()}
                parsed, part = self.parse_losses(loss)
                wrapper.update_params(parsed)
                log_vars[f'loss_{name[:3]}'] = float(part[f'loss_{name[:3]}'])
            return log_vars

        def val_step(self, data):
            return ['val', rank]

        def test_step(self, data):
            return ['test', rank]

    gan = TwoPart()
    sep = MMSeparateDistributedDataParallel(module=gan)
    report['sep_children'] = {name: type(child).__name__
                              for name, child in gan.named_children()}
    wrappers = OptimWrapperDict(
        generator=OptimWrapper(torch.optim.SGD(gan.generator.parameters(), lr=LR)),
        discriminator=OptimWrapper(torch.optim.SGD(gan.discriminator.parameters(), lr=LR)))
    for step in range(STEPS):
        sep.train_step(make_data(rank, step), wrappers)
    report['sep_weights'] = [p.detach().flatten().tolist() for p in gan.parameters()]
    report['sep_val'] = sep.val_step({})
    report['sep_test'] = sep.test_step({})
    with sep.no_sync():
        report['sep_no_sync'] = [bool(getattr(child, 'require_backward_grad_sync', True))
                                 for child in gan.children()]
    report['sep_train_false'] = [sep.train(False) is sep, sep.training, gan.training,
                                 gan.generator.training]
    report['sep_is_wrapper'] = is_model_wrapper(sep)

    # MMFullyShardedDataParallel (CPU + gloo works in torch >= 2.x)
    try:
        model = make_model()
        fsdp = MMFullyShardedDataParallel(module=model, device_id=torch.device('cpu'))
        optim_wrapper = OptimWrapper(torch.optim.SGD(fsdp.parameters(), lr=LR))
        for step in range(STEPS):
            fsdp.train_step(make_data(rank, step), optim_wrapper)
        with MMFullyShardedDataParallel.summon_full_params(fsdp):
            report['fsdp_weights'] = [p.detach().flatten().tolist()
                                      for p in fsdp.module.parameters()]
        with torch.no_grad():
            report['fsdp_val'] = len(fsdp.val_step(make_data(rank, 0)))
            report['fsdp_test'] = len(fsdp.test_step(make_data(rank, 0)))
        report['fsdp_is_wrapper'] = is_model_wrapper(fsdp)
    except Exception as err:  # reported; the test skips with this reason
        report['fsdp_error'] = f'{type(err).__name__}: {err}'

    torch_dist.barrier()
    torch_dist.destroy_process_group()
    report_and_exit(report)


@pytest.fixture(scope='module')
def two_ranks(tmp_path_factory):
    workdir = tmp_path_factory.mktemp('model_wrappers')
    reports, _ = run_ranks(__file__, workdir, WORLD_SIZE, timeout=180)
    return workdir, reports


def _reference_weights(steps, accumulate=1):
    """Single-process SGD on both ranks' data: what synchronised DDP must reproduce."""
    model = make_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    for step in range(steps):
        batches = [make_data(rank, step) for rank in range(WORLD_SIZE)]
        inputs = torch.cat([b['inputs'] for b in batches])
        targets = torch.cat([b['data_samples'] for b in batches])
        # DDP averages the per-rank mean losses' gradients == the full-batch mean
        loss = ((model.linear(inputs) - targets) ** 2).mean() / accumulate
        loss.backward()
        if (step + 1) % accumulate == 0:
            optimizer.step()
            optimizer.zero_grad()
    return [p.detach().flatten().tolist() for p in model.parameters()]


def _close(a, b, tol=1e-5):
    return torch.allclose(torch.tensor(sum(a, [])), torch.tensor(sum(b, [])), atol=tol)


def test_ddp_replicas_identical_after_five_steps(two_ranks):
    _, (r0, r1) = two_ranks
    assert r0['ddp_weights'] == r1['ddp_weights']
    assert _close(r0['ddp_weights'], _reference_weights(STEPS))
    assert r0['ddp_losses'] != r1['ddp_losses']  # different data per rank
    assert r0['ddp_is_wrapper'] and r1['ddp_is_wrapper']


def test_ddp_val_and_test_step_delegate(two_ranks):
    _, (r0, r1) = two_ranks
    for report in (r0, r1):
        assert len(report['ddp_val']) == 4 and report['ddp_val'] == report['ddp_test']


def test_ddp_gradient_accumulation_syncs_on_update(two_ranks):
    _, (r0, r1) = two_ranks
    assert r0['accum_weights'] == r1['accum_weights']
    assert _close(r0['accum_weights'], _reference_weights(4, accumulate=2))


def test_ddp_detect_anomalous_params(two_ranks):
    workdir, _ = two_ranks
    text = (workdir / 'anomalous_rank0.log').read_text()
    assert 'module.unused.weight with shape torch.Size([1, 3]) is not in the computational ' \
           'graph' in text
    assert 'module.linear.weight with shape' not in text


def test_separate_ddp(two_ranks):
    _, (r0, r1) = two_ranks
    assert r0['sep_children'] == {
        'data_preprocessor': 'BaseDataPreprocessor',
        'generator': 'MMDistributedDataParallel',
        'discriminator': 'MMDistributedDataParallel',
        'frozen': 'Linear', 'act': 'ReLU'}
    assert r0['sep_weights'] == r1['sep_weights']
    assert r0['sep_val'] == ['val', 0] and r1['sep_test'] == ['test', 1]
    # children wrapped in DDP have gradient sync switched off inside no_sync()
    assert r0['sep_no_sync'] == [True, False, False, True, True]
    assert r0['sep_train_false'] == [True, False, False, False]
    assert r0['sep_is_wrapper']


def test_fsdp_train_step(two_ranks):
    _, (r0, r1) = two_ranks
    if 'fsdp_error' in r0:
        pytest.skip(f'FSDP does not run on CPU/gloo with this torch: {r0["fsdp_error"]}')
    assert r0['fsdp_weights'] == r1['fsdp_weights']
    assert _close(r0['fsdp_weights'], _reference_weights(STEPS))
    assert r0['fsdp_val'] == r0['fsdp_test'] == 4
    assert r0['fsdp_is_wrapper']


# ------------------------------------------------------- single-process parts
def test_registry_contents():
    from torch.nn.parallel import DataParallel, DistributedDataParallel
    for name, cls in (('DistributedDataParallel', DistributedDataParallel),
                      ('DataParallel', DataParallel),
                      ('MMDistributedDataParallel', MMDistributedDataParallel),
                      ('MMSeparateDistributedDataParallel', MMSeparateDistributedDataParallel)):
        assert MODEL_WRAPPERS.get(name) is cls
    assert 'MMFullyShardedDataParallel' in MODEL_WRAPPERS


def test_is_model_wrapper_walks_child_registries():
    assert not is_model_wrapper(nn.Linear(1, 1))
    assert is_model_wrapper(nn.DataParallel(nn.Linear(1, 1)))
    child = Registry('model_wrapper', parent=MODEL_WRAPPERS, scope='test_model_wrappers_a')
    Registry('model_wrapper', parent=MODEL_WRAPPERS, scope='test_model_wrappers_b')
    grandchild = Registry('model_wrapper', parent=child, scope='test_model_wrappers_c')

    class CustomWrapper(nn.Module):
        def __init__(self, module):
            super().__init__()
            self.module = module

    @grandchild.register_module()
    class DeepWrapper(CustomWrapper):
        pass

    assert not is_model_wrapper(CustomWrapper(nn.Linear(1, 1)))
    assert is_model_wrapper(DeepWrapper(nn.Linear(1, 1)))
    child.register_module(module=CustomWrapper)
    assert is_model_wrapper(CustomWrapper(nn.Linear(1, 1)))
    assert not is_model_wrapper(DeepWrapper(nn.Linear(1, 1)), registry=Registry('empty'))


def test_fsdp_argument_normalisation():
    from torch.distributed.fsdp import BackwardPrefetch, CPUOffload

    from engine.model import FSDP_WRAP_POLICIES, MMFullyShardedDataParallel
    from engine.model.wrappers import fully_sharded_distributed as fsdp_module

    assert MODEL_WRAPPERS.get('MMFullyShardedDataParallel') is MMFullyShardedDataParallel
    assert fsdp_module._cpu_offload(True) == CPUOffload(offload_params=True)
    offload = CPUOffload(offload_params=False)
    assert fsdp_module._cpu_offload(offload) is offload
    with pytest.raises(TypeError, match='`cpu_offload` should be'):
        fsdp_module._cpu_offload('yes')

    assert fsdp_module._backward_prefetch('pre') is BackwardPrefetch.BACKWARD_PRE
    assert fsdp_module._backward_prefetch('post') is BackwardPrefetch.BACKWARD_POST
    with pytest.raises(AssertionError):
        fsdp_module._backward_prefetch('middle')
    with pytest.raises(TypeError):
        fsdp_module._backward_prefetch(1)

    @FSDP_WRAP_POLICIES.register_module(name='test_model_policy', force=True)
    def policy(*args, **kwargs):
        return False

    assert fsdp_module._wrap_policy('test_model_policy') is policy
    assert fsdp_module._wrap_policy(policy) is policy
    assert 'size_based_auto_wrap_policy' in FSDP_WRAP_POLICIES
    with pytest.raises(AssertionError, match='`FSDP_WRAP_POLICIES` has no function nope'):
        fsdp_module._wrap_policy('nope')
    with pytest.raises(TypeError):
        fsdp_module._wrap_policy(3)
    with pytest.raises(TypeError, match='list tuple or dict'):
        fsdp_module._run_forward(nn.Linear(1, 1), torch.ones(1), 'loss')


def test_ddp_needs_process_group():
    with pytest.raises((RuntimeError, ValueError)):
        MMDistributedDataParallel(module=make_model())


if __name__ == '__main__':
    _worker()
