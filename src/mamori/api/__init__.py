"""The wire: AWS JSON dispatch, well-known endpoints, admin endpoints."""
