"""POST /oauth2/token: the authorization_code, refresh_token and client_credentials grants, client
authentication, and every refusal as RFC 6749 section 5.2 and Cognito give it: the real
application in-process (tests/support/oauth.py: the pool's domain by path prefix), a frozen
clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from tests.support.inprocess import fresh_database
from tests.support.oauth import CALLBACK, VERIFIER, Domain, basic, domain
from tests.support.tokens import unverified

from mamori.api.aws.cognito_idp.wire.clients import client_in
from mamori.domain.errors import NotAuthorizedException
from mamori.domain.ids import PoolId
from mamori.domain.userpools.resource_servers import ResourceScope, ResourceServer
from mamori.protocols.oidc.core import at_hash

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp: Path) -> Any:
    with fresh_database(tmp, request.param) as url:
        yield url


@pytest.fixture()
async def d(database: str, tmp: Path) -> AsyncIterator[Domain]:
    async with domain(database, tmp) as opened:
        yield opened


def error_of(response: Any) -> str:
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"
    return str(response.json()["error"])


async def test_code_exchange_with_basic_and_pkce(d: Domain) -> None:
    code = await d.code(scopes=("openid", "email", "api/read"))
    response = await d.exchange(code)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"
    body = response.json()
    assert set(body) == {"access_token", "id_token", "refresh_token", "token_type", "expires_in"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    access, id_token = unverified(body["access_token"]), unverified(body["id_token"])
    assert access["scope"] == "openid email api/read"
    assert access["sub"] == d.user.sub and access["client_id"] == d.confidential.id
    assert id_token["nonce"] == "n-0S6_WzA2Mj"
    assert id_token["at_hash"] == at_hash(body["access_token"])
    assert id_token["aud"] == d.confidential.id and id_token["email"] == "al@example.com"
    assert id_token["iss"] == access["iss"] == d.services.tokens.issuer(d.pool.id)
    ctx = await d.services.tokens.check_access_token(body["access_token"], "openid")
    assert ctx.user.sub == d.user.sub


async def test_a_replayed_code_fails_and_revokes_what_it_issued(d: Domain) -> None:
    code = await d.code()
    first = (await d.exchange(code)).json()
    again = await d.exchange(code)
    assert again.status_code == 400 and error_of(again) == "invalid_grant"
    with pytest.raises(NotAuthorizedException) as exc:
        await d.services.tokens.check_access_token(first["access_token"], "openid")
    assert exc.value.message == "Access Token has been revoked"
    refreshed = await d.post(
        "/oauth2/token",
        {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        basic(d.confidential.id, d.secret),
    )
    assert error_of(refreshed) == "invalid_grant"


async def test_concurrent_exchanges_of_one_code_issue_nothing_that_lasts(d: Domain) -> None:
    """One redemption at most wins the code; the others are replays, which revoke what the
    winner got (before or after its answer, as they interleave): nothing usable is left."""
    code = await d.code()
    responses: list[Any] = []

    async def exchange() -> None:
        responses.append(await d.exchange(code))

    async with anyio.create_task_group() as tg:
        for _ in range(4):
            tg.start_soon(exchange)
    won = [r.json() for r in responses if r.status_code == 200]
    assert len(won) <= 1
    assert sum(error_of(r) == "invalid_grant" for r in responses if r.status_code != 200) >= 3
    for body in won:
        with pytest.raises(NotAuthorizedException):
            await d.services.tokens.check_access_token(body["access_token"], "openid")


async def test_a_code_is_bound_to_everything_its_request_named(d: Domain) -> None:
    for extra in (
        {"redirect_uri": CALLBACK + "/"},
        {"redirect_uri": CALLBACK.upper()},
        {"code_verifier": VERIFIER[:-1] + "A"},
        {"code_verifier": ""},
    ):
        response = await d.exchange(await d.code(), **extra)
        assert response.status_code == 400 and error_of(response) == "invalid_grant", extra
    # Another client of the pool may not redeem it.
    code = await d.code()
    other = await d.post(
        "/oauth2/token",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": CALLBACK,
            "code_verifier": VERIFIER,
            "client_id": d.public.id,
        },
    )
    assert error_of(other) == "invalid_grant"
    # A verifier for a code issued without a challenge is a downgrade: refused.
    response = await d.exchange(await d.code(code_challenge=None))
    assert error_of(response) == "invalid_grant"
    form_without = {"code_verifier": ""}
    ok = await d.exchange(await d.code(code_challenge=None), **form_without)
    assert ok.status_code == 200


async def test_codes_live_five_minutes(d: Domain) -> None:
    fresh, stale = await d.code(), await d.code()
    d.clock.advance(minutes=4, seconds=59)
    assert (await d.exchange(fresh)).status_code == 200
    d.clock.advance(seconds=1)
    assert error_of(await d.exchange(stale)) == "invalid_grant"


async def test_a_public_client_sends_its_id_and_the_verifier(d: Domain) -> None:
    code = await d.code(client=d.public, scopes=("openid", "profile"))
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": CALLBACK,
        "code_verifier": VERIFIER,
        "client_id": d.public.id,
    }
    response = await d.post("/oauth2/token", form)
    assert response.status_code == 200, response.text
    assert unverified(response.json()["access_token"])["scope"] == "openid profile"
    # Without openid, no ID token.
    code = await d.code(client=d.public, scopes=("email",))
    body = (await d.post("/oauth2/token", {**form, "code": code})).json()
    assert "id_token" not in body and "access_token" in body
    # A secret for a client that has none is a failed authentication.
    code = await d.code(client=d.public)
    response = await d.post("/oauth2/token", {**form, "code": code, "client_secret": "x"})
    assert response.status_code == 400 and error_of(response) == "invalid_client"


async def test_client_authentication(d: Domain) -> None:
    code_form = {"grant_type": "client_credentials", "client_id": d.confidential.id}
    # client_secret_post works as Basic does.
    ok = await d.post("/oauth2/token", {**code_form, "client_secret": d.secret})
    assert ok.status_code == 200
    wrong = await d.post("/oauth2/token", code_form, basic(d.confidential.id, "wrong"))
    assert wrong.status_code == 401 and error_of(wrong) == "invalid_client"
    assert wrong.headers["www-authenticate"].startswith("Basic")
    posted = await d.post("/oauth2/token", {**code_form, "client_secret": "wrong"})
    assert posted.status_code == 400 and error_of(posted) == "invalid_client"
    assert "www-authenticate" not in posted.headers
    missing = await d.post("/oauth2/token", code_form)
    assert error_of(missing) == "invalid_client"
    unknown = await d.post(
        "/oauth2/token", {"grant_type": "client_credentials"}, basic("nobody", "x")
    )
    assert unknown.status_code == 401 and error_of(unknown) == "invalid_client"
    both = await d.post(
        "/oauth2/token",
        {**code_form, "client_secret": d.secret},
        basic(d.confidential.id, d.secret),
    )
    assert error_of(both) == "invalid_request"
    named_other = await d.post(
        "/oauth2/token",
        {**code_form, "client_id": d.public.id},
        basic(d.confidential.id, d.secret),
    )
    assert error_of(named_other) == "invalid_request"


async def test_the_form_is_strict(d: Domain) -> None:
    auth = basic(d.confidential.id, d.secret)
    as_json = await d.http.post("/oauth2/token", json={"grant_type": "client_credentials"})
    assert as_json.status_code == 400 and error_of(as_json) == "invalid_request"
    repeated = await d.http.post(
        "/oauth2/token",
        content=b"grant_type=client_credentials&grant_type=client_credentials",
        headers={**auth, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert error_of(repeated) == "invalid_request"
    assert "repeated" in repeated.json()["error_description"]
    huge = await d.post("/oauth2/token", {"grant_type": "client_credentials", "x": "a" * 70000})
    assert error_of(huge) == "invalid_request"
    assert error_of(await d.post("/oauth2/token", {}, auth)) == "invalid_request"
    password = await d.post("/oauth2/token", {"grant_type": "password"}, auth)
    assert error_of(password) == "unsupported_grant_type"
    no_code = await d.post("/oauth2/token", {"grant_type": "authorization_code"}, auth)
    assert error_of(no_code) == "invalid_request"
    method = await d.http.get("/oauth2/token")
    assert method.status_code == 405


async def test_client_credentials(d: Domain) -> None:
    auth = basic(d.confidential.id, d.secret)
    form = {"grant_type": "client_credentials"}
    body = (await d.post("/oauth2/token", form, auth)).json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    claims = unverified(body["access_token"])
    # Every resource-server scope the client is allowed, when it names none.
    assert claims["scope"] == "api/read api/write"
    assert claims["sub"] == claims["client_id"] == d.confidential.id
    one = (await d.post("/oauth2/token", {**form, "scope": "api/write"}, auth)).json()
    assert unverified(one["access_token"])["scope"] == "api/write"
    for bad in ("openid", "api/read api/delete", "other/read"):
        refused = await d.post("/oauth2/token", {**form, "scope": bad}, auth)
        assert error_of(refused) == "invalid_scope", bad
    # A scope deleted from its resource server is no longer issued.
    await d.services.resource_servers.update_resource_server(
        d.pool.id,
        ResourceServer(PoolId(d.pool.id), "api", "API", (ResourceScope("read", "read it"),)),
    )
    after = (await d.post("/oauth2/token", form, auth)).json()
    assert unverified(after["access_token"])["scope"] == "api/read"
    gone = await d.post("/oauth2/token", {**form, "scope": "api/write"}, auth)
    assert error_of(gone) == "invalid_scope"
    await d.services.resource_servers.delete_resource_server(d.pool.id, "api")
    assert error_of(await d.post("/oauth2/token", form, auth)) == "invalid_scope"


async def test_clients_are_held_to_their_oauth_flows(d: Domain) -> None:
    public = await d.post(
        "/oauth2/token", {"grant_type": "client_credentials", "client_id": d.public.id}
    )
    assert error_of(public) == "unauthorized_client"
    s = d.services
    plain = await s.clients.create_user_pool_client(
        d.pool.id, client_in({"ClientName": "no-oauth", "CallbackURLs": [CALLBACK]}), True
    )
    assert plain.secret is not None
    auth = basic(plain.id, plain.secret)
    refused = await d.post("/oauth2/token", {"grant_type": "client_credentials"}, auth)
    assert error_of(refused) == "unauthorized_client"
    code = await d.code(client=plain)
    response = await d.post(
        "/oauth2/token",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": CALLBACK,
            "code_verifier": VERIFIER,
        },
        auth,
    )
    assert error_of(response) == "unauthorized_client"


async def test_refresh_token_grant_with_and_without_rotation(d: Domain) -> None:
    s = d.services
    auth = basic(d.confidential.id, d.secret)
    first = (await d.exchange(await d.code(scopes=("openid", "api/read")))).json()
    refreshed = await d.post(
        "/oauth2/token",
        {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        auth,
    )
    body = refreshed.json()
    # No rotation: no new refresh token; the scopes granted at sign-in, an ID token (openid).
    assert set(body) == {"access_token", "id_token", "token_type", "expires_in"}
    assert unverified(body["access_token"])["scope"] == "openid api/read"
    assert "nonce" not in unverified(body["id_token"])

    rotating = await s.clients.create_user_pool_client(
        d.pool.id,
        client_in(
            {
                "ClientName": "rotating",
                "AllowedOAuthFlowsUserPoolClient": True,
                "AllowedOAuthFlows": ["code"],
                "AllowedOAuthScopes": ["openid"],
                "CallbackURLs": [CALLBACK],
                "RefreshTokenRotation": {"Feature": "ENABLED", "RetryGracePeriodSeconds": 10},
            }
        ),
        True,
    )
    assert rotating.secret is not None
    r_auth = basic(rotating.id, rotating.secret)
    code = await d.code(client=rotating, scopes=("openid",))
    start = (
        await d.post(
            "/oauth2/token",
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": CALLBACK,
                "code_verifier": VERIFIER,
            },
            r_auth,
        )
    ).json()
    old = start["refresh_token"]
    renewed = (
        await d.post("/oauth2/token", {"grant_type": "refresh_token", "refresh_token": old}, r_auth)
    ).json()
    assert renewed["refresh_token"] != old
    # The rotated-out token works within the grace period, then revokes the whole family.
    d.clock.advance(seconds=9)
    again = {"grant_type": "refresh_token", "refresh_token": old}
    assert (await d.post("/oauth2/token", again, r_auth)).status_code == 200
    d.clock.advance(seconds=2)
    reuse = await d.post("/oauth2/token", again, r_auth)
    assert error_of(reuse) == "invalid_grant"
    newest = {"grant_type": "refresh_token", "refresh_token": renewed["refresh_token"]}
    assert error_of(await d.post("/oauth2/token", newest, r_auth)) == "invalid_grant"
    # Another client's refresh token is not this one's to use.
    other = await d.post(
        "/oauth2/token", {**again, "refresh_token": first["refresh_token"]}, r_auth
    )
    assert error_of(other) == "invalid_grant"


async def test_a_refresh_drops_the_resource_server_scopes_deleted_since(d: Domain) -> None:
    auth = basic(d.confidential.id, d.secret)
    first = (await d.exchange(await d.code(scopes=("openid", "api/read", "api/write")))).json()
    again = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    before = (await d.post("/oauth2/token", again, auth)).json()
    assert unverified(before["access_token"])["scope"] == "openid api/read api/write"
    await d.services.resource_servers.update_resource_server(
        d.pool.id,
        ResourceServer(PoolId(d.pool.id), "api", "API", (ResourceScope("read", "read it"),)),
    )
    after = (await d.post("/oauth2/token", again, auth)).json()
    assert unverified(after["access_token"])["scope"] == "openid api/read"
    await d.services.resource_servers.delete_resource_server(d.pool.id, "api")
    last = (await d.post("/oauth2/token", again, auth)).json()
    assert unverified(last["access_token"])["scope"] == "openid"
