"""GET and POST /oauth2/userInfo: claims by scope, as Cognito gives them, for a bearer token with
`openid`; RFC 6750's challenges otherwise (the real application in-process)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from tests.support.factories import PASSWORD
from tests.support.inprocess import fresh_database
from tests.support.oauth import Domain, basic, domain

from mamori.api.aws.cognito_idp.challenges import sign_in_request
from mamori.services.userpools.clients import secret_hash

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp: Path) -> Any:
    with fresh_database(tmp, request.param) as url:
        yield url


@pytest.fixture()
async def d(database: str, tmp: Path) -> AsyncIterator[Domain]:
    async with domain(database, tmp) as opened:
        yield opened


async def access_token(d: Domain, *scopes: str) -> str:
    body = (await d.exchange(await d.code(scopes=scopes))).json()
    return str(body["access_token"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_claims_by_scope(d: Domain) -> None:
    token = await access_token(d, "openid")
    for call in (d.http.get, d.http.post):
        response = await call("/oauth2/userInfo", headers=bearer(token))
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "no-store"
        # `openid` alone: every attribute the client can read (values as strings, as Cognito).
        assert response.json() == {
            "sub": d.user.sub,
            "email": "al@example.com",
            "email_verified": "true",
            "name": "Al Ice",
            "phone_number": "+15555550100",
            "custom:team": "blue",
            "username": "al",
        }
    email = (
        await d.http.get(
            "/oauth2/userInfo", headers=bearer(await access_token(d, "openid", "email"))
        )
    ).json()
    assert email == {
        "sub": d.user.sub,
        "email": "al@example.com",
        "email_verified": "true",
        "username": "al",
    }
    profile = (
        await d.http.get(
            "/oauth2/userInfo", headers=bearer(await access_token(d, "openid", "profile"))
        )
    ).json()
    assert profile == {"sub": d.user.sub, "name": "Al Ice", "custom:team": "blue", "username": "al"}


async def test_tokens_that_dont_get_claims(d: Domain) -> None:
    bare = await d.http.get("/oauth2/userInfo")
    assert bare.status_code == 401
    assert bare.headers["www-authenticate"] == 'Bearer realm="userInfo"'
    invalid = await d.http.get("/oauth2/userInfo", headers=bearer("not-a-token"))
    assert invalid.status_code == 401
    assert 'error="invalid_token"' in invalid.headers["www-authenticate"]
    # No openid: insufficient_scope. Neither the API's tokens nor client_credentials have it.
    email_only = await d.http.get(
        "/oauth2/userInfo", headers=bearer(await access_token(d, "email"))
    )
    assert email_only.status_code == 403
    assert 'error="insufficient_scope"' in email_only.headers["www-authenticate"]
    await d.services.admin_users.admin_set_user_password(d.pool.id, "al", PASSWORD, permanent=True)
    api = await d.services.auth.initiate_auth(
        d.confidential.id,
        sign_in_request(
            "USER_PASSWORD_AUTH",
            {
                "USERNAME": "al",
                "PASSWORD": PASSWORD,
                "SECRET_HASH": secret_hash("al", d.confidential.id, d.secret),
            },
        ),
    )
    assert api.result is not None
    refused = await d.http.get("/oauth2/userInfo", headers=bearer(api.result.access_token))
    assert refused.status_code == 403
    machine = (
        await d.post(
            "/oauth2/token",
            {"grant_type": "client_credentials"},
            basic(d.confidential.id, d.secret),
        )
    ).json()["access_token"]
    assert (await d.http.get("/oauth2/userInfo", headers=bearer(machine))).status_code == 403
    # A revoked sign-in's token: invalid_token.
    body = (await d.exchange(await d.code(scopes=("openid",)))).json()
    await d.post(
        "/oauth2/revoke", {"token": body["refresh_token"]}, basic(d.confidential.id, d.secret)
    )
    revoked = await d.http.get("/oauth2/userInfo", headers=bearer(body["access_token"]))
    assert revoked.status_code == 401
    assert "revoked" in revoked.headers["www-authenticate"]
