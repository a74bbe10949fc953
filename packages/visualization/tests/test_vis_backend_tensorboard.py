"""TensorboardVisBackend: real event files, read back with TensorBoard's EventAccumulator."""

import glob
import os

import numpy as np
import pytest
import torch

pytest.importorskip("tensorboard")
from tensorboard.backend.event_processing.event_accumulator import (  # noqa: E402
    EventAccumulator,
)

from engine.config import Config  # noqa: E402
from engine.visualization import TensorboardVisBackend, Visualizer  # noqa: E402


def test_tensorboard_event_files_read_back(tmp_path, recwarn):
    save_dir = tmp_path / "temp_dir"
    vis = Visualizer(vis_backends=[dict(type="TensorboardVisBackend")], save_dir=str(save_dir))
    backend = vis.get_backend("TensorboardVisBackend")
    assert not save_dir.exists()  # lazy: nothing until first use
    vis.add_scalar("loss", 0.5, step=0)
    vis.add_scalar("loss", torch.tensor(0.25), step=1)
    vis.add_scalar("loss", np.float32(0.125), step=2)
    vis.add_scalars({"acc": 0.7, "map": np.array(0.9)}, step=3)
    image = np.zeros((6, 8, 3), np.uint8)
    image[:, :4] = (255, 0, 0)
    vis.add_image("demo", image, step=4)
    vis.add_config(Config(dict(lr=0.1)))
    assert not [w for w in recwarn if issubclass(w.category, UserWarning)]
    assert backend.experiment is backend._tensorboard
    vis.close()

    files = glob.glob(os.path.join(save_dir, "vis_data", "events.out.tfevents.*"))
    assert len(files) == 1
    acc = EventAccumulator(str(save_dir / "vis_data"), size_guidance={"tensors": 0})
    acc.Reload()
    loss = acc.Scalars("loss")
    assert [e.step for e in loss] == [0, 1, 2]
    assert [round(e.value, 4) for e in loss] == [0.5, 0.25, 0.125]
    assert [(e.step, round(e.value, 4)) for e in acc.Scalars("acc")] == [(3, 0.7)]
    assert [(e.step, round(e.value, 4)) for e in acc.Scalars("map")] == [(3, 0.9)]
    images = acc.Images("demo")
    assert len(images) == 1 and images[0].step == 4
    assert (images[0].width, images[0].height) == (8, 6)
    texts = acc.Tensors("config/text_summary")
    assert b"lr" in texts[0].tensor_proto.string_val[0]


def test_tensorboard_checks(tmp_path):
    backend = TensorboardVisBackend(str(tmp_path / "tb"))
    assert not (tmp_path / "tb").exists()
    with pytest.warns(UserWarning, match="skip it"):
        backend.add_scalar("map", [0.95])
    with pytest.raises(AssertionError, match="step parameter"):
        backend.add_scalars({"map": 0.7, "step": 1})
    with pytest.warns(UserWarning, match="skip it"):
        backend.add_scalars({"map": [1, 2]})
    backend.close()
    TensorboardVisBackend(str(tmp_path / "never")).close()  # never initialised: no error
    assert not (tmp_path / "never").exists()


def test_flush_puts_scalars_on_disk_and_the_run_goes_on(tmp_path):
    vis = Visualizer(name="tb_flush_only", vis_backends=[dict(type="TensorboardVisBackend")],
                     save_dir=str(tmp_path))
    vis.add_scalar("loss", 0.5, step=0)
    vis.flush()
    acc = EventAccumulator(str(tmp_path / "vis_data"))
    acc.Reload()
    assert [e.value for e in acc.Scalars("loss")] == [0.5]
    vis.add_scalar("loss", 0.25, step=1)  # still writable after a flush
    vis.close()
    acc.Reload()
    assert [e.step for e in acc.Scalars("loss")] == [0, 1]
    Visualizer(name="local_flush", vis_backends=[dict(type="LocalVisBackend")],
               save_dir=str(tmp_path / "local")).flush()  # a no-op for the others
