"""Other OpenID Connect issuers (not user pools' identity providers): their discovery and keys."""
