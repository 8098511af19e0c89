"""mamori: a self-hosted identity service that speaks Amazon Cognito's APIs."""

__version__ = "0.1.0"
