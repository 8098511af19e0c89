"""Handlers for AWSCognitoIdentityService (identity pools), one module per API area."""
