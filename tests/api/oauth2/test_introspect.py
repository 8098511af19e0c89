"""POST /oauth2/introspect (RFC 7662, an extension Cognito lacks): the real application
in-process (tests/support/oauth.py: the pool's domain by path prefix) on SQLite and PostgreSQL,
a frozen clock the tests move. Each inactive answer sits beside an active one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from tests.support.inprocess import fresh_database
from tests.support.oauth import Domain, basic, domain, make_pool

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp: Path) -> Any:
    with fresh_database(tmp, request.param) as url:
        yield url


@pytest.fixture()
async def d(database: str, tmp: Path) -> AsyncIterator[Domain]:
    async with domain(database, tmp) as opened:
        yield opened


async def signed_in(d: Domain) -> dict[str, Any]:
    response = await d.exchange(await d.code(scopes=("openid", "email", "api/read")))
    assert response.status_code == 200, response.text
    return dict(response.json())


async def introspect(d: Domain, token: str, **form: str) -> dict[str, Any]:
    response = await d.post(
        "/oauth2/introspect", {"token": token, **form}, basic(d.confidential.id, d.secret)
    )
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    return dict(response.json())


async def test_an_active_user_token_with_its_claims(d: Domain) -> None:
    tokens = await signed_in(d)
    body = await introspect(d, tokens["access_token"], token_type_hint="access_token")
    assert body["active"] is True
    assert body["scope"] == "openid email api/read"
    assert body["client_id"] == d.confidential.id
    assert body["username"] == "al" and body["sub"] == d.user.sub
    assert body["token_use"] == "access" and body["token_type"] == "Bearer"
    assert body["iss"] == d.services.tokens.issuer(d.pool.id)
    assert body["exp"] == body["iat"] + 3600


async def test_client_secret_post_works_too(d: Domain) -> None:
    tokens = await signed_in(d)
    response = await d.post(
        "/oauth2/introspect",
        {
            "token": tokens["access_token"],
            "client_id": d.confidential.id,
            "client_secret": d.secret,
        },
    )
    assert response.status_code == 200 and response.json()["active"] is True


async def test_an_expired_token_is_inactive(d: Domain) -> None:
    tokens = await signed_in(d)
    assert (await introspect(d, tokens["access_token"]))["active"] is True
    d.clock.advance(seconds=3601)
    assert await introspect(d, tokens["access_token"]) == {"active": False}


async def test_a_revoked_sign_in_is_inactive_at_once(d: Domain) -> None:
    tokens, other = await signed_in(d), await signed_in(d)
    revoked = await d.post(
        "/oauth2/revoke",
        {"token": tokens["refresh_token"]},
        basic(d.confidential.id, d.secret),
    )
    assert revoked.status_code == 200, revoked.text
    assert await introspect(d, tokens["access_token"]) == {"active": False}
    assert (await introspect(d, other["access_token"]))["active"] is True


async def test_a_disabled_user_makes_the_token_inactive(d: Domain) -> None:
    tokens = await signed_in(d)
    assert (await introspect(d, tokens["access_token"]))["active"] is True
    await d.services.admin_users.admin_set_enabled(d.pool.id, "al", False)
    assert await introspect(d, tokens["access_token"]) == {"active": False}


async def test_id_refresh_and_garbage_tokens_are_inactive(d: Domain) -> None:
    tokens = await signed_in(d)
    assert (await introspect(d, tokens["access_token"]))["active"] is True
    for token in (tokens["id_token"], tokens["refresh_token"], "not-a-token", "a.b.c"):
        assert await introspect(d, token) == {"active": False}


async def test_a_client_credentials_token_is_active_while_its_client_is(d: Domain) -> None:
    response = await d.post(
        "/oauth2/token",
        {"grant_type": "client_credentials", "scope": "api/read"},
        basic(d.confidential.id, d.secret),
    )
    assert response.status_code == 200, response.text
    body = await introspect(d, response.json()["access_token"])
    assert body["active"] is True and body["client_id"] == d.confidential.id
    assert body["scope"] == "api/read" and "username" not in body


async def test_another_pools_token_is_inactive(d: Domain) -> None:
    pool, client, _, _ = await make_pool(d.services, "other")
    token, _ = await d.services.tokens.issue_client_token(pool, client, ("api/read",))
    ours, _ = await d.services.tokens.issue_client_token(d.pool, d.confidential, ("api/read",))
    assert (await introspect(d, ours))["active"] is True
    assert await introspect(d, token) == {"active": False}
    # Its own client can't ask here either: it is unknown on this pool's domain.
    assert client.secret is not None
    response = await d.post("/oauth2/introspect", {"token": token}, basic(client.id, client.secret))
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


async def test_callers_must_authenticate_with_a_secret(d: Domain) -> None:
    tokens = await signed_in(d)
    token = tokens["access_token"]
    public = await d.post("/oauth2/introspect", {"token": token, "client_id": d.public.id})
    assert public.status_code == 400 and public.json()["error"] == "invalid_client"
    wrong = await d.post("/oauth2/introspect", {"token": token}, basic(d.confidential.id, "nope"))
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    assert wrong.headers["www-authenticate"].startswith("Basic")
    anonymous = await d.post("/oauth2/introspect", {"token": token})
    assert anonymous.status_code == 400 and anonymous.json()["error"] in (
        "invalid_client",
        "invalid_request",
    )
    assert (await introspect(d, token))["active"] is True


async def test_bad_requests(d: Domain) -> None:
    missing = await d.post("/oauth2/introspect", {}, basic(d.confidential.id, d.secret))
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"
    get = await d.http.get("/oauth2/introspect")
    assert get.status_code == 405 and get.headers["allow"] == "POST"
    assert get.json()["error"] == "invalid_request"
