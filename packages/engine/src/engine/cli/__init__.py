"""The ``engine`` command: train, test, config, plot and registry subcommands.

Each subcommand lives in its own module and imports torch only when it needs
it, so ``engine config`` and ``engine plot`` start fast.
"""

from .main import main

__all__ = ['main']
