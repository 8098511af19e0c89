"""Implementations of the ports: storage, message delivery."""
