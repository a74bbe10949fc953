"""Fixtures shared by the cross-package tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def build_wheel(folder: Path, out_dir: Path) -> Path:
    """Build one package's wheel with hatchling, offline (no build isolation)."""
    before = set(out_dir.glob('*.whl'))
    proc = subprocess.run(
        [sys.executable, '-m', 'hatchling', 'build', '--target', 'wheel',
         '--directory', str(out_dir)],
        cwd=folder, capture_output=True, text=True)
    assert proc.returncode == 0, f'building {folder} failed:\n{proc.stdout}\n{proc.stderr}'
    (wheel,) = set(out_dir.glob('*.whl')) - before
    return wheel


@pytest.fixture(scope='session')
def built_wheels(tmp_path_factory) -> dict[str, Path]:
    """Every workspace package built as a wheel: {distribution name: path}."""
    out = tmp_path_factory.mktemp('wheels')
    wheels = {}
    for pyproject in sorted(ROOT.glob('packages/*/pyproject.toml')):
        wheel = build_wheel(pyproject.parent, out)
        dist = wheel.name.split('-')[0].replace('_', '-')
        wheels[dist] = wheel
    return wheels


@pytest.fixture
def in_tmp_dir(tmp_path, monkeypatch):
    """Run the test inside its own temporary folder (the seed's tutorials use relative paths)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path
