"""Calling the functions a pool's LambdaConfig names (Cognito's triggers)."""
