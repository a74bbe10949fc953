"""Two real gloo processes on 127.0.0.1: metric collection, samplers and per-rank logs.

One launch covers everything that needs a process group (to keep the suite fast):
each rank runs this file as a script, prints a JSON report, and the tests check it.
"""
import os

import pytest
from rank_processes import report_and_exit, run_ranks

WORLD_SIZE = 2
DATASET_SIZE = 5  # odd: DefaultSampler pads rank 1 with sample 0


def _worker() -> None:
    import torch.distributed as torch_dist

    from engine.dataset import DefaultSampler
    from engine.dist import get_rank
    from engine.evaluator import BaseMetric, Evaluator
    from engine.logging import MMLogger

    torch_dist.init_process_group("gloo", init_method="env://")
    rank = get_rank()
    report = {"rank": rank}

    class OrderMetric(BaseMetric):
        default_prefix = "order"

        def process(self, data_batch, data_samples):
            self.results.extend(data_samples)

        def compute_metrics(self, results):
            return dict(indices=[r["idx"] for r in results], rank=get_rank())

    sampler = DefaultSampler(list(range(DATASET_SIZE)), shuffle=False)
    report["sampler"] = list(sampler)
    shuffled = DefaultSampler(list(range(DATASET_SIZE)), shuffle=True, seed=None)
    report["shared_seed"] = shuffled.seed
    for device in ("cpu", "gpu"):
        evaluator = Evaluator(OrderMetric(collect_device=device))
        for i in sampler:
            evaluator.process([dict(idx=i)])
        report[device] = evaluator.evaluate(DATASET_SIZE)

    log_dir = os.getcwd()
    per_rank = MMLogger.get_instance("per_rank", log_file=os.path.join(log_dir, "run.log"),
                                     distributed=True)
    per_rank.info(f"hello from rank {rank}")
    only_main = MMLogger.get_instance("only_main", log_file=os.path.join(log_dir, "main.log"))
    only_main.info(f"main-only record from rank {rank}")
    only_main.error(f"error from rank {rank}")
    for logger in (per_rank, only_main):
        for handler in logger.handlers:
            handler.flush()
    torch_dist.barrier()
    torch_dist.destroy_process_group()
    report_and_exit(report)


@pytest.fixture(scope="module")
def two_ranks(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("two_ranks")
    reports, outputs = run_ranks(__file__, workdir, WORLD_SIZE, timeout=120)
    return workdir, reports, outputs


def test_sampler_splits_and_pads(two_ranks):
    _, reports, _ = two_ranks
    assert reports[0]["sampler"] == [0, 2, 4]
    assert reports[1]["sampler"] == [1, 3, 0]
    assert reports[0]["shared_seed"] == reports[1]["shared_seed"]


@pytest.mark.parametrize("device", ["cpu", "gpu"])
def test_metric_results_gathered_in_order_and_truncated(two_ranks, device):
    _, reports, _ = two_ranks
    for report in reports:
        # computed once on rank 0 and broadcast: every rank sees rank 0's answer
        assert report[device] == {"order/indices": [0, 1, 2, 3, 4], "order/rank": 0}


def test_per_rank_log_files(two_ranks):
    workdir, _, outputs = two_ranks
    assert "hello from rank 0" in (workdir / "run.log").read_text()
    assert "hello from rank 1" in (workdir / "run_rank1.log").read_text()
    main_log = (workdir / "main.log").read_text()
    assert "main-only record from rank 0" in main_log and "rank 1" not in main_log
    assert not (workdir / "main_rank1.log").exists()
    # terminal: rank 1 prints errors only
    assert "hello from rank 1" not in outputs[1] and "error from rank 1" in outputs[1]
    assert "hello from rank 0" in outputs[0]


if __name__ == "__main__":
    _worker()
