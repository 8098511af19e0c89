"""Use cases: the async operations the API layer calls."""
