"""engine.optim."""

__version__ = "0.1.0"
