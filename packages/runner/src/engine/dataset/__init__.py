"""engine.dataset."""
