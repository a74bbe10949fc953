"""Benchmark: Visualizer drawing vs. one matplotlib artist per shape (the naive baseline).

Workload (per iteration): set_image on a 640x480 RGB image, 100 boxes, 100 text
labels, get_image. Run: ``hatch run python tools/bench/vis_draw.py``.
Prints median milliseconds per iteration and the speed-up ratio.
"""

from __future__ import annotations

import statistics
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
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 256, (H, W, 3), dtype=np.uint8)
    xy = rng.uniform(0, [W - 120, H - 120], (N, 2))
    wh = rng.uniform(10, 120, (N, 2))
    boxes = np.concatenate([xy, xy + wh], axis=1)
    labels = [f"class{i % 20} {rng.uniform():.2f}" for i in range(N)]
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


def timed(fn, repeat: int) -> float:
    fn()  # warm-up (font and glyph caches)
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def main(repeat: int = 30) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        vis = Visualizer(name="bench")
    naive = NaiveDrawer()
    image, boxes, labels = make_inputs()
    print(f"640x480 image, {N} boxes + {N} labels, median of {repeat} runs")
    for title, box in (("plain labels", None), ("labels on boxes (mmdet style)", LABEL_BOX)):
        t_naive = timed(lambda b=box: naive.run(image, boxes, labels, b), repeat)
        t_fast = timed(lambda b=box: run_visualizer(vis, image, boxes, labels, b), repeat)
        a = naive.run(image, boxes, labels, box).astype(np.int16)
        b = run_visualizer(vis, image, boxes, labels, box).astype(np.int16)
        diff = np.abs(a - b).mean()
        print(f"{title:32s} naive {t_naive:7.2f} ms | Visualizer {t_fast:6.2f} ms | "
              f"speed-up x{t_naive / t_fast:5.1f} | mean |pixel diff| {diff:.2f}")


if __name__ == "__main__":
    main()
