#!/bin/bash
# Fill .whl/ with the workspace packages' wheels and the third-party wheels
# (Python 3.12, x86-64) that the GPU machine's image lacks. Run here, from the root.
set -eu
PY=$(hatch env find default)/bin/python
rm -rf .whl && mkdir .whl
for package in packages/*/; do
    (cd "$package" && "$PY" -m hatchling build --target wheel --directory "$OLDPWD/.whl" >/dev/null)
done
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
    --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 -d .whl addict lmdb pymemcache
ls .whl
