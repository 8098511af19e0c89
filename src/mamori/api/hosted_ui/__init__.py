"""The hosted login pages: server-rendered forms that drive the same sign-in core as the API."""
