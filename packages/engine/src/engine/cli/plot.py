"""Plot loss and metric curves from ``vis_data/scalars.json`` files as a PNG.

Each SOURCE is a scalars.json file (JSON lines with a ``step``) or a work
directory, searched for ``<run>/vis_data/scalars.json``. Every run found is
drawn as its own line, so several runs overlay for comparison; each key gets
its own panel.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import os.path as osp
import tempfile
from typing import Iterable, Sequence

from .errors import CLIError

HELP = 'plot loss/metric curves of one or more runs as a PNG'

# Bookkeeping values every training line carries; not worth a panel by default.
SKIPPED_KEYS = frozenset({'step', 'epoch', 'iter', 'time', 'data_time', 'memory', 'eta'})
DPI = 100


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('sources', nargs='+', metavar='WORK_DIR_OR_SCALARS_JSON',
                        help='work directories or scalars.json files; several runs overlay')
    parser.add_argument('--keys', nargs='+', metavar='KEY',
                        help='keys to plot (default: every numeric key but step, time, '
                             'data_time, memory)')
    parser.add_argument('--out', default='curves.png', help='PNG to write (default: curves.png)')
    parser.add_argument('--size', default=None, metavar='WxH', type=_parse_size,
                        help='image size in pixels, e.g. 1200x800 '
                             '(default: 900 wide, 260 per key high)')
    parser.add_argument('--title', default=None, help='figure title')


def _parse_size(text: str) -> tuple:
    try:
        width, height = (int(part) for part in text.lower().split('x'))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f'expected WIDTHxHEIGHT in pixels like 800x600, got {text!r}') from None
    if width < 50 or height < 50:
        raise argparse.ArgumentTypeError(f'image size {text!r} is too small (min 50x50)')
    return width, height


def find_scalar_files(source: str) -> list:
    """``[(label, path), ...]`` of the scalars.json files ``source`` names, oldest run first."""
    if osp.isfile(source):
        return [(source, source)]
    if not osp.isdir(source):
        raise CLIError(f'no such file or directory: {source}')
    direct = osp.join(source, 'vis_data', 'scalars.json')
    if osp.isfile(direct):
        return [(source, direct)]
    found = sorted(glob.glob(osp.join(glob.escape(source), '**', 'vis_data', 'scalars.json'),
                             recursive=True))
    if not found:
        raise CLIError(f'no vis_data/scalars.json under {source}: was it trained with a '
                       f'LocalVisBackend?')
    if len(found) == 1:
        return [(source, found[0])]
    # label each run by its folder (the runner's timestamp) under the source
    return [(osp.relpath(osp.dirname(osp.dirname(path)), osp.dirname(source.rstrip('/')) or '.'),
             path) for path in found]


def read_scalars(path: str) -> list:
    """The records of a scalars.json file (one JSON object per line)."""
    records = []
    with open(path, encoding='utf-8') as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise CLIError(f'{path}:{number}: not a JSON line ({err.msg})') from None
            if not isinstance(record, dict) or 'step' not in record:
                raise CLIError(f'{path}:{number}: expected a JSON object with a "step"')
            records.append(record)
    return records


def _numeric_keys(records: Iterable[dict]) -> list:
    keys: dict = {}
    for record in records:
        for key, value in record.items():
            if key not in SKIPPED_KEYS and isinstance(value, (int, float)) \
                    and not isinstance(value, bool):
                keys.setdefault(key, None)
    return list(keys)


def _x_label(key: str, runs: list) -> str:
    """'epoch' for values logged per epoch of an epoch-based run (validation metrics), else 'step'.

    Training lines of an epoch-based run carry an ``epoch`` field and count
    ``step`` in iterations; the validation lines have no ``epoch`` and count
    ``step`` in epochs.
    """
    for _, records in runs:
        with_key = [r for r in records if key in r]
        if with_key and all('epoch' not in r for r in with_key) \
                and any('epoch' in r for r in records):
            return 'epoch'
    return 'step'


def plot_curves(sources: Sequence[str], out: str = 'curves.png', keys: Sequence[str] | None = None,
                size: tuple | None = None, title: str | None = None) -> str:
    """Draw every run under ``sources`` into one PNG at ``out``; return ``out``.

    Uses matplotlib's Agg canvas directly, so pyplot's global backend is left
    alone. The file is written to a temp file next to ``out``, then renamed.
    """
    runs = [(label, read_scalars(path)) for source in sources
            for label, path in find_scalar_files(source)]
    available = _numeric_keys(r for _, records in runs for r in records)
    if keys:
        missing = [key for key in keys if key not in available]
        if missing:
            raise CLIError(f'no values for {", ".join(missing)} in {", ".join(sources)}; '
                           f'available keys: {", ".join(available) or "none"}')
        keys = list(keys)
    else:
        keys = available
        if not keys:
            raise CLIError(f'nothing to plot: no numeric values in {", ".join(sources)}')

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    width, height = size or (900, max(320, 260 * len(keys)))
    figure = Figure(figsize=(width / DPI, height / DPI), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.subplots(len(keys), 1, squeeze=False)[:, 0]
    for ax, key in zip(axes, keys):
        ax.set_xlabel(_x_label(key, runs))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        for label, records in runs:
            points = [(r['step'], r[key]) for r in records if isinstance(r.get(key), (int, float))]
            if not points:
                continue
            steps, values = zip(*points)
            ax.plot(steps, values, label=label, marker='o' if len(points) <= 30 else None,
                    markersize=3, linewidth=1.2)
        ax.set_ylabel(key)
        ax.grid(True, alpha=0.3)
        if len(runs) > 1:
            ax.legend(fontsize='small')
    if title:
        figure.suptitle(title)
    figure.tight_layout()

    folder = osp.dirname(osp.abspath(out))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, suffix='.png.tmp')
    try:
        with os.fdopen(fd, 'wb') as f:
            figure.savefig(f, format='png', dpi=DPI)
        os.replace(tmp, out)
    except BaseException:
        os.unlink(tmp)
        raise
    return out


def run(args: argparse.Namespace) -> int:
    out = plot_curves(args.sources, out=args.out, keys=args.keys, size=args.size,
                      title=args.title)
    print(f'curves written to {out}')
    return 0
