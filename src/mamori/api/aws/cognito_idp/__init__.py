"""Handlers for AWSCognitoIdentityProviderService, one module per API area."""
