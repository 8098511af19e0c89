"""services/userpools/branding.py on the real services: what a hosted page gets for a client
(branding_for) from the pool's and the client's UI customization and managed login, and the
domain a pool's pages hang off (pool_for_host) on both databases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.support.inprocess import FrozenClock, fresh_database, services_on

from mamori.api.aws.cognito_idp.wire.clients import client_in
from mamori.api.aws.cognito_idp.wire.pools import pool_in
from mamori.domain.userpools.branding import BrandingAsset
from mamori.services.userpools.branding import BrandingDraft
from mamori.services.userpools.domains import CustomDomainConfig

PNG = b"\x89PNG\r\n\x1a\n" + b"logo"
JPEG = b"\xff\xd8\xff" + b"background"
CERT = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp: Path) -> Any:
    with fresh_database(tmp, request.param) as url:
        yield url


@pytest.mark.anyio
async def test_branding_for_a_client(database: str, tmp: Path) -> None:
    async with services_on(database, tmp, FrozenClock()) as s:
        pool = await s.pools.create_user_pool(pool_in({}, "brand"))
        await s.domains.create_user_pool_domain(pool.id, "brand-login", None, None)
        web = await s.clients.create_user_pool_client(pool.id, client_in({}), False)
        app = await s.clients.create_user_pool_client(pool.id, client_in({}), False)

        nothing = await s.branding.branding_for(pool.id, web.id)
        assert nothing.css is None and nothing.logo is None and dict(nothing.colors) == {}

        pool_css = ".banner-customizable{background-color:#123456}"
        await s.branding.set_ui_customization(pool.id, None, pool_css, PNG)
        page = await s.branding.branding_for(pool.id, web.id)
        assert page.css == ".banner-customizable { background-color: #123456; }"
        assert page.logo == PNG and page.logo_type == "image/png"

        # A client's own customization replaces the pool's whole (no logo: none).
        await s.branding.set_ui_customization(
            pool.id, app.id, ".label-customizable{font-weight:700}", None
        )
        page = await s.branding.branding_for(pool.id, app.id)
        assert page.css == ".label-customizable { font-weight: 700; }" and page.logo is None
        assert (await s.branding.branding_for(pool.id, web.id)).logo == PNG

        settings = {"components": {"pageText": {"lightMode": {"bodyColor": "222222ff"}}}}
        await s.branding.create_managed_login_branding(
            pool.id,
            web.id,
            BrandingDraft(
                settings=json.dumps(settings),
                assets=(BrandingAsset("PAGE_BACKGROUND", "LIGHT", "JPEG", JPEG),),
            ),
        )
        page = await s.branding.branding_for(pool.id, web.id)
        assert dict(page.colors) == {"text": "#222222ff"}
        assert page.background_image == JPEG and page.logo == PNG  # the classic logo stays
        assert dict((await s.branding.branding_for(pool.id, app.id)).colors) == {}


@pytest.mark.anyio
async def test_hosts_find_their_pool(database: str, tmp: Path) -> None:
    async with services_on(database, tmp, FrozenClock()) as s:
        pool = await s.pools.create_user_pool(pool_in({}, "hosts"))
        other = await s.pools.create_user_pool(pool_in({}, "other"))
        await s.domains.create_user_pool_domain(pool.id, "shop-login", None, None)
        await s.domains.create_user_pool_domain(
            pool.id, "ID.Shop.Example", CustomDomainConfig(CERT), 2
        )
        base = s.domains.auth_domain
        assert await s.domains.pool_for_host(f"shop-login.{base}:9229") == pool.id
        assert await s.domains.pool_for_host("id.shop.example") == pool.id
        assert await s.domains.pool_for_host(f"other.{base}") is None
        assert await s.domains.domain_of_pool(pool.id) == "id.shop.example"
        assert await s.domains.domain_of_pool(other.id) is None
        await s.pools.delete_user_pool(pool.id)
        assert await s.domains.pool_for_host("id.shop.example") is None
