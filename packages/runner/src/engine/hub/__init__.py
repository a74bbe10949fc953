"""engine.hub: configs and models of installed downstream libraries."""
from .hub import get_config, get_model

__all__ = ["get_config", "get_model"]
