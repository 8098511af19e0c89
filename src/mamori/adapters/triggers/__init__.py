"""Trigger transports: AWS Lambda's Invoke, signed HTTP POSTs, Python callables in-process."""
