"""AWS JSON 1.1 protocol endpoints."""
