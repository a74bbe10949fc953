"""engine.evaluator."""
