"""Users: attributes and their rules, sign-in aliases, groups."""
