"""Table definitions, by what they hold; the Alembic migrations under migrations/ create and
evolve them. Importing this package defines every table on `metadata`."""

from __future__ import annotations

from mamori.adapters.store.sql.tables.auth_events import auth_events
from mamori.adapters.store.sql.tables.base import SEARCH_HEAD, code_point_key, metadata
from mamori.adapters.store.sql.tables.identity import (
    identities,
    identity_keys,
    identity_logins,
    identity_pools,
)
from mamori.adapters.store.sql.tables.risk import risk_configurations
from mamori.adapters.store.sql.tables.saml import saml_assertions, saml_keys, saml_requests
from mamori.adapters.store.sql.tables.service import (
    counters,
    outbox,
)
from mamori.adapters.store.sql.tables.sessions import (
    authorization_codes,
    login_sessions,
    refresh_sessions,
)
from mamori.adapters.store.sql.tables.userpools import (
    clients,
    identity_provider_identifiers,
    identity_providers,
    managed_login_brandings,
    pools,
    resource_servers,
    signing_keys,
    ui_customizations,
    user_pool_domains,
)
from mamori.adapters.store.sql.tables.users import (
    aliases,
    codes,
    devices,
    groups,
    memberships,
    provider_links,
    user_index,
    user_mfa,
    users,
)

__all__ = [
    "SEARCH_HEAD",
    "aliases",
    "auth_events",
    "authorization_codes",
    "clients",
    "code_point_key",
    "codes",
    "counters",
    "devices",
    "groups",
    "identities",
    "identity_keys",
    "identity_logins",
    "identity_pools",
    "identity_provider_identifiers",
    "identity_providers",
    "login_sessions",
    "managed_login_brandings",
    "memberships",
    "metadata",
    "outbox",
    "pools",
    "provider_links",
    "refresh_sessions",
    "resource_servers",
    "risk_configurations",
    "saml_assertions",
    "saml_keys",
    "saml_requests",
    "signing_keys",
    "ui_customizations",
    "user_index",
    "user_mfa",
    "user_pool_domains",
    "users",
]
