"""The hosted domain's OAuth 2.0 / OpenID Connect endpoints and its routing by Host or path."""
