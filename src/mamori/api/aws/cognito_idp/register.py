"""Imports every handler module so their operations register themselves."""

from mamori.api.aws.cognito_idp import (  # noqa: F401
    auth,
    auth_events,
    branding,
    clients,
    devices,
    domains,
    groups,
    identity_providers,
    mfa,
    pools,
    recovery,
    resource_servers,
    risk,
    tags,
    users,
)
