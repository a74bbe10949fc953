"""MessageHub (LOG-06..11; scenarios T20, T21)."""
import subprocess
import sys
from collections import OrderedDict

import numpy as np
import pytest
import torch

from engine.logging import HistoryBuffer, MessageHub


def test_constructor_checks():
    with pytest.raises(AssertionError):
        MessageHub("hub_ctor_1", log_scalars={"a": HistoryBuffer()})
    with pytest.raises(AssertionError):
        MessageHub("hub_ctor_2", log_scalars=OrderedDict(a=1))
    with pytest.raises(AssertionError):
        MessageHub("hub_ctor_3", resumed_keys=OrderedDict(missing=True))
    hub = MessageHub("hub_ctor_4", log_scalars=OrderedDict(a=HistoryBuffer([1], [1])),
                     runtime_info=OrderedDict(b=2), resumed_keys=OrderedDict(a=True, b=False))
    assert hub.get_scalar("a").current() == 1 and hub.get_info("b") == 2


def test_doc_scalar_example():
    hub = MessageHub.get_instance("hub_doc_task")
    hub.update_scalar("train/loss", 1, 1)
    assert hub.get_scalar("train/loss").current() == 1
    hub.update_scalar("train/loss", 3, 1)
    assert hub.get_scalar("train/loss").mean() == 2
    hub.update_scalar("train/lr", 0.1)
    hub.update_scalars({"train/time": {"value": 0.1, "count": 1},
                        "train/data_time": {"value": 0.1, "count": 1}})
    assert list(hub.log_scalars) == ["train/loss", "train/lr", "train/time", "train/data_time"]
    assert hub.get_scalar("train/loss") is hub.log_scalars["train/loss"]  # a reference


def test_update_scalar_value_types():
    hub = MessageHub("hub_values")
    hub.update_scalar("a", torch.tensor(2.0))
    hub.update_scalar("a", np.array([4.0]))
    hub.update_scalar("a", np.float32(6.0), count=2)
    assert hub.get_scalar("a").data[0].tolist() == [2.0, 4.0, 6.0]
    assert hub.get_scalar("a").mean() == 3.0  # 12 / 4
    with pytest.raises(AssertionError):
        hub.update_scalar("x", torch.tensor([1.0, 2.0]))
    with pytest.raises(AssertionError):
        hub.update_scalar("x", np.array([1.0, 2.0]))
    with pytest.raises(AssertionError):
        hub.update_scalar("x", 1, count=1.5)
    with pytest.raises(TypeError):
        hub.update_scalar("x", "1")


def test_update_scalars_checks():
    hub = MessageHub("hub_scalars")
    hub.update_scalars({"b": 1, "c": dict(value=2, count=3)})
    assert hub.get_scalar("c").data[1].tolist() == [3]
    with pytest.raises(AssertionError):
        hub.update_scalars([("b", 1)])
    with pytest.raises(AssertionError):
        hub.update_scalars({"b": dict(count=1)})


def test_resumed_flag_is_fixed():
    hub = MessageHub("hub_resumed")
    hub.update_scalar("loss", 1)
    message = "loss used to be True, but got False now. resumed keys cannot be modified repeatedly."
    with pytest.raises(AssertionError, match=message):
        hub.update_scalar("loss", 3, resumed=False)
    hub.update_info("k", 1, resumed=False)
    with pytest.raises(AssertionError):
        hub.update_info("k", 2)


def test_runtime_info():
    hub = MessageHub("hub_info")
    hub.update_info("iter", 1)
    assert hub.get_info("iter") == 1
    hub.update_info("iter", 2)
    assert hub.get_info("iter") == 2
    hub.update_info_dict({"epoch": 3, "meta": {"a": 1}})
    assert hub.runtime_info == OrderedDict(iter=2, epoch=3, meta={"a": 1})
    with pytest.raises(AssertionError):
        hub.update_info_dict([("a", 1)])
    with pytest.raises(KeyError, match="nope"):
        hub.get_info("nope")
    with pytest.raises(KeyError, match="nope"):
        hub.get_scalar("nope")


def test_shared_between_components():
    class Updater:
        def __init__(self):
            self.hub = MessageHub.get_instance("hub_shared")

        def step(self):
            self.hub.update_scalar("train/lr", 0.001)
            self.hub.update_info("meta", dict(name="exp"))

    Updater().step()
    reader = MessageHub.get_instance("hub_shared")
    assert reader.get_scalar("train/lr").current() == 0.001
    assert reader.get_info("meta") == dict(name="exp")


def test_state_dict_keeps_only_resumed_keys():
    hub = MessageHub("hub_state")
    hub.update_scalar("train/a", 1, resumed=False)
    hub.update_scalar("train/b", 2)
    hub.update_info("k", 3)
    sd = hub.state_dict()
    assert list(sd["log_scalars"]) == ["train/b"]
    assert sd["runtime_info"] == {"k": 3}
    hub.update_scalar("train/b", 5)
    assert sd["log_scalars"]["train/b"].current() == 2  # deep copy
    new = MessageHub("hub_state_new")
    new.load_state_dict(sd)
    assert new.get_scalar("train/b").current() == 2
    with pytest.raises(KeyError):
        new.get_scalar("train/a")
    with pytest.raises(AssertionError):
        new.load_state_dict(dict(log_scalars={}))


def test_state_dict_uncopyable_runtime_value_is_referenced():
    class NoCopy:
        def __deepcopy__(self, memo):
            raise RuntimeError("cannot copy")

    hub = MessageHub("hub_nocopy")
    value = NoCopy()
    hub.update_info("x", value)
    with pytest.warns(UserWarning, match="cannot be copied"):
        sd = hub.state_dict()
    assert sd["runtime_info"]["x"] is value


def test_load_state_dict_warnings_and_hub_copy():
    hub = MessageHub("hub_load")
    with pytest.warns(UserWarning):
        hub.load_state_dict(dict(log_scalars={"s": 1}, runtime_info={"r": 1},
                                 resumed_keys={"r": False, "ghost": True}))
    assert "s" not in hub.log_scalars and hub.get_info("r") == 1
    src = MessageHub("hub_load_src")
    src.update_scalar("a", 1, resumed=False)
    hub.load_state_dict(src)
    assert hub.get_scalar("a").current() == 1
    src.update_scalar("a", 7, resumed=False)
    assert hub.get_scalar("a").current() == 1


def test_get_current_instance_in_fresh_process_creates_mmengine():
    code = ("from engine.logging import MessageHub; "
            "print(MessageHub.get_current_instance().instance_name)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "mmengine"


def test_get_current_instance_is_latest_created():
    hub = MessageHub.get_instance("hub_latest")
    MessageHub.get_instance("hub_doc_task_other")
    MessageHub.get_instance("hub_latest")
    assert MessageHub.get_current_instance().instance_name == "hub_doc_task_other"
    assert hub is MessageHub.get_instance("hub_latest")


def test_known_key_updates_keep_their_checks():
    # a key already in the hub takes a shorter path; its checks must stay
    hub = MessageHub("hub_known_key")
    hub.update_scalar("k", 1.0)
    hub.update_scalar("k", torch.tensor(2.0))
    hub.update_scalar("k", 3, count=2)
    assert hub.get_scalar("k").data[0].tolist() == [1.0, 2.0, 3.0]
    assert hub.get_scalar("k").data[1].tolist() == [1, 1, 2]
    with pytest.raises(AssertionError, match="count must be int"):
        hub.update_scalar("k", 1.0, count=1.5)
    with pytest.raises(AssertionError, match="1-element tensor"):
        hub.update_scalar("k", torch.tensor([1.0, 2.0]))
    with pytest.raises(TypeError, match="'k'"):
        hub.update_scalar("k", "1")
    with pytest.raises(AssertionError, match="k used to be True"):
        hub.update_scalar("k", 4.0, resumed=False)
    hub.update_scalar("n", 1.0, resumed=False)
    hub.update_scalar("n", 2.0, resumed=False)
    assert "n" not in hub.state_dict()["log_scalars"]
    assert len(hub.get_scalar("k")) == 3  # failed updates appended nothing


def test_scalar_appender_records_in_the_hub_and_survives_a_resume():
    hub = MessageHub("hub_appender")
    append = hub.scalar_appender("train/loss")
    append(0.5)
    append(0.25)
    assert hub.get_scalar("train/loss").mean(2) == pytest.approx(0.375)
    with pytest.raises(AssertionError, match="train/loss used to be True"):
        hub.scalar_appender("train/loss", resumed=False)
    # a resume loads into the existing buffer, so the appender keeps recording there
    saved = MessageHub("hub_appender_saved")
    saved.update_scalar("train/loss", 2.0, count=2)
    hub.load_state_dict(saved.state_dict())
    append(1.0)
    values, counts = hub.get_scalar("train/loss").data
    assert values.tolist() == [2.0, 1.0] and counts.tolist() == [2, 1]
    assert "train/loss" in hub.state_dict()["log_scalars"]
    other = MessageHub("hub_appender_other")
    other.update_scalar("train/loss", 5.0)
    hub.load_state_dict(other)  # the copy-everything form keeps the buffer too
    append(6.0)
    assert hub.get_scalar("train/loss").data[0].tolist() == [5.0, 6.0]
    unread = hub.scalar_appender("train/time")
    for _ in range(3):
        unread(0.1)
    hub.flush_scalars()
    assert len(hub.get_scalar("train/time")._pending_values) == 0
    assert hub.get_scalar("train/time").data[0].tolist() == [0.1, 0.1, 0.1]


def test_runtime_info_stays_the_same_dict_through_both_loads():
    # RuntimeInfoHook stores 'iter' straight into this dict on every step
    hub = MessageHub("hub_info_dict")
    hub.update_info("iter", 3)
    info = hub.runtime_info
    saved = MessageHub("hub_info_dict_saved")
    saved.update_info("iter", 10)
    hub.load_state_dict(saved.state_dict())
    assert hub.runtime_info is info and info["iter"] == 10
    info["iter"] = 11
    assert hub.get_info("iter") == 11
    other = MessageHub("hub_info_dict_other")
    other.update_info("iter", 20)
    hub.load_state_dict(other)  # the copy-everything form updates the info in place
    assert hub.runtime_info is info and info["iter"] == 20
    info["iter"] = 21
    assert hub.get_info("iter") == 21 and other.get_info("iter") == 20
    with pytest.raises(AssertionError, match="iter used to be True"):
        hub.update_info("iter", 4, resumed=False)
