"""The OAuth 2.0 / OpenID Connect provider's pure parts: authorization requests, grants, scopes."""
