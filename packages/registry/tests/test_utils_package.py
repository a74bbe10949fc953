"""Package helpers and the scope table (UTIL-08..11, D5)."""

import subprocess
import sys

import pytest

from engine.utils import (
    PKG2PROJECT,
    call_command,
    get_installed_path,
    get_scope_distributions,
    install_package,
    is_installed,
    package2module,
)


def _fake_dist(base, dist_name, module, version='1.0', top_level=True):
    pkg = base / module
    pkg.mkdir()
    (pkg / '__init__.py').write_text('')
    info = base / f'{dist_name.replace("-", "_")}-{version}.dist-info'
    info.mkdir()
    (info / 'METADATA').write_text(
        f'Metadata-Version: 2.1\nName: {dist_name}\nVersion: {version}\n')
    if top_level:
        (info / 'top_level.txt').write_text(f'{module}\n')
    (info / 'RECORD').write_text(f'{module}/__init__.py,,\n')


def test_is_installed_sees_runtime_installs_case_insensitively(tmp_path, monkeypatch):
    assert is_installed('pytest') and is_installed('PyTest')
    assert not is_installed('fake-full-xyz')
    monkeypatch.syspath_prepend(str(tmp_path))
    _fake_dist(tmp_path, 'fake-full-xyz', 'fakexyz')
    assert is_installed('fake-full-xyz') and is_installed('Fake_Full_XYZ')


def test_get_installed_path(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    _fake_dist(tmp_path, 'fakepkgabc', 'fakepkgabc')
    _fake_dist(tmp_path, 'fakemm-full', 'fakemm', top_level=False)
    assert get_installed_path('fakepkgabc') == str(tmp_path / 'fakepkgabc')
    # distribution name differs from the module: found through its metadata
    assert package2module('fakemm-full') == 'fakemm'
    assert get_installed_path('fakemm-full') == str(tmp_path / 'fakemm')
    with pytest.raises(ValueError):
        get_installed_path('not-installed-xyz')


def test_call_command_and_install_package_when_present():
    call_command([sys.executable, '-c', 'pass'])
    with pytest.raises(subprocess.CalledProcessError):
        call_command([sys.executable, '-c', 'raise SystemExit(3)'])
    install_package('pytest')  # already installed: pip is not run, so no network


def test_builtin_scope_table():
    assert PKG2PROJECT['mmseg'] == 'mmsegmentation'
    assert PKG2PROJECT['mmdet'] == 'mmdet' and len(PKG2PROJECT) == 16
    assert get_scope_distributions()['mmcls'] == 'mmcls'
