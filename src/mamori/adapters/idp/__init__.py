"""External identity providers: OpenID Connect issuers' keys."""
