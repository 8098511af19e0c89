"""Tokens and the keys that sign them: user pool tokens (ID, access, refresh), signing keys,
the identity issuer's OpenID tokens."""
