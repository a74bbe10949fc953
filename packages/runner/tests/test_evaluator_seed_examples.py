"""The seed's metric examples (quick start 3.3, evaluation 28.2.2) driven by an Evaluator."""

import uuid
import warnings

import pytest
import torch

from engine.evaluator import BaseMetric, Evaluator
from engine.registry import METRICS


class Accuracy(BaseMetric):
    # quick start 3.3, as written (no default_prefix: the construction warns)
    def process(self, data_batch, data_samples):
        score, gt = data_samples
        self.results.append({
            'batch_size': len(gt),
            'correct': (score.argmax(dim=1) == gt).sum().cpu(),
        })

    def compute_metrics(self, results):
        total_correct = sum(item['correct'] for item in results)
        total_size = sum(item['batch_size'] for item in results)
        return dict(accuracy=100 * total_correct / total_size)


def test_quick_start_accuracy_through_the_evaluator():
    with pytest.warns(UserWarning, match='The prefix is not set in metric class Accuracy'):
        evaluator = Evaluator(Accuracy())
    # the quick start's model returns (scores, labels) per batch; the loop passes
    # it as data_samples
    batches = [
        (torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.7, 0.3]]), torch.tensor([0, 1, 1])),
        (torch.tensor([[0.1, 0.9], [0.6, 0.4]]), torch.tensor([1, 0])),
    ]
    for outputs in batches:
        evaluator.process(data_samples=outputs, data_batch=None)
    metrics = evaluator.evaluate(5)
    assert list(metrics) == ['accuracy']  # no prefix, no renaming
    assert float(metrics['accuracy']) == pytest.approx(80.0)
    assert evaluator.metrics[0].results == []


def test_default_prefix_and_config_prefix_override_eval05():
    name = f'SeedAcc{uuid.uuid4().hex[:8]}'

    class SeedAccuracy(BaseMetric):
        default_prefix = 'ACC'

        def process(self, data_batch, predictions):
            for pred, gt in zip(predictions, data_batch['gt_label']):
                self.results.append({'pred': pred['pred_label'], 'gt': gt})

        def compute_metrics(self, results):
            preds = torch.tensor([r['pred'] for r in results])
            gts = torch.tensor([r['gt'] for r in results])
            return {'accuracy': float((preds == gts).sum()) / preds.numel()}

    METRICS.register_module(name=name, module=SeedAccuracy)
    batch = dict(gt_label=[1, 0, 1, 1])
    preds = [dict(pred_label=p) for p in (1, 0, 0, 1)]
    with warnings.catch_warnings():
        warnings.simplefilter('error')  # a default prefix: no warning
        evaluator = Evaluator(dict(type=name))
    evaluator.process(preds, batch)
    assert evaluator.evaluate(4) == {'ACC/accuracy': 0.75}
    evaluator = Evaluator([dict(type=name, prefix='xxx')])
    evaluator.process(preds, batch)
    assert evaluator.evaluate(4) == {'xxx/accuracy': 0.75}
