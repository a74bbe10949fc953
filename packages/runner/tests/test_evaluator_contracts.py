"""engine.evaluator (EVAL-04, 06, 07, 09, 11, 13): reuse after
evaluate, metric forms and order, DumpResults next to a real metric, offline
evaluation of data elements with tuple data, short names under nested prefixes."""
import pickle

import pytest
import torch

from engine.evaluator import BaseMetric, DumpResults, Evaluator, get_metric_value
from engine.registry import METRICS
from engine.structures import BaseDataElement


@METRICS.register_module(force=True)
class Audit2CountMetric(BaseMetric):
    """Counts samples and correct predictions; keeps what ``process`` received."""

    default_prefix = "Count"

    def __init__(self, collect_device="cpu", prefix=None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.batches = []

    def process(self, data_batch, data_samples):
        self.batches.append(data_batch)
        for sample in data_samples:
            self.results.append(int(sample["pred"] == sample["label"]))

    def compute_metrics(self, results):
        return dict(correct=sum(results), total=len(results))


def test_a_metric_is_reusable_after_evaluate():
    evaluator = Evaluator(Audit2CountMetric())
    evaluator.process([dict(pred=1, label=1)] * 3)
    assert evaluator.evaluate(3) == {"Count/correct": 3, "Count/total": 3}
    # the second round sees only its own samples
    evaluator.process([dict(pred=0, label=1), dict(pred=2, label=2)])
    assert evaluator.evaluate(2) == {"Count/correct": 1, "Count/total": 2}


def test_metric_forms_and_order():
    first = Audit2CountMetric(prefix="first")
    single = Evaluator(first)
    assert single.metrics == [first]
    mixed = Evaluator((first, dict(type="Audit2CountMetric", prefix="second")))
    assert mixed.metrics[0] is first
    assert isinstance(mixed.metrics[1], Audit2CountMetric) and mixed.metrics[1].prefix == "second"
    mixed.process([dict(pred=1, label=1)])
    assert list(mixed.evaluate(1)) == ["first/correct", "first/total",
                                       "second/correct", "second/total"]


def test_dump_results_next_to_a_metric(tmp_path):
    out = tmp_path / "preds.pickle"
    with pytest.warns(UserWarning, match="The prefix is not set in metric class DumpResults"):
        evaluator = Evaluator([dict(type="Audit2CountMetric"),
                               dict(type="DumpResults", out_file_path=str(out))])
    assert isinstance(evaluator.metrics[1], DumpResults)
    samples = [BaseDataElement(pred=i, label=1, score=torch.tensor([0.5, i])) for i in range(3)]
    evaluator.process(samples, dict(inputs=torch.zeros(3, 2)))
    # DumpResults adds no key; the other metric's keys are untouched
    assert evaluator.evaluate(3) == {"Count/correct": 1, "Count/total": 3}
    dumped = pickle.loads(out.read_bytes())
    assert [d["pred"] for d in dumped] == [0, 1, 2]  # data elements stored as dicts
    assert torch.equal(dumped[2]["score"], torch.tensor([0.5, 2.0]))
    assert all(metric.results == [] for metric in evaluator.metrics)


def test_offline_evaluate_data_elements_with_tuple_data():
    metric = Audit2CountMetric()
    evaluator = Evaluator(metric)
    preds = [BaseDataElement(pred=i % 2, label=0) for i in range(10)]
    data = [(torch.full((2,), float(i)), i) for i in range(10)]
    assert evaluator.offline_evaluate(preds, data, chunk_size=4) == {"Count/correct": 5,
                                                                      "Count/total": 10}
    assert len(metric.batches) == 3
    # pseudo_collate transposes a list of tuples into per-field lists, no stacking
    inputs, ids = metric.batches[2]
    assert ids == [8, 9]
    assert isinstance(inputs, list) and torch.equal(inputs[1], torch.full((2,), 9.0))


def test_short_names_match_the_last_component_of_nested_prefixes():
    metrics = {"coco/bbox/mAP": 0.4, "voc/mAP_50": 0.7, "acc": 1.0}
    assert get_metric_value("mAP", metrics) == 0.4
    assert get_metric_value("coco/bbox/mAP", metrics) == 0.4
    assert get_metric_value("acc", metrics) == 1.0
    with pytest.raises(ValueError, match='The indicator "bbox/mAP" can not match any metric'):
        get_metric_value("bbox/mAP", metrics)  # a name with "/" must be a full key
    metrics["lvis/mAP"] = 0.1
    with pytest.raises(ValueError, match='The indicator "mAP" matches multiple metrics'):
        get_metric_value("mAP", metrics)
