"""Counters for guessing protection: in Redis when one is configured, else in the database."""
