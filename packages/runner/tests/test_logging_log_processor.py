"""LogProcessor (LOG-12, LOG-18..23; scenarios T24 and the doc line formats).

The runner is represented by the attributes LogProcessor reads: message_hub, epoch,
iter, max_iters and the three loops' dataloaders.
"""
import re
from types import SimpleNamespace

import pytest

from engine.logging import LogProcessor, MessageHub
from engine.registry import LOG_PROCESSORS


def make_runner(name, epoch=0, iter=9, max_iters=25, train_len=25, val_len=313, test_len=8):
    loop = lambda n: SimpleNamespace(dataloader=list(range(n)))  # noqa: E731
    return SimpleNamespace(message_hub=MessageHub.get_instance(name), epoch=epoch, iter=iter,
                           max_iters=max_iters, train_loop=loop(train_len), val_loop=loop(val_len),
                           test_loop=loop(test_len))


def feed_train(hub, n, eta=True):
    for i in range(1, n + 1):
        hub.update_scalar("train/lr", 0.01)
        hub.update_scalar("train/time", 0.002 * i)
        hub.update_scalar("train/data_time", 0.001)
        hub.update_scalar("train/loss1", float(i))
        hub.update_scalar("train/loss2", 2.0 * i)
        hub.update_scalar("train/loss", 3.0 * i)
    if eta:
        hub.update_info("eta", 1103.7)


@pytest.fixture(autouse=True)
def _no_gpu_memory_field(request, monkeypatch):
    # With CUDA the lines gain "memory: N" (the peak MB); the exact-line tests
    # below are written for a CPU-only machine, so pin that field off there.
    if 'memory' not in request.node.name:
        monkeypatch.setattr(LogProcessor, '_get_max_memory', staticmethod(lambda: None))


def test_memory_field_follows_data_time_when_cuda_reports_it(monkeypatch):
    monkeypatch.setattr(LogProcessor, '_get_max_memory', staticmethod(lambda: 1234))
    runner = make_runner("lp_train_memory")
    feed_train(runner.message_hub, 10)
    _, line = LogProcessor().get_log_after_iter(runner, 9, "train")
    assert "data_time: 0.0010  memory: 1234  loss1: 5.5000" in line


def test_registered_and_defaults():
    proc = LOG_PROCESSORS.build(dict(type="LogProcessor", window_size=50, by_epoch=True))
    assert isinstance(proc, LogProcessor) and proc.window_size == 50
    default = LogProcessor()
    assert (default.window_size, default.by_epoch, default.custom_cfg,
            default.num_digits) == (10, True, [], 4)


def test_train_line_by_epoch():
    runner = make_runner("lp_train_epoch")
    feed_train(runner.message_hub, 10)
    tag, line = LogProcessor().get_log_after_iter(runner, 9, "train")
    assert line == ("Epoch(train) [1][10/25]  lr: 1.0000e-02  eta: 0:18:23  time: 0.0110  "
                    "data_time: 0.0010  loss1: 5.5000  loss2: 11.0000  loss: 16.5000")
    assert tag == {"lr": 0.01, "time": pytest.approx(0.011), "data_time": pytest.approx(0.001),
                   "loss1": 5.5, "loss2": 11.0, "loss": 16.5, "epoch": 1}
    assert all(type(v) in (int, float) for v in tag.values())


def test_window_size_smooths_losses_only():
    runner = make_runner("lp_window")
    feed_train(runner.message_hub, 20)
    runner.message_hub.update_scalar("train/custom", 7)
    _, line = LogProcessor(window_size=5).get_log_after_iter(runner, 19, "train")
    # losses over the last 5 values (16..20), the custom scalar as its current value
    assert line.endswith("loss1: 18.0000  loss2: 36.0000  loss: 54.0000  custom: 7")


def test_train_line_by_iter_and_no_eta_yet():
    runner = make_runner("lp_train_iter", iter=4, max_iters=12)
    feed_train(runner.message_hub, 5, eta=False)
    _, line = LogProcessor(by_epoch=False).get_log_after_iter(runner, 4, "train")
    # without eta, time and data_time stay in tag order as ordinary items
    assert line == ("Iter(train) [5/12]  lr: 1.0000e-02  time: 0.0060  data_time: 0.0010  "
                    "loss1: 3.0000  loss2: 6.0000  loss: 9.0000")


def test_val_and_test_iteration_lines():
    runner = make_runner("lp_val", epoch=1)
    hub = runner.message_hub
    for _ in range(3):
        hub.update_scalar("val/time", 0.0122)
        hub.update_scalar("val/data_time", 0.0047)
        hub.update_scalar("test/time", 0.5)
        hub.update_scalar("test/data_time", 0.25)
    hub.update_info("eta", 3.9)
    tag, line = LogProcessor().get_log_after_iter(runner, 9, "val")
    assert line == "Epoch(val) [1][10/313]  eta: 0:00:03  time: 0.0122  data_time: 0.0047"
    assert tag["epoch"] == 1
    _, line = LogProcessor().get_log_after_iter(runner, 1, "test")
    assert line == "Epoch(test) [2/8]  eta: 0:00:03  time: 0.5000  data_time: 0.2500"
    _, line = LogProcessor(by_epoch=False).get_log_after_iter(runner, 1, "val")
    assert line.startswith("Iter(val) [2/313]  ")
    with pytest.raises(AssertionError):
        LogProcessor().get_log_after_iter(runner, 1, "predict")


def test_after_epoch_lines():
    runner = make_runner("lp_epoch_end", epoch=1)
    hub = runner.message_hub
    hub.update_scalar("val/time", 0.1)
    hub.update_scalar("val/data_time", 0.1)
    hub.update_scalars({"val/accuracy": 35.7, "test/accuracy": 0.5, "test/count": 8})
    tag, line = LogProcessor().get_log_after_epoch(runner, 313, "val")
    assert line == "Epoch(val) [1][313/313]  accuracy: 35.7000"
    assert tag == {"accuracy": 35.7}
    _, line = LogProcessor().get_log_after_epoch(runner, 8, "test")
    assert line == "Epoch(test) [8/8]  accuracy: 0.5000  count: 8"
    _, line = LogProcessor(by_epoch=False).get_log_after_epoch(runner, 313, "val")
    assert line == "Iter(val) [313/313]  accuracy: 35.7000"
    with pytest.raises(AssertionError):
        LogProcessor().get_log_after_epoch(runner, 8, "train")


def test_several_learning_rates_and_unprefixed_keys():
    runner = make_runner("lp_multi_lr")
    hub = runner.message_hub
    hub.update_scalars({"train/gen.lr": 0.001, "train/disc.lr": 0.0002, "loss_no_prefix": 1.0,
                        "trainer/loss": 3.0})
    _, line = LogProcessor().get_log_after_iter(runner, 0, "train")
    assert line == "Epoch(train) [1][1/25]  gen.lr: 1.0000e-03 disc.lr: 2.0000e-04"


def test_custom_cfg_overwrite_and_append():
    runner = make_runner("lp_custom", iter=19)
    feed_train(runner.message_hub, 20)
    proc = LogProcessor(
        custom_cfg=[dict(data_src="loss1", method_name="mean", window_size="global")])
    _, line = proc.get_log_after_iter(runner, 19, "train")
    assert "loss1: 10.5000  loss2: 31.0000" in line  # overwritten in place by the global mean

    proc = LogProcessor(custom_cfg=[
        dict(data_src="loss1", log_name="loss1_global", method_name="mean", window_size="global"),
        dict(data_src="loss1", log_name="loss1_local_max", window_size=10, method_name="max"),
        dict(data_src="loss1", log_name="loss1_epoch_min", window_size="epoch", method_name="min"),
        dict(data_src="missing", log_name="never", method_name="current"),
    ])
    _, line = proc.get_log_after_iter(runner, 4, "train")
    assert line.endswith("loss1: 15.5000  loss2: 31.0000  loss: 46.5000  loss1_global: 10.5000  "
                         "loss1_local_max: 20.0000  loss1_epoch_min: 16.0000")


def test_custom_scalar_from_model_keeps_insertion_position():
    runner = make_runner("lp_loss_tmp")
    hub = runner.message_hub
    for _ in range(2):
        hub.update_scalar("train/lr", 0.01)
        hub.update_scalar("train/time", 0.0026)
        hub.update_scalar("train/data_time", 0.0008)
        hub.update_scalar("train/loss_tmp", 0.0097)  # written by the model during forward
        hub.update_scalar("train/loss", 0.0)
    hub.update_info("eta", 0)
    _, line = LogProcessor().get_log_after_iter(runner, 9, "train")
    assert line == ("Epoch(train) [1][10/25]  lr: 1.0000e-02  eta: 0:00:00  time: 0.0026  "
                    "data_time: 0.0008  loss_tmp: 0.0097  loss: 0.0000")


def test_custom_cfg_validation():
    with pytest.raises(AssertionError):
        LogProcessor(custom_cfg=[dict(data_src="loss", method_name="mean", window_size=100),
                                 dict(data_src="loss", method_name="max", window_size=100)])
    with pytest.raises(AssertionError):
        LogProcessor(custom_cfg=[dict(data_src="a", log_name="x", method_name="mean"),
                                 dict(data_src="b", log_name="x", method_name="mean")])
    with pytest.raises(AssertionError):
        LogProcessor(by_epoch=False,
                     custom_cfg=[dict(data_src="loss", method_name="mean", window_size="epoch")])
    with pytest.raises(AssertionError, match="data_src"):
        LogProcessor(custom_cfg=[dict(method_name="mean")])
    runner = make_runner("lp_bad_window")
    feed_train(runner.message_hub, 1)
    proc = LogProcessor(
        custom_cfg=[dict(data_src="loss", method_name="mean", window_size="forever")])
    with pytest.raises(TypeError, match="forever"):
        proc.get_log_after_iter(runner, 0, "train")


def test_lines_are_stable_after_collapsing_spaces():
    runner = make_runner("lp_collapse")
    feed_train(runner.message_hub, 10)
    _, line = LogProcessor().get_log_after_iter(runner, 9, "train")
    collapsed = re.sub(r"\s+", " ", line)
    assert collapsed.startswith("Epoch(train) [1][10/25] lr: 1.0000e-02 eta: 0:18:23")


def test_global_mean_equals_window_mean_at_iteration_ten():
    runner = make_runner("lp_t24", iter=9)
    feed_train(runner.message_hub, 10)
    proc = LogProcessor(custom_cfg=[dict(data_src="loss1", log_name="loss1_global",
                                         method_name="mean", window_size="global")])
    tag, line = proc.get_log_after_iter(runner, 9, "train")
    assert line.endswith("loss: 16.5000  loss1_global: 5.5000")
    assert tag["loss1_global"] == tag["loss1"]


def test_log_processor_importable_from_the_reference_module_path():
    from engine.registry import LOG_PROCESSORS
    from engine.runner import LogProcessor as from_runner
    from engine.runner.log_processor import LogProcessor as from_module

    assert from_module is from_runner is LogProcessor
    assert LOG_PROCESSORS.get('LogProcessor') is LogProcessor
