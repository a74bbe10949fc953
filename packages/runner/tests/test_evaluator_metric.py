"""BaseMetric, Evaluator, DumpResults, get_metric_value (EVAL-01..13; TS-29, TS-30)."""
import pickle

import numpy as np
import pytest
import torch

from engine.evaluator import BaseMetric, DumpResults, Evaluator, get_metric_value
from engine.logging import MMLogger
from engine.registry import EVALUATOR, METRICS
from engine.structures import BaseDataElement


@METRICS.register_module(force=True)
class EvalToyMetric(BaseMetric):
    default_prefix = "Toy"

    def __init__(self, collect_device="cpu", prefix=None, dummy_metrics=None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.dummy_metrics = dummy_metrics
        self.process_calls = []

    def process(self, data_batch, data_samples):
        self.process_calls.append((data_batch, list(data_samples)))
        for sample in data_samples:
            self.results.append(dict(pred=sample["pred"], label=sample["label"]))

    def compute_metrics(self, results):
        if self.dummy_metrics is not None:
            return dict(self.dummy_metrics)
        preds = np.array([r["pred"] for r in results])
        labels = np.array([r["label"] for r in results])
        return dict(accuracy=float((preds == labels).sum() / len(preds)), size=len(results))


def batches(n, batch_size):
    for start in range(0, n, batch_size):
        idx = range(start, min(start + batch_size, n))
        yield dict(inputs=list(idx)), [dict(pred=i % 3, label=i % 3) for i in idx]


def test_evaluator_with_toy_metric():
    evaluator = Evaluator(dict(type="EvalToyMetric"))
    for batch, outputs in batches(10, 4):
        evaluator.process(data_samples=outputs, data_batch=batch)
    assert evaluator.evaluate(10) == {"Toy/accuracy": 1.0, "Toy/size": 10}
    assert evaluator.metrics[0].results == []


def test_evaluate_truncates_to_dataset_size():
    metric = EvalToyMetric()
    metric.process(None, [dict(pred=i, label=i) for i in range(12)])  # 2 padded samples
    assert metric.evaluate(10)["Toy/size"] == 10


def test_prefix_rules():
    assert EvalToyMetric(prefix="xxx").prefix == "xxx"
    evaluator = Evaluator([EvalToyMetric(prefix="a", dummy_metrics=dict(m=1)),
                           dict(type="EvalToyMetric", prefix="b", dummy_metrics=dict(m=2))])
    evaluator.process([dict(pred=1, label=1)])
    assert evaluator.evaluate(1) == {"a/m": 1, "b/m": 2}


def test_same_metric_name_clash():
    evaluator = Evaluator([EvalToyMetric(dummy_metrics=dict(mAP=0.0)),
                           EvalToyMetric(dummy_metrics=dict(mAP=0.0))])
    evaluator.process([dict(pred=1, label=1)])
    with pytest.raises(ValueError, match="There are multiple evaluation results with the same "
                                         "metric name Toy/mAP"):
        evaluator.evaluate(1)


def test_warnings():
    class NoPrefix(EvalToyMetric):
        default_prefix = None

    with pytest.warns(UserWarning, match="The prefix is not set in metric class NoPrefix."):
        NoPrefix()
    with pytest.warns(UserWarning, match="EvalToyMetric got empty `self.results`"):
        EvalToyMetric(dummy_metrics=dict(a=1)).evaluate(0)


def test_abstract_methods_required():
    class Incomplete(BaseMetric):
        def process(self, data_batch, data_samples):
            pass

    with pytest.raises(TypeError):
        Incomplete()


def test_dataset_meta_propagates():
    evaluator = Evaluator([EvalToyMetric(), EvalToyMetric(prefix="other")])
    assert evaluator.dataset_meta is None
    evaluator.dataset_meta = dict(classes=("cat", "dog"))
    assert all(m.dataset_meta == dict(classes=("cat", "dog")) for m in evaluator.metrics)


def test_process_converts_data_elements_to_dicts():
    metric = EvalToyMetric()
    evaluator = Evaluator(metric)
    evaluator.process([BaseDataElement(pred=1, label=1), dict(pred=2, label=2)], "batch")
    batch, samples = metric.process_calls[0]
    assert batch == "batch"
    assert isinstance(samples[0], dict) and samples[0]["pred"] == 1
    assert samples[1] == dict(pred=2, label=2)


def test_bad_metrics():
    with pytest.raises(TypeError, match="metrics should be"):
        Evaluator([3])
    with pytest.raises(KeyError):
        Evaluator(dict(type="NoSuchMetric"))


def test_compute_metrics_returning_a_number_is_named():
    class MeanOnly(EvalToyMetric):
        def compute_metrics(self, results):
            return 0.5  # forgot the dict

    evaluator = Evaluator(MeanOnly())
    for data_batch, data_samples in batches(4, 2):
        evaluator.process(data_samples, data_batch)
    with pytest.raises(TypeError, match="MeanOnly.compute_metrics should return a dict of "
                                        "metric names to values, but got float: 0.5"):
        evaluator.evaluate(4)


def test_offline_evaluate_chunks():
    metric = EvalToyMetric()
    evaluator = Evaluator(metric)
    preds = [dict(pred=i, label=i) for i in range(10)]
    data = [dict(inputs=torch.tensor(i), id=i) for i in range(10)]
    assert evaluator.offline_evaluate(preds, data, chunk_size=3) == {"Toy/accuracy": 1.0,
                                                                     "Toy/size": 10}
    assert [len(samples) for _, samples in metric.process_calls] == [3, 3, 3, 1]
    first_batch = metric.process_calls[0][0]
    assert first_batch["id"] == [0, 1, 2]  # pseudo-collated
    assert evaluator.offline_evaluate(preds)["Toy/size"] == 10
    assert metric.process_calls[-1][0] is None
    with pytest.raises(AssertionError, match="outputs and data should have the same length, but "
                                             "got outputs length: 10 data length: 9"):
        evaluator.offline_evaluate(preds, data[:9])


def test_evaluator_registered():
    evaluator = EVALUATOR.build(dict(type="Evaluator", metrics=dict(type="EvalToyMetric")))
    assert isinstance(evaluator, Evaluator) and isinstance(evaluator.metrics[0], EvalToyMetric)


def test_get_metric_value():
    metrics = {"prefix_0/metric_0": 0, "prefix_1/metric_0": 1, "prefix_1/metric_1": 2,
               "nonprefixed": 3}
    assert get_metric_value("prefix_0/metric_0", metrics) == 0
    assert get_metric_value("prefix_1/metric_0", metrics) == 1
    assert get_metric_value("metric_1", metrics) == 2
    assert get_metric_value("nonprefixed", metrics) == 3
    for missing in ("prefix_0/metric_1", "prefix_2/metric", "metric_2"):
        with pytest.raises(ValueError, match="can not match any metric"):
            get_metric_value(missing, metrics)
    with pytest.raises(ValueError, match="matches multiple metrics"):
        get_metric_value("metric_0", metrics)


def test_dump_results(tmp_path, capsys):
    with pytest.raises(ValueError, match="The output file must be a pkl file."):
        DumpResults(out_file_path="./results.json")
    out = tmp_path / "results.pkl"
    with pytest.warns(UserWarning, match="prefix is not set"):
        metric = DumpResults(str(out))
    t1, t2 = torch.ones(2), torch.zeros(3)
    metric.process(None, [dict(data=(t1, t2))])
    assert len(metric.results) == 1
    assert metric.results[0]["data"][0].device.type == "cpu"
    MMLogger.get_instance("dump_results_logger")  # the run's logger shows the message
    assert metric.compute_metrics(metric.results) == {}
    loaded = pickle.loads(out.read_bytes())
    assert torch.equal(loaded[0]["data"][0], t1) and torch.equal(loaded[0]["data"][1], t2)
    assert f"Results has been saved to {out}." in capsys.readouterr().out
    assert metric.evaluate(1) == {}


def test_invalid_collect_device_fails_at_evaluate():
    metric = EvalToyMetric(collect_device="tpu")
    metric.process(None, [dict(pred=1, label=1)])
    with pytest.raises(NotImplementedError, match="tpu"):
        metric.evaluate(1)
