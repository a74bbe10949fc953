"""``engine.runner.log_processor``: where the reference release keeps ``LogProcessor``.

The class lives in ``engine.logging``; this module keeps imports written against
the reference's module path working.
"""

from engine.logging.log_processor import LogProcessor

__all__ = ['LogProcessor']
