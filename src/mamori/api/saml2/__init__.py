"""The hosted domain's SAML 2.0 endpoints: the assertion consumer service, single logout and
the pool's SP metadata."""
