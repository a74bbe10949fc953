"""digit_version on dev releases (UTIL-12).

The reference asks ``packaging`` whether a version is a pre-release; a dev
release is one, even after a post part, and gets ``(-4, 0)``.
"""

import pytest

from engine.utils import digit_version


@pytest.mark.parametrize('version, expected', [
    ('1.0.dev1', (1, 0, 0, 0, -4, 0)),
    ('1.0.post1.dev1', (1, 0, 0, 0, -4, 0)),
    ('1.0a1.dev2', (1, 0, 0, 0, -3, 1)),
    ('1.0.post2', (1, 0, 0, 0, 1, 2)),
])
def test_util12_dev_releases_are_pre_releases(version, expected):
    assert digit_version(version) == expected


def test_util12_dev_release_sorts_before_its_release():
    assert digit_version('2.1.0.dev0') < digit_version('2.1.0')
