"""LocalVisBackend: files on disk, read back; lazy initialisation."""

import json

import numpy as np
import pytest
import torch
from PIL import Image

from engine.config import Config
from engine.visualization import LocalVisBackend, Visualizer
from engine.visualization.vis_backend import force_init_env


def read_png(path):
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def test_visualizer_local_storage_layout(tmp_path):
    img = np.random.RandomState(1).randint(0, 256, (12, 16, 3)).astype(np.uint8)
    save_dir = tmp_path / "temp_dir"
    vis = Visualizer(image=img, vis_backends=[dict(type="LocalVisBackend")],
                     save_dir=str(save_dir))
    assert not (save_dir / "vis_data").exists()  # lazy
    for step in (0, 1, 3):
        vis.add_image("demo", vis.get_image(), step=step)
    for step in (0, 1, 3):
        png = read_png(save_dir / "vis_data" / "vis_image" / f"demo_{step}.png")
        assert png.shape == (12, 16, 3)
        np.testing.assert_array_equal(png, img)  # RGB on disk, exact
    vis.add_scalar("loss", 0.2, step=0)
    vis.add_scalar("loss", 0.1, step=1)
    vis.add_scalar("acc", 0.7, step=0)
    vis.add_scalar("acc", 0.8, step=1)
    vis.add_scalars({"loss": 0.3, "acc": 0.8}, step=3)
    text = (save_dir / "vis_data" / "scalars.json").read_text()
    assert text == ('{"loss": 0.2, "step": 0}\n{"loss": 0.1, "step": 1}\n'
                    '{"acc": 0.7, "step": 0}\n{"acc": 0.8, "step": 1}\n'
                    '{"loss": 0.3, "acc": 0.8, "step": 3}\n')
    vis.add_config(Config(dict(a=1, b=dict(b1=[0, 1]))))
    config_file = save_dir / "vis_data" / "config.py"
    assert Config.fromfile(str(config_file)).b.b1 == [0, 1]
    assert isinstance(vis.get_backend("LocalVisBackend"), LocalVisBackend)
    assert vis.get_backend("nope") is None
    leftovers = [p.name for p in (save_dir / "vis_data").rglob("*") if ".tmp" in p.name]
    assert leftovers == []


def test_local_backend_directly(tmp_path):
    with pytest.raises(AssertionError, match=r"\.py"):
        LocalVisBackend(str(tmp_path), config_save_file="a.txt")
    with pytest.raises(AssertionError, match=r"\.json"):
        LocalVisBackend(str(tmp_path), scalar_save_file="a.yaml")
    backend = LocalVisBackend(str(tmp_path / "d"))
    assert not (tmp_path / "d").exists()
    assert backend.experiment is backend
    assert (tmp_path / "d").is_dir()
    with pytest.raises(AssertionError, match="uint8"):
        backend.add_image("img", np.random.randint(0, 256, (10, 10, 3)))
    backend.add_image("img", np.random.randint(0, 256, (10, 10, 3)).astype(np.uint8))
    assert read_png(tmp_path / "d" / "vis_image" / "img_0.png").shape == (10, 10, 3)

    backend.add_scalar("map", 1, step=0)
    backend.add_scalar("map", 0.95, step=1)
    backend.add_scalar("map", np.array(0.9), step=2)
    backend.add_scalar("map", torch.tensor(0.5), step=3)
    backend.add_scalar("map", np.float32(0.25), step=4)
    assert (tmp_path / "d" / "scalars.json").read_text() == (
        '{"map": 1, "step": 0}\n{"map": 0.95, "step": 1}\n{"map": 0.9, "step": 2}\n'
        '{"map": 0.5, "step": 3}\n{"map": 0.25, "step": 4}\n')

    d = {"map": 0.7, "acc": 0.9}
    backend.add_scalars(d)
    assert d == {"map": 0.7, "acc": 0.9}
    backend.add_scalars(d, file_path="temp.json")
    backend.add_scalars({"map": 0.1, "step": 7}, step=2)  # a step key wins
    lines = [json.loads(line) for line in
             (tmp_path / "d" / "scalars.json").read_text().splitlines()]
    assert lines[-3:] == [{"map": 0.7, "acc": 0.9, "step": 0}] * 2 + [{"map": 0.1, "step": 7}]
    assert json.loads((tmp_path / "d" / "temp.json").read_text()) == {
        "map": 0.7, "acc": 0.9, "step": 0}
    with pytest.raises(AssertionError):
        backend.add_scalars(d, file_path="scalars.json")
    with pytest.raises(AssertionError):
        backend.add_scalars(d, file_path="temp.yaml")
    with pytest.raises(AssertionError):
        backend.add_scalars([1, 2])
    before = (tmp_path / "d" / "scalars.json").read_text()
    with pytest.raises(TypeError, match="object"):  # not a number: no line at all
        backend.add_scalars({"map": 0.5, "bad": object()})
    assert (tmp_path / "d" / "scalars.json").read_text() == before
    backend.add_scalars({"n": np.int64(3), "x": np.float32(0.5), "t": torch.tensor(2)}, step=9)
    assert json.loads((tmp_path / "d" / "scalars.json").read_text().splitlines()[-1]) == {
        "n": 3, "x": 0.5, "t": 2, "step": 9}
    with pytest.raises(AssertionError, match="Config"):
        backend.add_config(dict(a=1))


def test_force_init_env_runs_once_and_needs_init_env(tmp_path):
    class NoInit:
        @force_init_env
        def add(self):
            return 1

    with pytest.raises(AttributeError, match="does not have _init_env method"):
        NoInit().add()

    class Counting(LocalVisBackend):
        count = 0

        def _init_env(self):
            Counting.count += 1
            super()._init_env()

    backend = Counting(str(tmp_path))
    assert backend._env_initialized is False
    backend.add_scalar("a", 1)
    backend.add_scalars({"b": 2})
    backend.add_image("c", np.zeros((2, 2, 3), np.uint8))
    assert Counting.count == 1 and backend._env_initialized is True


def _open_paths():
    import os
    fd_dir = "/proc/self/fd"
    paths = set()
    for fd in os.listdir(fd_dir):
        try:
            paths.add(os.readlink(f"{fd_dir}/{fd}"))
        except OSError:
            pass
    return paths


@pytest.mark.skipif(not __import__("os").path.isdir("/proc/self/fd"), reason="needs /proc")
def test_scalar_lines_reach_the_file_at_once_and_close_releases_it(tmp_path):
    def read_lines(path):
        with open(path) as f:
            return [json.loads(line) for line in f]

    backend = LocalVisBackend(str(tmp_path))
    scalar_file = str(tmp_path / "scalars.json")
    backend.add_scalars({"loss": 1.0}, step=1)
    # no flush, no close: the line is already in the file (nothing buffered in-process)
    assert read_lines(scalar_file) == [{"loss": 1.0, "step": 1}]
    other = LocalVisBackend(str(tmp_path))  # a second writer of the same file
    other.add_scalars({"loss": 3.0}, step=2)
    backend.add_scalar("acc", 0.5, step=3)
    assert read_lines(scalar_file) == [
        {"loss": 1.0, "step": 1}, {"loss": 3.0, "step": 2}, {"acc": 0.5, "step": 3}]
    assert scalar_file in _open_paths()
    backend.close()
    other.close()
    assert scalar_file not in _open_paths()
    backend.add_scalars({"loss": 2.0}, step=4)  # usable after close: the file reopens
    backend.close()
    assert read_lines(scalar_file)[-1] == {"loss": 2.0, "step": 4}
