"""The engine demo: train a small CNN on scikit-learn's handwritten digits.

    hatch run demo                  # 10 epochs, about 30 s on 2 CPU cores
    hatch run demo --epochs 2       # a quick look
    python examples/digits/train.py --work-dir /tmp/digits

It builds a Runner from config.py, trains with validation after each epoch,
draws the loss/accuracy curves with the code behind ``engine plot`` and prints
where the logs, checkpoints, scalars and plot went.
"""

from __future__ import annotations

import argparse
import os.path as osp
import sys
import time

HERE = osp.dirname(osp.abspath(__file__))


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--epochs', type=int, default=None,
                        help='train this many epochs instead of the config\'s 10')
    parser.add_argument('--work-dir', default=None,
                        help='where logs and checkpoints go (default: ./work_dirs/digits)')
    parser.add_argument('--threads', type=int, default=1,
                        help='torch CPU threads (default 1: the convolutions are so small '
                             'that more threads mostly add synchronisation)')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    if HERE not in sys.path:  # the config's custom_imports name modules in this folder
        sys.path.insert(0, HERE)

    import torch

    from engine.cli.plot import plot_curves
    from engine.config import Config
    from engine.runner import Runner

    torch.set_num_threads(args.threads)
    cfg = Config.fromfile(osp.join(HERE, 'config.py'))
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    if args.epochs is not None:
        if args.epochs < 1:
            raise SystemExit(f'--epochs must be at least 1, got {args.epochs}')
        cfg.train_cfg.max_epochs = args.epochs
        cfg.param_scheduler.T_max = args.epochs  # the cosine reaches its floor at the end
    cfg.log_level = 'WARNING'  # keep the demo's output to the summary; the log file has it all

    runner = Runner.from_cfg(cfg)
    print(f'Training DigitsCNN on {len(runner.train_dataloader.dataset)} digit images for '
          f'{cfg.train_cfg.max_epochs} epochs, validating on '
          f'{len(runner.val_dataloader.dataset)} ...', flush=True)
    runner.train()

    accuracies = runner.message_hub.get_scalar('val/accuracy').data[0]
    work_dir = osp.abspath(runner.work_dir)
    vis_dir = osp.join(runner.log_dir, 'vis_data')
    scalars = osp.join(vis_dir, 'scalars.json')
    curves = plot_curves([scalars], out=osp.join(runner.log_dir, 'curves.png'),
                         keys=['loss', 'lr', 'accuracy'], title='digits demo')
    best = runner.message_hub.get_info('best_ckpt')
    last = osp.join(work_dir, f'epoch_{runner.epoch}.pth')

    print(f'Done in {time.perf_counter() - started:.0f} s.')
    print(f'val accuracy: {accuracies[-1]:.4f} (best {max(accuracies):.4f}, '
          f'epoch {int(accuracies.argmax()) + 1})')
    print('Outputs:')
    print(f'  log:         {osp.join(runner.log_dir, runner.timestamp + ".log")}')
    print(f'  checkpoints: {work_dir}')
    if best:
        print(f'  best:        {best}')
    if osp.isfile(last):
        print(f'  last:        {last}')
    print(f'  scalars:     {scalars}')
    print(f'  tensorboard: {vis_dir}')
    print(f'  plot:        {osp.abspath(curves)}')
    print('Next:')
    print(f'  engine test examples/digits/config.py {best or last}')
    print(f'  engine plot {work_dir} --out curves.png')
    print(f'  tensorboard --logdir {vis_dir}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
