"""Imports every cognito-identity handler module so their operations register themselves."""

from mamori.api.aws.cognito_identity import (  # noqa: F401
    credentials,
    developer,
    identities,
    pools,
    tags,
)
