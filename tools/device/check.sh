#!/bin/bash
# The CUDA checks, for a lent GPU machine that has torch but no network.
#
# Prepare here (wheels of the workspace packages for their entry points, plus
# the third-party packages that machine lacks), then run this there:
#   tools/device/build_wheels.sh      # fills .whl/ (ignored by git)
#   bash tools/device/check.sh        # on the GPU machine, with .whl carried
# Writes the test log and benchmark output under $OUT (or ./device-out).
set -u
OUT=${OUT:-device-out}
mkdir -p "$OUT"
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .whl/*.whl || exit 1
# working-tree sources first; the installed wheels supply the entry points
export PYTHONPATH=$(ls -d "$PWD"/packages/*/src | tr '\n' ':')/tmp/site
export PYTHONUNBUFFERED=1 OMP_NUM_THREADS=1
nvidia-smi -L
python3 -c "import sys, torch, engine.runner as r; print(sys.version.split()[0], torch.__version__, torch.cuda.is_available(), r.__file__)"

# Every test (the CUDA ones included); wheels/venv/wandb ones need the network.
timeout 300 python3 -m pytest -q -n 12 -p no:cacheprovider packages/*/tests tests \
    --ignore=tests/test_install_isolation.py --ignore=tests/test_package_metadata.py \
    --ignore=packages/visualization/tests/test_vis_backend_wandb.py \
    -o addopts="--import-mode=importlib -ra --ignore-glob=packages/*/src/*" \
    > "$OUT/tests.log" 2>&1
echo "pytest exit: $?"
grep -E "passed|failed|^FAILED|^ERROR" "$OUT/tests.log" | tail -40

cpu_only() { CUDA_VISIBLE_DEVICES= "$@"; }
cpu_only timeout 90 python3 tools/bench/runner_overhead.py --iters 2000 --repeat 2 --rounds 6 \
    --steady-runs 3 --steady-iters 2000 \
    2>&1 | grep -v WARNING | tee "$OUT/overhead_cpu.txt"
timeout 90 python3 tools/bench/runner_overhead.py --device cuda --iters 2000 --repeat 2 \
    --steady-runs 3 --steady-iters 2000 \
    --rounds 6 2>&1 | grep -v WARNING | tee "$OUT/overhead_cuda.txt"
cpu_only timeout 60 python3 tools/bench/structures_ops.py --repeat 100 2>&1 \
    | tee "$OUT/structures.txt"
