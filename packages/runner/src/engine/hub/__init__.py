"""engine.hub."""
