"""Every store call is scoped by pool: pool B never sees, changes or deletes pool A's data."""

from __future__ import annotations

import dataclasses
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from tests.support.entities import NOW
from tests.support.stores import Stores

from mamori.adapters.store.sql.auth_events import SqlAuthEventStore
from mamori.adapters.store.sql.authorization_codes import SqlAuthorizationCodeStore
from mamori.adapters.store.sql.identity_providers import SqlIdentityProviderStore
from mamori.adapters.store.sql.login_sessions import SqlLoginSessionStore
from mamori.adapters.store.sql.provider_links import SqlProviderLinkStore
from mamori.adapters.store.sql.risk_config import SqlRiskConfigStore
from mamori.adapters.store.sql.saml import SqlSamlStore
from mamori.adapters.store.sql.tables import metadata
from mamori.domain.auth.device import Device
from mamori.domain.oauth.authorization import AuthorizationGrant
from mamori.domain.security.auth_events import AuthEvent, EventResponse, EventType
from mamori.domain.security.risk_config import (
    RiskConfiguration,
    RiskExceptions,
    StoredRiskConfiguration,
)
from mamori.domain.userpools.app_client import AppClient
from mamori.domain.userpools.branding import ManagedLoginBranding, UICustomization
from mamori.domain.userpools.domains import DomainKind, UserPoolDomain
from mamori.domain.userpools.identity_providers import IdentityProvider, ProviderType
from mamori.domain.userpools.resource_servers import ResourceScope, ResourceServer
from mamori.domain.userpools.user_pool import UserPool
from mamori.domain.users.user import User
from mamori.services.federation.ports import SamlRequestRecord, SealedSamlKey
from mamori.services.oauth.ports import LoginSession
from mamori.services.ports import Message
from mamori.services.tokens.ports import RefreshSession, SealedKey
from mamori.services.users.ports import ProviderLink, UserQuery

pytestmark = pytest.mark.anyio

# Tables whose rows outlive their pool on purpose.
KEPT_AFTER_DELETE = frozenset({"outbox"})  # a delivery log: what was sent stays readable


@dataclass
class Populated:
    pool: UserPool
    user: User
    client: AppClient
    session: RefreshSession


async def populate(stores: Stores, username: str = "shared-name") -> Populated:
    """A pool with a row in every pool-scoped table, under names another pool reuses."""
    pool = await stores.pool(alias_attributes=("email",))
    user = await stores.user(
        pool, username, email="same@example.com", email_verified="true", name="Same Name"
    )
    client = await stores.client(pool, secret="client-secret")
    await stores.group(pool, "same-group")
    await stores.groups.add_member(pool.id, "same-group", user.sub)
    session = RefreshSession(
        secrets.token_hex(32),
        pool.id,
        client.id,
        user.sub,
        "same-origin",
        0,
        NOW,
        NOW + timedelta(days=1),
    )
    await stores.sessions.add_session(session)
    await stores.codes.put_code(pool.id, user.sub, "signup", "same-digest", NOW)
    await stores.keys.add_key(SealedKey(pool.id, "same-kid", "sealed", NOW))
    await stores.outbox.send(
        Message(pool.id, "EMAIL", "same@example.com", None, "hi", "confirmation", "1", NOW)
    )
    await stores.mfa.set_pending_secret(pool.id, user.sub, "JBSWY3DPEHPK3PXP", NOW)
    await stores.devices.add_device(
        Device(pool.id, user.sub, "us-east-1_same-device", "-samegroup", NOW, NOW)
    )
    # Domain names are unique across pools; resource servers and branding reuse names.
    name = f"d-{secrets.token_hex(6)}"
    await stores.domains.add_domain(UserPoolDomain(name, pool.id, DomainKind.PREFIX, NOW, NOW))
    await stores.resource_servers.add_server(
        ResourceServer(pool.id, "same-api", "API", (ResourceScope("read", "r"),))
    )
    await stores.branding.put_ui_customization(UICustomization(pool.id, "ALL", NOW, NOW, "x"))
    await stores.branding.add_managed(
        ManagedLoginBranding(str(uuid.uuid4()), pool.id, client.id, NOW, NOW)
    )
    await SqlAuthorizationCodeStore(stores.engine).add_code(
        secrets.token_hex(32),
        AuthorizationGrant(pool.id, client.id, user.sub, "https://same/cb", ("openid",), 0),
        NOW,
    )
    await SqlLoginSessionStore(stores.engine).add_login(
        LoginSession(secrets.token_hex(32), pool.id, user.sub, 0, NOW, NOW + timedelta(hours=1))
    )
    await SqlIdentityProviderStore(stores.engine, stores.keyring).add_provider(same_provider(pool))
    await SqlProviderLinkStore(stores.engine).add_link(
        ProviderLink(pool.id, "SameIdP", "same-subject", "Cognito_Subject", user.sub, NOW), 5
    )
    saml = SqlSamlStore(stores.engine)
    await saml.add_saml_key(pool.id, SealedSamlKey("signing", "sealed", "certificate", NOW))
    await saml.add_request(
        SamlRequestRecord(
            f"relay-{pool.id}", pool.id, "signin", "SameIdP", "id-1", {}, "b", NOW + timedelta(1)
        ),
        NOW,
    )
    await saml.first_use(pool.id, "same-assertion", NOW + timedelta(1), NOW)
    await SqlAuthEventStore(stores.engine).add_event(
        AuthEvent("same-event", pool.id, user.sub, EventType.SIGN_IN, NOW, EventResponse.PASS)
    )
    await SqlRiskConfigStore(stores.engine).put_risk_configuration(
        StoredRiskConfiguration(
            pool.id, None, RiskConfiguration(exceptions=RiskExceptions(("10.0.0.0/8",))), NOW
        )
    )
    return Populated(pool, user, client, session)


def same_provider(pool: UserPool) -> IdentityProvider:
    """An identity provider under the name and identifier every populated pool uses."""
    return IdentityProvider(
        pool.id,
        "SameIdP",
        ProviderType.OIDC,
        {"client_id": "same", "client_secret": "same-secret", "oidc_issuer": "https://same"},
        {"email": "email"},
        ("same.example.com",),
        NOW,
        NOW,
    )


async def rows_of(stores: Stores, pool_id: str) -> dict[str, int]:
    """Per table, how many rows belong to `pool_id` (tables with a pool column)."""
    counts: dict[str, int] = {}
    async with stores.engine.connect() as conn:
        for table in metadata.sorted_tables:
            column = table.c.id if table.name == "pools" else table.c.get("pool_id")
            if column is None:
                continue
            count = await conn.scalar(
                select(func.count()).select_from(table).where(column == pool_id)
            )
            counts[table.name] = int(count or 0)
    return counts


async def test_pool_b_cannot_see_pool_a(stores: Stores) -> None:
    a = await populate(stores)
    b = (await populate(stores)).pool
    user, client = a.user, a.client

    assert await stores.users.get_user_by_sub(b.id, user.sub) is None
    assert (await stores.users.get_user(b, "shared-name")) != user
    assert await stores.users.find_by_alias(b, "email", "same@example.com") != user
    for query in (UserQuery(), UserQuery("email", "same"), UserQuery("sub", user.sub)):
        listed = await stores.users.list_users(b, query, 60, None)
        assert user.sub not in {u.sub for u in listed.items}
    assert await stores.clients.get_client(b.id, client.id) is None
    listed_clients = await stores.clients.list_clients(b.id, 60, None)
    assert client.id not in {c.id for c in listed_clients.items}
    assert (await stores.groups.groups_of(b.id, user.sub)).items == []
    members = await stores.groups.members_of(b.id, "same-group", 60, None)
    assert user.sub not in {m.sub for m in members.items}
    assert await stores.codes.get_code(b.id, user.sub, "signup") is None
    assert not await stores.sessions.is_origin_revoked(b.id, "same-origin")
    assert all(k.owner == b.id for k in await stores.keys.keys_of(b.id))
    assert all(m.pool_id == b.id for m in await stores.outbox.list_messages(b.id, None, 100))
    assert await stores.mfa.get_mfa(b.id, user.sub) is None
    assert await stores.devices.get_device(b.id, user.sub, "us-east-1_same-device") is None
    idps = SqlIdentityProviderStore(stores.engine, stores.keyring)
    assert await idps.get_provider(b.id, "SameIdP") == same_provider(b)
    assert await idps.find_by_identifier(b.id, "same.example.com") == same_provider(b)
    assert await idps.providers_of(b.id) == [same_provider(b)]
    links = SqlProviderLinkStore(stores.engine)
    linked = await links.linked_user(b.id, "SameIdP", "same-subject")
    assert linked is not None and linked.sub != user.sub
    assert await links.links_of(b.id, user.sub) == []
    found = await stores.users.linked_user(b.id, "SameIdP", "same-subject")
    assert found is not None and found.sub != user.sub


async def test_pool_b_cannot_change_pool_a(stores: Stores) -> None:
    a = await populate(stores)
    b = await stores.pool(alias_attributes=("email",))  # empty: any row it gains is a leak
    user, client = a.user, a.client
    before, before_b = await rows_of(stores, a.pool.id), await rows_of(stores, b.id)

    # Writes naming pool B with pool A's ids must leave pool A exactly as it was.
    evil = {"email": "evil@example.com", "email_verified": "true", "name": "Evil"}
    hijacked = dataclasses.replace(user, enabled=False, attributes=evil)
    await stores.users.save_user(b, hijacked)
    assert await rows_of(stores, b.id) == before_b
    await stores.users.delete_user(b.id, user.sub)
    await stores.clients.save_client(dataclasses.replace(client, pool_id=b.id, name="hijacked"))
    await stores.clients.delete_client(b.id, client.id)
    await stores.groups.remove_member(b.id, "same-group", user.sub)
    await stores.groups.delete_group(b.id, "same-group")
    await stores.sessions.revoke_user(b.id, user.sub)
    await stores.sessions.revoke_origin(b.id, "same-origin")
    await stores.codes.count_attempt(b.id, user.sub, "signup")
    assert not await stores.codes.delete_code(b.id, user.sub, "signup")
    assert not await stores.mfa.count_attempt(b.id, user.sub, NOW, 5, [NOW])
    assert not await stores.mfa.use_step(b.id, user.sub, 1, NOW)
    assert not await stores.devices.delete_device(b.id, user.sub, "us-east-1_same-device")
    idps = SqlIdentityProviderStore(stores.engine, stores.keyring)
    provider = same_provider(a.pool)
    assert not await idps.delete_provider(b.id, provider.name)
    await idps.save_provider(dataclasses.replace(provider, pool_id=b.id, idp_identifiers=("x",)))
    assert await idps.get_provider(b.id, provider.name) is None

    assert await stores.users.get_user_by_sub(a.pool.id, user.sub) == user
    assert await stores.users.find_by_alias(b, "email", "evil@example.com") is None
    assert await stores.users.find_by_alias(a.pool, "email", "same@example.com") == user
    assert await stores.clients.get_client(a.pool.id, client.id) == client
    assert [g.name for g in (await stores.groups.groups_of(a.pool.id, user.sub)).items] == [
        "same-group"
    ]
    assert not await stores.sessions.is_origin_revoked(a.pool.id, "same-origin")
    stored_session = await stores.sessions.get_session(a.session.digest)
    assert stored_session is not None and not stored_session.revoked
    code = await stores.codes.get_code(a.pool.id, user.sub, "signup")
    assert code is not None and code.attempts == 0
    assert await idps.get_provider(a.pool.id, provider.name) == provider
    assert await rows_of(stores, a.pool.id) == before
    assert await rows_of(stores, b.id) == before_b == dict.fromkeys(before_b, 0) | {"pools": 1}


async def test_delete_pool_removes_all_of_it_and_nothing_of_another(stores: Stores) -> None:
    a = await populate(stores)
    b = await populate(stores)
    before_b = await rows_of(stores, b.pool.id)
    assert all(before_b.values()), f"populate() missed a table: {before_b}"

    await stores.pools.delete_pool(a.pool.id)

    left = {t: n for t, n in (await rows_of(stores, a.pool.id)).items() if n}
    assert set(left) <= KEPT_AFTER_DELETE, f"rows of a deleted pool remain: {left}"
    assert await rows_of(stores, b.pool.id) == before_b
    assert await stores.pools.get_pool(a.pool.id) is None
    assert await stores.clients.find_client(a.client.id) is None
    assert await stores.sessions.get_session(a.session.digest) is None
    assert await stores.users.get_user_by_sub(b.pool.id, b.user.sub) == b.user
    # The deleted pool's username, alias and group name are free again, in a new pool too.
    again = await stores.pool(alias_attributes=("email",))
    await stores.user(again, "shared-name", email="same@example.com", email_verified="true")
