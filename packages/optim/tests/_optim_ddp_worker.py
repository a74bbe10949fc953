"""One rank of the DDP accumulation check (run as a script by test_optim_ddp.py).

Two gloo ranks train a DDP-wrapped Linear with accumulative_counts=2 over 5
iterations (so the last one is a forced tail update). Each rank asserts:
gradients are all-reduced exactly on the iterations that update (no_sync on the
others), and the final weights equal a single-process run on the full batch.
"""

import os
import sys
import traceback

import torch
import torch.distributed as torch_dist
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel

from engine.dist import get_rank, get_world_size
from engine.optim import AmpOptimWrapper, OptimWrapper

ITERS, ACCUMULATE, PER_RANK = 5, 2, 4


def data():
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(ITERS, 2 * PER_RANK, 3, generator=gen)
    return x, x.sum(dim=-1, keepdim=True) * 0.5


def fresh_model():
    torch.manual_seed(0)
    return nn.Linear(3, 1)


def gathered(t):
    parts = [torch.empty_like(t) for _ in range(get_world_size())]
    torch_dist.all_gather(parts, t.contiguous())
    return parts


def check_ddp_training(rank):
    x, y = data()
    model = DistributedDataParallel(fresh_model())
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9),
                           accumulative_counts=ACCUMULATE)
    wrapper.initialize_count_status(model, 0, ITERS)
    synced = []
    for i in range(ITERS):
        xs = x[i, rank * PER_RANK:(rank + 1) * PER_RANK]
        ys = y[i, rank * PER_RANK:(rank + 1) * PER_RANK]
        with wrapper.optim_context(model):
            loss = nn.functional.mse_loss(model(xs), ys)
        wrapper.backward(wrapper.scale_loss(loss))
        grads = gathered(model.module.weight.grad)
        synced.append(bool(torch.allclose(grads[0], grads[1])))
        if wrapper.should_update():
            wrapper.step()
            wrapper.zero_grad()
    # iterations 2 and 4 end a window, 5 is the forced tail update
    assert synced == [False, True, False, True, True], synced

    reference = fresh_model()
    ref_wrapper = OptimWrapper(torch.optim.SGD(reference.parameters(), lr=0.1, momentum=0.9),
                               accumulative_counts=ACCUMULATE)
    ref_wrapper.initialize_count_status(reference, 0, ITERS)
    for i in range(ITERS):
        ref_wrapper.update_params(nn.functional.mse_loss(reference(x[i]), y[i]))
    for got, want in zip(model.module.parameters(), reference.parameters()):
        assert torch.allclose(got, want, atol=1e-6), (got, want)
        other = gathered(got.detach())
        assert torch.equal(other[0], other[1])


def check_amp_context_on_ddp(rank):
    model = DistributedDataParallel(fresh_model())
    wrapper = AmpOptimWrapper(optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
                              accumulative_counts=2, dtype='bfloat16')
    xs = torch.full((2, 3), float(rank + 1))
    with wrapper.optim_context(model):
        out = model(xs)
    assert out.dtype is torch.bfloat16, out.dtype
    wrapper.update_params(out.float().sum())
    grads = gathered(model.module.weight.grad)
    assert not torch.allclose(grads[0], grads[1]), 'no_sync was not used under AMP'


def main():
    torch_dist.init_process_group('gloo', init_method='env://')
    rank = get_rank()
    assert get_world_size() == 2
    check_ddp_training(rank)
    check_amp_context_on_ddp(rank)
    torch_dist.barrier()
    torch_dist.destroy_process_group()
    print(f'rank {rank} ok')


if __name__ == '__main__':
    try:
        main()
    except BaseException:
        traceback.print_exc()
        sys.exit(1)
    # End at once: the report above is all the test reads, and torch objects that still
    # hold the gloo group (the DDP reducers) can abort the interpreter's teardown
    # ("terminate called without an active exception") after a good run.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
