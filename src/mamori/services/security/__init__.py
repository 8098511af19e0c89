"""Guessing protection (lockout, rate limits, send quotas) and the password-hashing threads."""
