"""Benchmark: Visualizer drawing vs. one matplotlib artist per shape (the naive baseline).

Workload (per iteration): set_image on a 640x480 RGB image, 100 boxes, 100 text
labels, get_image. Run: ``hatch run python tools/bench/vis_draw.py``.
Prints the best milliseconds per iteration (new label strings each run) and the speed-up ratio.
"""

from __future__ import annotations

import time
import warnings

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

from engine.visualization import Visualizer  # noqa: E402

H, W, N = 480, 640, 100
LABEL_BOX = dict(facecolor="black", alpha=0.8, pad=0.7, edgecolor="none")


def make_inputs(seed: int = 0):
    """Image, boxes (fixed) and labels whose scores depend on ``seed``."""
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (H, W, 3), dtype=np.uint8)
    xy = rng.uniform(0, [W - 120, H - 120], (N, 2))
    wh = rng.uniform(10, 120, (N, 2))
    boxes = np.concatenate([xy, xy + wh], axis=1)
    scores = np.random.default_rng(seed).uniform(size=N)
    labels = [f"class{i % 20} {score:.3f}" for i, score in enumerate(scores)]
    return image, boxes, labels


class NaiveDrawer:
    """mmengine-style drawing: an Axes with imshow, one Rectangle and one Text per item."""

    def __init__(self) -> None:
        self.fig = Figure(frameon=False)
        self.canvas = FigureCanvasAgg(self.fig)
        self.ax = self.fig.add_subplot()
        self.fig.subplots_adjust(left=0, right=1, bottom=0, top=1)
        self.dpi = self.fig.get_dpi()

    def run(self, image, boxes, labels, label_box=None) -> np.ndarray:
        h, w = image.shape[:2]
        self.fig.set_size_inches((w + 1e-2) / self.dpi, (h + 1e-2) / self.dpi)
        self.ax.cla()
        self.ax.axis(False)
        self.ax.imshow(image, extent=(0, w, h, 0), interpolation="none")
        for x1, y1, x2, y2 in boxes:
            self.ax.add_patch(Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False,
                                        edgecolor="g", linewidth=2, alpha=0.8))
        for (x1, y1, _, _), text in zip(boxes, labels):
            self.ax.text(x1, y1, text, size=10, color="w" if label_box else "r",
                         verticalalignment="top", horizontalalignment="left",
                         family="sans-serif", bbox=label_box)
        buffer, (bw, bh) = self.canvas.print_to_buffer()
        return np.frombuffer(buffer, np.uint8).reshape(bh, bw, 4)[..., :3].copy()


def run_visualizer(vis, image, boxes, labels, label_box=None) -> np.ndarray:
    vis.set_image(image)
    vis.draw_bboxes(boxes, edge_colors="g", line_widths=2)
    vis.draw_texts(labels, boxes[:, :2], font_sizes=10, colors="w" if label_box else "r",
                   bboxes=label_box)
    return vis.get_image()


def timed(fn, label_sets, repeat: int) -> float:
    """Best time of ``repeat`` runs, each with new label strings (scores change per image)."""
    fn(label_sets[0])  # warm-up: fonts and glyphs are cached from here on
    samples = []
    for i in range(repeat):
        labels = label_sets[1 + i % (len(label_sets) - 1)]
        start = time.perf_counter()
        fn(labels)
        samples.append(time.perf_counter() - start)
    return min(samples) * 1000  # the least disturbed run: the machine may be shared


def main(repeat: int = 30) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        vis = Visualizer(name="bench")
    naive = NaiveDrawer()
    image, boxes, labels = make_inputs()
    label_sets = [make_inputs(seed)[2] for seed in range(2 * repeat + 2)]
    print(f"640x480 image, {N} boxes + {N} labels, best of {repeat} runs")
    for k, (title, box) in enumerate((("plain labels", None),
                                      ("labels on boxes (mmdet style)", LABEL_BOX))):
        sets = label_sets[k * (repeat + 1):(k + 1) * (repeat + 1)]
        t_naive = timed(lambda lab, b=box: naive.run(image, boxes, lab, b), sets, repeat)
        t_fast = timed(lambda lab, b=box: run_visualizer(vis, image, boxes, lab, b), sets,
                       repeat)
        a = naive.run(image, boxes, labels, box).astype(np.int16)
        b = run_visualizer(vis, image, boxes, labels, box).astype(np.int16)
        diff = np.abs(a - b).mean()
        print(f"{title:32s} naive {t_naive:7.2f} ms | Visualizer {t_fast:6.2f} ms | "
              f"speed-up x{t_naive / t_fast:5.1f} | mean |pixel diff| {diff:.2f}")


if __name__ == "__main__":
    main()
