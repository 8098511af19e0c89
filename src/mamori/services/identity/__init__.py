"""Identity pools (cognito-identity): pools, identities, verified logins, AWS credentials."""
