"""Cognito's lockout rule."""
