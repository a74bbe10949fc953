"""Package metadata: versions, internal ranges, published wheels' contents."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11
    import tomli as tomllib

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
PYPROJECTS = sorted(ROOT.glob('packages/*/pyproject.toml'))


def _project(pyproject: Path) -> dict:
    return tomllib.loads(pyproject.read_text())['project']


def _version(pyproject: Path) -> str:
    hatch = tomllib.loads(pyproject.read_text())['tool']['hatch']
    path = pyproject.parent / hatch['version']['path']
    match = re.search(r'^__version__ = [\'"]([^\'"]+)[\'"]', path.read_text(), re.M)
    assert match, f'{path} has no __version__'
    return match.group(1)


VERSIONS = {_project(p)['name']: _version(p) for p in PYPROJECTS}


def test_every_package_folder_is_a_package():
    folders = {p.parent.name for p in PYPROJECTS}
    assert folders == {'registry', 'config', 'fileio', 'dist', 'structures', 'optim',
                       'visualization', 'runner', 'engine'}


@pytest.mark.parametrize('pyproject', PYPROJECTS, ids=lambda p: p.parent.name)
def test_internal_ranges_admit_workspace_versions(pyproject):
    meta = _project(pyproject)
    reqs = list(meta.get('dependencies', []))
    for extra in meta.get('optional-dependencies', {}).values():
        reqs += extra
    for text in reqs:
        req = Requirement(text)
        if req.name in VERSIONS:
            assert req.specifier, f'{pyproject}: {text} has no version range'
            assert VERSIONS[req.name] in req.specifier, (
                f'{pyproject}: {text} does not admit the workspace version '
                f'{VERSIONS[req.name]} of {req.name}')


@pytest.mark.parametrize('pyproject', PYPROJECTS, ids=lambda p: p.parent.name)
def test_published_packages_declare_ranges_not_pins(pyproject):
    for text in _project(pyproject).get('dependencies', []):
        req = Requirement(text)
        assert not any(s.operator in ('==', '===') for s in req.specifier), (
            f'{pyproject}: {text} pins a version; published packages declare ranges')


def test_only_the_meta_package_ships_engine_init(built_wheels):
    for name, wheel in built_wheels.items():
        names = zipfile.ZipFile(wheel).namelist()
        assert ('engine/__init__.py' in names) == (name == 'engine'), (wheel, names)
        if name == 'engine-dist':
            assert 'engine/utils/dl_utils/__init__.py' in names
            assert 'engine/utils/__init__.py' not in names
        if name == 'engine-registry':
            assert 'engine/utils/__init__.py' in names
        assert not any('/tests/' in n for n in names), wheel
