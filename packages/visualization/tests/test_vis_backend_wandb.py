"""WandbVisBackend in offline mode: one shared run, read back from its .wandb file."""

import glob
import os
import struct
import sys
import time

import numpy as np
import pytest

pytest.importorskip("wandb")

from engine.config import Config  # noqa: E402
from engine.visualization import Visualizer, WandbVisBackend  # noqa: E402


def read_records(path):
    """Records of a .wandb file (LevelDB-style log: 32 KiB blocks of crc/len/type chunks)."""
    from wandb.proto import wandb_internal_pb2

    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 7:  # not even the header written yet
        return []
    assert data[:4] == b":W&B"
    pos, block, chunks, records = 7, 32768, [], []
    while pos + 7 <= len(data):
        left = block - pos % block
        if left < 7:
            pos += left
            continue
        _crc, length, kind = struct.unpack("<IHB", data[pos:pos + 7])
        pos += 7
        if pos + length > len(data):  # a chunk still being written
            break
        if length == 0 and kind == 0:
            pos += left - 7
            continue
        chunks.append(data[pos:pos + length])
        pos += length
        if kind in (1, 4):  # FULL or LAST
            record = wandb_internal_pb2.Record()
            record.ParseFromString(b"".join(chunks))
            records.append(record)
            chunks = []
    return records


def wait_for_exit_record(wandb_dir, timeout=60.0):
    """The run's records once its "exit" record is on disk.

    wandb's service process writes the file; ``finish()`` may return before the
    last records reach it, so a reader right after it can find the file empty.
    """
    deadline = time.monotonic() + timeout
    while True:
        files = glob.glob(str(wandb_dir / "offline-run-*" / "run-*.wandb"))
        records = read_records(files[0]) if files else []
        if any(r.WhichOneof("record_type") == "exit" for r in records):
            return records
        if time.monotonic() > deadline:
            raise AssertionError(f"no exit record in {files} after {timeout}s: "
                                 f"{[r.WhichOneof('record_type') for r in records]}")
        time.sleep(0.2)


@pytest.fixture(scope="module")
def offline_run(tmp_path_factory):
    """One offline run shared by the checks (wandb start-up takes seconds)."""
    old = {k: os.environ.get(k) for k in ("WANDB_MODE", "WANDB_SILENT")}
    os.environ["WANDB_MODE"] = "offline"
    os.environ["WANDB_SILENT"] = "true"
    root = tmp_path_factory.mktemp("wandb_run")
    vis = Visualizer(
        vis_backends=[dict(type="WandbVisBackend", name="wb", commit=False,
                           define_metric_cfg={"coco/bbox_mAP": "max"},
                           init_kwargs=dict(project="engine-test")),
                      dict(type="WandbVisBackend", name="wb_commit",
                           init_kwargs=dict(reinit="return_previous"))],
        save_dir=str(root))
    backend = vis.get_backend("wb")
    state = {"lazy": not (root / "vis_data").exists()}
    # commit=False: these two join one history row, committed by the next log
    vis.get_backend("wb").add_scalar("loss", 0.5)
    vis.get_backend("wb").add_scalars({"coco/bbox_mAP": 0.3})
    backend.experiment.log({"lr": 0.01})
    # commit=True backend (shares the run): one row per call
    committing = vis.get_backend("wb_commit")
    committing.add_scalars({"loss": 0.25, "coco/bbox_mAP": 0.2})
    committing.add_image("demo", np.zeros((6, 8, 3), np.uint8))
    committing.add_config(Config(dict(lr=0.1)))
    state["run_dir"] = backend.experiment.run.dir
    state["init_dir"] = backend._save_dir
    vis.close()
    state["records"] = wait_for_exit_record(root / "vis_data" / "wandb")
    state["root"] = root
    yield state
    for key, value in old.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def history(records):
    rows = []
    for record in records:
        if record.WhichOneof("record_type") == "history":
            rows.append({item.key or "/".join(item.nested_key): item.value_json
                         for item in record.history.item})
    return rows


def test_lazy_init_and_run_dir(offline_run):
    assert offline_run["lazy"]
    assert offline_run["run_dir"].startswith(str(offline_run["root"] / "vis_data" / "wandb"))
    assert offline_run["init_dir"] == f"{offline_run['root']}/vis_data"


def test_history_and_commit_semantics(offline_run):
    rows = history(offline_run["records"])
    first = rows[0]
    assert (first["loss"], first["coco/bbox_mAP"], first["lr"], first["_step"]) == (
        "0.5", "0.3", "0.01", "0")
    second = rows[1]
    assert (second["loss"], second["coco/bbox_mAP"], second["_step"]) == ("0.25", "0.2", "1")
    image_row = rows[2]
    assert image_row["demo/_type"] == '"image-file"'
    assert (image_row["demo/width"], image_row["demo/height"]) == ("8", "6")


def test_define_metric_and_config_file(offline_run):
    metrics = [r.metric for r in offline_run["records"]
               if r.WhichOneof("record_type") == "metric"]
    assert any(m.name == "coco/bbox_mAP" and m.summary.max for m in metrics)
    assert Config.fromfile(os.path.join(offline_run["run_dir"], "config.py")).lr == 0.1


def test_missing_extra_names_the_install_command(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "wandb", None)  # makes `import wandb` fail
    backend = WandbVisBackend(str(tmp_path))
    with pytest.raises(ImportError, match=r"pip install engine-visualization\[wandb\]"):
        backend.add_scalar("a", 1)
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)
    from engine.visualization import TensorboardVisBackend

    with pytest.raises(ImportError, match=r"engine-visualization\[tensorboard\]"):
        TensorboardVisBackend(str(tmp_path / "tb")).add_scalar("a", 1)
