"""Identity pools, identities and role mapping."""
