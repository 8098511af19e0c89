"""Imports every handler module so their operations register themselves."""

from mamori.api.aws.cognito_idp import (  # noqa: F401
    auth,
    clients,
    devices,
    groups,
    mfa,
    pools,
    recovery,
    tags,
    users,
)
