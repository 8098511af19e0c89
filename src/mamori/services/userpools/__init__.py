"""User pools and their app clients: lifecycle, configuration, secrets."""
