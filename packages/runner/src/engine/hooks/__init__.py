"""engine.hooks."""
