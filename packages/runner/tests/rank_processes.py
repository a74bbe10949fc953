"""Run a test file as N real processes of one gloo group and collect their reports.

The test file runs itself as a script (``if __name__ == '__main__'``), with
RANK/WORLD_SIZE/MASTER_* set; each rank prints one ``REPORT <json>`` line.
Imported by runner tests (the root pyproject puts this folder on ``pythonpath``).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

REPORT = 'REPORT '


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def report_and_exit(report: dict) -> None:
    """Called by each rank at the end of its script: print the report, then end the
    process at once. The report is all the test reads, and torch objects that still
    hold a gloo group (a DDP or FSDP wrapper's reducer) can abort the interpreter's
    teardown ("terminate called without an active exception") after a good run."""
    print(REPORT + json.dumps(report), flush=True)
    sys.stderr.flush()
    os._exit(0)


def run_ranks(script: str, workdir, world_size: int = 2, timeout: float = 180):
    """Start ``script`` once per rank; return (reports, outputs) in rank order."""
    env = dict(os.environ, MASTER_ADDR='127.0.0.1', MASTER_PORT=str(free_port()),
               WORLD_SIZE=str(world_size), OMP_NUM_THREADS='1', PYTHONUNBUFFERED='1')
    procs = [subprocess.Popen([sys.executable, script], cwd=workdir,
                              env=dict(env, RANK=str(rank), LOCAL_RANK=str(rank)),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for rank in range(world_size)]
    outputs = []
    try:
        for proc in procs:
            outputs.append(proc.communicate(timeout=timeout)[0])
    finally:
        for proc in procs:  # a hung rank must not outlive the test
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    for rank, (proc, out) in enumerate(zip(procs, outputs)):
        assert proc.returncode == 0, f'rank {rank} failed:\n{out}'
    reports = []
    for out in outputs:
        line = next(line for line in out.splitlines() if line.startswith(REPORT))
        reports.append(json.loads(line[len(REPORT):]))
    return reports, outputs
