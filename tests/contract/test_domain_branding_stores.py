"""SqlDomainStore, SqlResourceServerStore, SqlBrandingStore: uniqueness, round trips, paging,
and pool isolation (pool B never sees, changes or deletes pool A's rows)."""

from __future__ import annotations

import dataclasses
import secrets
import uuid
from datetime import timedelta

import pytest
from tests.support.entities import NOW
from tests.support.stores import Stores

from mamori.domain.ids import ClientId, PoolId
from mamori.domain.userpools.branding import (
    BrandingAsset,
    ManagedLoginBranding,
    UICustomization,
)
from mamori.domain.userpools.domains import DomainKind, UserPoolDomain
from mamori.domain.userpools.resource_servers import ResourceScope, ResourceServer

pytestmark = pytest.mark.anyio


def prefix() -> str:
    return f"p-{secrets.token_hex(6)}"


def domain(pool_id: PoolId, name: str, kind: DomainKind = DomainKind.PREFIX) -> UserPoolDomain:
    return UserPoolDomain(name, pool_id, kind, NOW, NOW)


async def test_domain_names_are_unique_across_pools_and_one_per_kind(stores: Stores) -> None:
    a, b = (await stores.pool()).id, (await stores.pool()).id
    name, full = prefix(), f"{prefix()}.example.com"
    assert await stores.domains.add_domain(domain(a, name))
    assert not await stores.domains.add_domain(domain(b, name))  # another pool's name
    assert not await stores.domains.add_domain(domain(a, prefix()))  # a second prefix
    custom = dataclasses.replace(
        domain(a, full, DomainKind.CUSTOM),
        certificate_arn="arn:aws:acm:x",
        security_policy="TLS_V1",
    )
    assert await stores.domains.add_domain(custom)
    assert await stores.domains.get_domain(full) == custom
    assert {d.domain for d in await stores.domains.domains_of(a)} == {name, full}
    assert await stores.domains.domains_of(b) == []
    assert await stores.domains.get_domain(prefix()) is None


async def test_domain_changes_stay_in_their_pool(stores: Stores) -> None:
    a, b = (await stores.pool()).id, (await stores.pool()).id
    name = prefix()
    stored = domain(a, name)
    await stores.domains.add_domain(stored)
    later = NOW + timedelta(hours=1)
    hijack = dataclasses.replace(stored, pool_id=b, managed_login_version=2, modified=later)
    await stores.domains.save_domain(hijack)
    assert not await stores.domains.delete_domain(b, name)
    assert await stores.domains.get_domain(name) == stored

    changed = dataclasses.replace(stored, managed_login_version=2, modified=later)
    await stores.domains.save_domain(changed)
    assert await stores.domains.get_domain(name) == changed
    assert await stores.domains.delete_domain(a, name)
    assert await stores.domains.get_domain(name) is None
    assert await stores.domains.add_domain(domain(b, name))  # the name is free again


async def test_resource_servers_round_trip_page_and_stay_in_their_pool(stores: Stores) -> None:
    a, b = (await stores.pool()).id, (await stores.pool()).id
    scopes = (ResourceScope("read", "Read"), ResourceScope("write", "Wr\u00eete"))
    servers = [ResourceServer(a, f"https://api/{i}", f"API {i}", scopes) for i in range(5)]
    for server in reversed(servers):
        assert await stores.resource_servers.add_server(server)
    assert not await stores.resource_servers.add_server(servers[0])
    assert await stores.resource_servers.add_server(ResourceServer(b, "https://api/0", "B"))
    assert await stores.resource_servers.get_server(a, "https://api/0") == servers[0]
    assert await stores.resource_servers.count_servers(a) == 5

    listed: list[ResourceServer] = []
    token: str | None = None
    while True:
        page = await stores.resource_servers.list_servers(a, 2, token)
        listed += page.items
        if page.next_token is None:
            break
        token = page.next_token
    assert listed == servers

    assert await stores.resource_servers.scopes_of(a) == {
        f"https://api/{i}/{s}" for i in range(5) for s in ("read", "write")
    }
    assert await stores.resource_servers.scopes_of(b) == frozenset()

    await stores.resource_servers.save_server(ResourceServer(b, "https://api/1", "Hijack"))
    assert not await stores.resource_servers.delete_server(b, "https://api/2")
    assert await stores.resource_servers.get_server(a, "https://api/1") == servers[1]
    renamed = ResourceServer(a, "https://api/1", "Renamed", ())
    await stores.resource_servers.save_server(renamed)
    assert await stores.resource_servers.get_server(a, "https://api/1") == renamed
    assert await stores.resource_servers.delete_server(a, "https://api/1")
    assert await stores.resource_servers.get_server(a, "https://api/1") is None
    assert await stores.resource_servers.get_server(b, "https://api/0") is not None


async def test_ui_customizations_replace_per_client_and_pool(stores: Stores) -> None:
    a, b = (await stores.pool()).id, (await stores.pool()).id
    ui = UICustomization(a, "ALL", NOW, NOW, ".x{}", b"\x89PNG\r\n\x1a\nimage")
    await stores.branding.put_ui_customization(ui)
    assert await stores.branding.get_ui_customization(a, "ALL") == ui
    assert await stores.branding.get_ui_customization(b, "ALL") is None
    replaced = dataclasses.replace(ui, css=None, modified=NOW + timedelta(minutes=1))
    await stores.branding.put_ui_customization(replaced)
    assert await stores.branding.get_ui_customization(a, "ALL") == replaced
    await stores.branding.put_ui_customization(dataclasses.replace(ui, pool_id=b, css="b"))
    assert await stores.branding.get_ui_customization(a, "ALL") == replaced


async def test_managed_brandings_one_per_client_and_stay_in_their_pool(stores: Stores) -> None:
    pool_a, pool_b = await stores.pool(), await stores.pool()
    client = await stores.client(pool_a)
    asset = BrandingAsset("FORM_LOGO", "LIGHT", "PNG", b"\x00\x01bytes", "logo-1")
    branding = ManagedLoginBranding(
        str(uuid.uuid4()), pool_a.id, client.id, NOW, NOW, False, '{"a":1}', (asset,)
    )
    assert await stores.branding.add_managed(branding)
    again = dataclasses.replace(branding, id=str(uuid.uuid4()))
    assert not await stores.branding.add_managed(again)  # one per client
    assert await stores.branding.get_managed(pool_a.id, branding.id) == branding
    assert await stores.branding.managed_of_client(pool_a.id, client.id) == branding
    assert await stores.branding.get_managed(pool_b.id, branding.id) is None
    assert await stores.branding.managed_of_client(pool_b.id, ClientId(client.id)) is None

    await stores.branding.save_managed(dataclasses.replace(branding, pool_id=pool_b.id, assets=()))
    assert not await stores.branding.delete_managed(pool_b.id, branding.id)
    assert await stores.branding.get_managed(pool_a.id, branding.id) == branding

    changed = dataclasses.replace(branding, settings=None, assets=(), modified=NOW)
    await stores.branding.save_managed(changed)
    assert await stores.branding.get_managed(pool_a.id, branding.id) == changed
    assert await stores.branding.delete_managed(pool_a.id, branding.id)
    assert await stores.branding.managed_of_client(pool_a.id, client.id) is None


async def test_deleting_a_pool_deletes_its_domains_servers_and_branding(stores: Stores) -> None:
    pool = await stores.pool()
    client = await stores.client(pool)
    name = prefix()
    await stores.domains.add_domain(domain(pool.id, name))
    await stores.resource_servers.add_server(ResourceServer(pool.id, "api", "API"))
    await stores.branding.put_ui_customization(UICustomization(pool.id, "ALL", NOW, NOW))
    branding = ManagedLoginBranding(str(uuid.uuid4()), pool.id, client.id, NOW, NOW)
    await stores.branding.add_managed(branding)

    await stores.pools.delete_pool(pool.id)
    assert await stores.domains.get_domain(name) is None
    assert await stores.resource_servers.get_server(pool.id, "api") is None
    assert await stores.branding.get_ui_customization(pool.id, "ALL") is None
    assert await stores.branding.get_managed(pool.id, branding.id) is None


async def test_deleting_a_client_deletes_its_branding_only(stores: Stores) -> None:
    pool = await stores.pool()
    client, other = await stores.client(pool), await stores.client(pool)
    for owner in (client, other):
        await stores.branding.put_ui_customization(UICustomization(pool.id, owner.id, NOW, NOW))
        await stores.branding.add_managed(
            ManagedLoginBranding(str(uuid.uuid4()), pool.id, owner.id, NOW, NOW)
        )
    await stores.branding.put_ui_customization(UICustomization(pool.id, "ALL", NOW, NOW))
    await stores.clients.delete_client(PoolId("us-east-1_other"), client.id)  # not its pool
    assert await stores.branding.managed_of_client(pool.id, client.id) is not None

    await stores.clients.delete_client(pool.id, client.id)
    assert await stores.branding.get_ui_customization(pool.id, client.id) is None
    assert await stores.branding.managed_of_client(pool.id, client.id) is None
    assert await stores.branding.get_ui_customization(pool.id, other.id) is not None
    assert await stores.branding.managed_of_client(pool.id, other.id) is not None
    assert await stores.branding.get_ui_customization(pool.id, "ALL") is not None
