"""engine.logging."""
