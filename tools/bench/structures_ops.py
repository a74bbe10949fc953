"""Benchmark InstanceData hot paths against a plain dict of tensors.

Detection pipelines build an InstanceData per image, filter it with a boolean
score mask and concatenate per-level results. Each operation runs side by side
with the same work on ``dict[str, Tensor]``; absolute times and ratios are printed.

    hatch run python tools/bench/structures_ops.py [--repeat N]
"""

from __future__ import annotations

import argparse
import timeit

import torch

from engine.structures import InstanceData

N = 100
META = dict(img_id=3, img_shape=(800, 1196, 3), pad_shape=(800, 1216, 3), scale_factor=(1.5, 1.5))


def make_fields() -> dict:
    torch.manual_seed(0)
    return dict(
        bboxes=torch.rand(N, 4),
        scores=torch.rand(N),
        labels=torch.randint(0, 80, (N,)),
    )


def best_times(fns, number: int, repeat: int) -> list:
    """Best per-call time (s) of each fn; runs are interleaved so load hits all alike."""
    timers = [timeit.Timer(fn) for fn in fns]
    best = [float('inf')] * len(fns)
    for _ in range(repeat):
        for i, timer in enumerate(timers):
            best[i] = min(best[i], timer.timeit(number) / number)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--repeat', type=int, default=200)
    args = parser.parse_args()
    torch.set_num_threads(1)

    fields = make_fields()
    bboxes, scores, labels = fields['bboxes'], fields['scores'], fields['labels']
    inst = InstanceData(metainfo=META, **fields)
    plain = dict(fields)
    mask = scores > 0.5
    insts = [InstanceData(metainfo=META, **make_fields()) for _ in range(8)]
    dicts = [dict(make_fields()) for _ in range(8)]

    class Bare:  # machine-speed reference: a constructor that does nothing
        def __init__(self, *, metainfo=None, **kwargs):
            pass

    cases = {
        'build': (
            lambda: InstanceData(metainfo=META, bboxes=bboxes, scores=scores, labels=labels),
            lambda: {'metainfo': dict(META), 'bboxes': bboxes, 'scores': scores,
                     'labels': labels},
            200,
        ),
        'bool-mask index': (
            lambda: inst[mask],
            lambda: {k: v[mask] for k, v in plain.items()},
            20,
        ),
        'cat of 8': (
            lambda: InstanceData.cat(insts),
            lambda: {k: torch.cat([d[k] for d in dicts]) for k in dicts[0]},
            20,
        ),
    }
    (t_bare,) = best_times([lambda: Bare(metainfo=META, bboxes=bboxes, scores=scores,
                                         labels=labels)], 200, args.repeat)
    print(f'InstanceData vs dict of tensors ({N} instances, 3 fields, metainfo of '
          f'{len(META)} keys), best of {args.repeat}')
    print(f'{"operation":<18}{"InstanceData":>14}{"dict":>12}{"ratio":>9}')
    for name, (ours, baseline, number) in cases.items():
        t_ours, t_base = best_times([ours, baseline], number, args.repeat)
        print(f'{name:<18}{t_ours * 1e6:>11.2f} us{t_base * 1e6:>9.2f} us'
              f'{t_ours / t_base:>8.2f}x')
    print(f'(calibration: calling an empty keyword-only constructor takes {t_bare * 1e6:.2f} us '
          'on this machine)')


if __name__ == '__main__':
    main()
