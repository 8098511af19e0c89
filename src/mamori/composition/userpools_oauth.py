"""Assembles what a pool's hosted domain is administered with: domains, resource servers and
branding (the services and their SQL stores), for wiring.py, the only caller."""

from __future__ import annotations

from typing import TypedDict

from sqlalchemy.ext.asyncio import AsyncEngine

from mamori.adapters.store.sql.branding import SqlBrandingStore
from mamori.adapters.store.sql.domains import SqlDomainStore
from mamori.adapters.store.sql.resource_servers import SqlResourceServerStore
from mamori.services.ports import Clock
from mamori.services.userpools.branding import BrandingService
from mamori.services.userpools.clients import ClientService
from mamori.services.userpools.domains import DomainService
from mamori.services.userpools.pools import PoolService
from mamori.services.userpools.resource_servers import ResourceServerService


class PoolDomainServices(TypedDict):
    """The `Services` fields this module builds (wiring passes them on with `**`)."""

    domains: DomainService
    resource_servers: ResourceServerService
    branding: BrandingService


def build_pool_domains(
    engine: AsyncEngine,
    pools: PoolService,
    clients: ClientService,
    clock: Clock,
    auth_domain: str,
) -> PoolDomainServices:
    domain_store = SqlDomainStore(engine)
    return PoolDomainServices(
        domains=DomainService(domain_store, pools, clock, auth_domain),
        resource_servers=ResourceServerService(SqlResourceServerStore(engine), pools),
        branding=BrandingService(SqlBrandingStore(engine), domain_store, pools, clients, clock),
    )
