"""Filesystem path helpers."""

from __future__ import annotations

import os.path as osp


def check_file_exist(filename, msg_tmpl: str = 'file "{}" does not exist') -> None:
    """Raise ``FileNotFoundError`` unless ``filename`` is an existing file."""
    if not osp.isfile(filename):
        raise FileNotFoundError(msg_tmpl.format(filename))
