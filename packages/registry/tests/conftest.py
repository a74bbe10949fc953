import pytest

from engine.registry import DefaultScope


@pytest.fixture(autouse=True)
def _isolated_default_scope():
    """DefaultScope instances are process-global: give each test a clean slate."""
    saved = DefaultScope._instance_dict
    DefaultScope._instance_dict = saved.__class__()
    yield
    DefaultScope._instance_dict = saved
