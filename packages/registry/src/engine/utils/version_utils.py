"""Version helpers: parse versions without ``packaging`` (stdlib only)."""

from __future__ import annotations

import os
import re

__all__ = ['digit_version', 'get_git_hash']

# PEP 440 public versions plus a local part: epoch!release[pre][post][dev][+local]
_VERSION_RE = re.compile(
    r"""^\s*v?
    (?:(?P<epoch>\d+)!)?
    (?P<release>\d+(?:\.\d+)*)
    (?:[-_.]?(?P<pre_l>alpha|a|beta|b|preview|pre|c|rc)[-_.]?(?P<pre_n>\d+)?)?
    (?:-(?P<post_n1>\d+)|[-_.]?(?P<post_l>post|rev|r)[-_.]?(?P<post_n2>\d+)?)?
    (?:[-_.]?(?P<dev_l>dev)[-_.]?(?P<dev_n>\d+)?)?
    (?:\+(?P<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?
    \s*$""", re.VERBOSE | re.IGNORECASE)

_PRE_RANK = {'a': -3, 'alpha': -3, 'b': -2, 'beta': -2, 'rc': -1, 'c': -1, 'pre': -1,
             'preview': -1}


def digit_version(version_str: str, length: int = 4) -> tuple[int, ...]:
    """Turn a version string into a tuple of ints that orders like the versions.

    The release is padded or cut to ``length``; two ints follow: a pre-release
    gives (a=-3, b=-2, rc=-1, number), a post-release (1, number), a final
    release (0, 0). ``'1.10.0a0'`` -> ``(1, 10, 0, 0, -3, 0)``. A dev release
    counts as a pre-release (-4). The local part (``+cu117``) is ignored.
    Unparsable strings (and parrots versions) raise AssertionError.
    """
    assert 'parrots' not in version_str, f'parrots versions are not supported: {version_str}'
    match = _VERSION_RE.match(version_str)
    assert match is not None, f'failed to parse version {version_str!r}'
    release = [int(x) for x in match.group('release').split('.')]
    release = (release + [0] * length)[:length]
    if match.group('pre_l'):
        rank = _PRE_RANK[match.group('pre_l').lower()]
        release += [rank, int(match.group('pre_n') or 0)]
    elif match.group('dev_l'):
        # A dev release is a pre-release even after a post part ('1.0.post1.dev1').
        release += [-4, 0]
    elif match.group('post_l') or match.group('post_n1'):
        release += [1, int(match.group('post_n1') or match.group('post_n2') or 0)]
    else:
        release += [0, 0]
    return tuple(release)


def get_git_hash(fallback: str = 'unknown', digits: int | None = None) -> str:
    """The current commit of the git repository in the working directory.

    Cut to ``digits`` characters if given; ``fallback`` when git cannot run.
    """
    if digits is not None and not isinstance(digits, int):
        raise TypeError('digits must be None or an integer')
    import subprocess

    env = {key: os.environ[key] for key in ('SYSTEMROOT', 'PATH', 'HOME') if key in os.environ}
    env.update(LANGUAGE='C', LANG='C', LC_ALL='C')
    try:
        out = subprocess.run(['git', 'rev-parse', 'HEAD'], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, env=env).stdout
    except OSError:
        return fallback
    sha = out.strip().decode('ascii')
    return sha[:digits] if digits is not None else sha
