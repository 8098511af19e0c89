"""Test support: a live mamori server process and factories for pools, clients and users."""
