"""POST /oauth2/revoke: a refresh token revokes its sign-in's family, as RevokeToken does; access
tokens are unsupported_token_type; unknown tokens are not an error (RFC 7009)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from tests.support.inprocess import fresh_database
from tests.support.oauth import Domain, basic, domain

from mamori.domain.errors import NotAuthorizedException

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp: Path) -> Any:
    with fresh_database(tmp, request.param) as url:
        yield url


@pytest.fixture()
async def d(database: str, tmp: Path) -> AsyncIterator[Domain]:
    async with domain(database, tmp) as opened:
        yield opened


async def test_revoking_a_refresh_token_ends_its_family(d: Domain) -> None:
    auth = basic(d.confidential.id, d.secret)
    kept = (await d.exchange(await d.code())).json()
    ended = (await d.exchange(await d.code())).json()
    response = await d.post("/oauth2/revoke", {"token": ended["refresh_token"]}, auth)
    assert response.status_code == 200 and response.content == b""
    with pytest.raises(NotAuthorizedException):
        await d.services.tokens.check_access_token(ended["access_token"], "openid")
    refresh = {"grant_type": "refresh_token", "refresh_token": ended["refresh_token"]}
    assert (await d.post("/oauth2/token", refresh, auth)).json()["error"] == "invalid_grant"
    # The user's other sign-in is untouched.
    await d.services.tokens.check_access_token(kept["access_token"], "openid")
    # Unknown tokens and repeats: 200.
    assert (await d.post("/oauth2/revoke", {"token": "unknown"}, auth)).status_code == 200
    again = await d.post("/oauth2/revoke", {"token": ended["refresh_token"]}, auth)
    assert again.status_code == 200


async def test_refusals(d: Domain) -> None:
    auth = basic(d.confidential.id, d.secret)
    body = (await d.exchange(await d.code())).json()
    access = await d.post("/oauth2/revoke", {"token": body["access_token"]}, auth)
    assert access.status_code == 400
    assert access.json()["error"] == "unsupported_token_type"
    wrong = await d.post(
        "/oauth2/revoke", {"token": body["refresh_token"]}, basic(d.confidential.id, "x")
    )
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    # Another client can't revoke this client's token.
    other = await d.post(
        "/oauth2/revoke", {"token": body["refresh_token"], "client_id": d.public.id}
    )
    assert other.json()["error"] == "invalid_grant"
    await d.services.tokens.check_access_token(body["access_token"], "openid")
    missing = await d.post("/oauth2/revoke", {}, auth)
    assert missing.json()["error"] == "invalid_request"
