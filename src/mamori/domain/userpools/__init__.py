"""User pools and app clients: settings, password policy."""
