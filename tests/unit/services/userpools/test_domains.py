"""DomainService.pool_for_host and domain_of_pool: which pool a hosted-domain Host is for."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from mamori.domain.ids import PoolId
from mamori.domain.userpools.domains import DomainKind, UserPoolDomain
from mamori.services.userpools.domains import DomainService

pytestmark = pytest.mark.anyio
NOW = datetime(2026, 1, 1, tzinfo=UTC)
A, B = PoolId("us-east-1_A"), PoolId("us-east-1_B")


@pytest.fixture()
def anyio_backend() -> str:
    return "asyncio"


class Domains:
    """An in-memory DomainStore with the lookups pool_for_host uses."""

    def __init__(self, *domains: UserPoolDomain) -> None:
        self.by_name = {d.domain: d for d in domains}

    async def get_domain(self, name: str) -> UserPoolDomain | None:
        return self.by_name.get(name)

    async def domains_of(self, pool_id: PoolId) -> list[UserPoolDomain]:
        return [d for d in self.by_name.values() if d.pool_id == pool_id]


def service(*domains: UserPoolDomain) -> DomainService:
    store: Any = Domains(*domains)
    return DomainService(store, pools=None, clock=None, auth_domain="Auth.Example.com")  # type: ignore[arg-type]


PREFIX = UserPoolDomain("login", A, DomainKind.PREFIX, NOW, NOW)
CUSTOM = UserPoolDomain("id.shop.com", A, DomainKind.CUSTOM, NOW, NOW)
OTHER = UserPoolDomain("other", B, DomainKind.PREFIX, NOW, NOW)


@pytest.mark.parametrize(
    ("host", "pool"),
    [
        ("login.auth.example.com", A),
        ("LOGIN.Auth.Example.COM:8443", A),
        ("login.auth.example.com.", A),
        ("id.shop.com", A),
        ("id.shop.com:443", A),
        ("other.auth.example.com", B),
        ("missing.auth.example.com", None),
        ("x.login.auth.example.com", None),  # a name below a prefix is no domain
        ("auth.example.com", None),
        (".auth.example.com", None),
        ("login", None),  # the bare prefix is not a Host of it
        ("login.example.com", None),
        ("[::1]:9229", None),
        ("", None),
    ],
)
async def test_pool_for_host(host: str, pool: PoolId | None) -> None:
    assert await service(PREFIX, CUSTOM, OTHER).pool_for_host(host) == pool


async def test_domain_of_pool_prefers_the_custom_domain() -> None:
    assert await service(PREFIX, CUSTOM).domain_of_pool(A) == "id.shop.com"
    assert await service(PREFIX).domain_of_pool(A) == "login.auth.example.com"
    assert await service(PREFIX).domain_of_pool(B) is None


async def test_cloudfront_domain_is_the_auth_domain_for_custom_domains() -> None:
    domains = service()
    assert domains.auth_domain == "auth.example.com"
    assert domains.cloudfront_domain(CUSTOM) == "auth.example.com"
    assert domains.cloudfront_domain(PREFIX) is None
