"""OAuth 2.0 (RFC 6749, 6750, 7009, 7636) as the hosted domain speaks it."""
