"""Breached-password corpora: the local sorted SHA-1 prefix file and Pwned Passwords' range API."""
