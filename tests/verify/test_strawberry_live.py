"""AppSync's directives on a self-hosted strawberry API (examples/graphql) against a live mamori:
real tokens from InitiateAuth, checked by the real Verifier against the pool's JWKS, the sample
app served by uvicorn on a free port and called over HTTP. Each refusal has its positive control
through the same app."""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
import strawberry
import uvicorn
from examples.graphql.app import create_app
from tests.support.factories import make_client, make_pool, make_user, sign_in
from tests.support.live import Server, free_port

from mamori.verify import Verifier
from mamori.verify.strawberry import AppSyncAuth, AppSyncGraphQL, AwsCognitoUserPools, AwsOidc

FLOWS = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
ARTICLES = "{ articles { title internalNotes } }"
PAYROLL = "{ payroll { employee salary } }"

Ask = Callable[[str, str | None], httpx.Response]


class Realm:
    """A pool with groups admin and reader, and an app client for USER_PASSWORD_AUTH."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.pool_id = str(make_pool(server)["Id"])
        self.client_id = str(make_client(server, self.pool_id, ExplicitAuthFlows=FLOWS)["ClientId"])
        self.issuer = f"{server.url}/{self.pool_id}"
        for group in ("admin", "reader"):
            server.admin().create_group(UserPoolId=self.pool_id, GroupName=group)

    def user(self, *groups: str) -> dict[str, Any]:
        """A new user in `groups`, signed in: its AccessToken, IdToken and RefreshToken."""
        name = "u" + secrets.token_hex(4)
        make_user(self.server, self.pool_id, name)
        for group in groups:
            self.server.admin().admin_add_user_to_group(
                UserPoolId=self.pool_id, Username=name, GroupName=group
            )
        return sign_in(self.server, self.client_id, name)


@contextmanager
def serving(realm: Realm, **options: Any) -> Iterator[Ask]:
    """The sample app under a real uvicorn on a free port; yields `ask(query, authorization)`."""
    port = free_port()
    config = uvicorn.Config(
        create_app(realm.issuer, realm.client_id, **options),
        host="127.0.0.1",
        port=port,
        log_level="warning",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    http = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10)

    def ask(query: str, authorization: str | None = None) -> httpx.Response:
        headers = {} if authorization is None else {"Authorization": authorization}
        return http.post("/graphql", json={"query": query}, headers=headers)

    try:
        yield ask
    finally:
        http.close()  # before the server stops, so no kept-alive connection is cut
        server.should_exit = True
        thread.join(10)


@pytest.fixture(scope="module")
def realm(sqlite_server: Server) -> Realm:
    return Realm(sqlite_server)


@pytest.fixture(scope="module")
def ask(realm: Realm) -> Iterator[Ask]:
    """Access tokens only, revocation asked of mamori with no caching (ttl 0)."""
    with serving(realm, revocation_endpoint=realm.server.url, revocation_ttl=0) as ask:
        yield ask


def messages(response: httpx.Response) -> list[str]:
    return [error["message"] for error in response.json().get("errors", [])]


def test_admin_reads_what_a_reader_cannot(realm: Realm, ask: Ask) -> None:
    admin, reader = realm.user("admin")["AccessToken"], realm.user("reader")["AccessToken"]

    as_admin = ask("{ payroll { employee salary } articles { internalNotes } }", admin)
    assert as_admin.status_code == 200 and "errors" not in as_admin.json()
    assert as_admin.json()["data"]["payroll"][0] == {"employee": "alice", "salary": 5200}
    assert as_admin.json()["data"]["articles"][0]["internalNotes"] == "Check the figures."

    denied = ask(PAYROLL, reader)
    assert denied.status_code == 200  # as AppSync: the field refused, the request answered
    assert denied.json()["data"] is None
    [error] = denied.json()["errors"]
    assert error["errorType"] == "Unauthorized"
    assert error["message"] == "Not Authorized to access payroll on type Query"
    assert error["path"] == ["payroll"]

    # The type lets readers in; the field-level directive keeps the notes from them.
    articles = ask(ARTICLES, reader)
    assert [a["title"] for a in articles.json()["data"]["articles"]] == ["Hello", "Roadmap"]
    assert all(a["internalNotes"] is None for a in articles.json()["data"]["articles"])
    assert set(messages(articles)) == {"Not Authorized to access internalNotes on type Article"}

    # A user in no group: the directive-free `me` (default action ALLOW), nothing grouped.
    nobody = realm.user()
    me = ask("{ me }", nobody["AccessToken"])
    assert me.json()["data"]["me"].startswith("u")
    assert messages(ask(ARTICLES, nobody["AccessToken"])) == [
        "Not Authorized to access articles on type Query"
    ]


def test_mutation_by_group(realm: Realm, ask: Ask) -> None:
    mutation = 'mutation { publish(title: "T", body: "B") { title } }'
    reader = ask(mutation, realm.user("reader")["AccessToken"])
    assert messages(reader) == ["Not Authorized to access publish on type Mutation"]
    admin = ask(mutation, "Bearer " + realm.user("admin")["AccessToken"])  # Bearer taken too
    assert admin.json() == {"data": {"publish": {"title": "T"}}}


def test_anonymous_and_forged_calls_are_refused(realm: Realm, ask: Ask) -> None:
    for authorization in (None, "", "Bearer", "not.a.jwt"):
        refused = ask("{ me }", authorization)
        assert refused.status_code == 401, authorization
        assert refused.headers["x-amzn-errortype"] == "UnauthorizedException"
        assert refused.json()["errors"][0]["errorType"] == "UnauthorizedException"
        assert refused.json()["data"] is None
    token = realm.user("reader")["AccessToken"]
    head, payload, signature = token.split(".")
    tampered = ".".join(
        [head, payload, signature[:-4] + ("AAAA" if signature[-4:] != "AAAA" else "BBBB")]
    )
    assert ask("{ me }", tampered).status_code == 401
    assert ask("{ me }", token).status_code == 200  # the untouched token passes


def test_token_of_another_pool_is_refused(realm: Realm, ask: Ask) -> None:
    other = Realm(realm.server)
    stranger = other.user("admin")["AccessToken"]
    assert ask(PAYROLL, stranger).status_code == 401
    assert ask(PAYROLL, realm.user("admin")["AccessToken"]).status_code == 200


def test_revoked_tokens_are_refused(realm: Realm, ask: Ask) -> None:
    public = realm.server.public()
    # GlobalSignOut: every token of the user.
    signed_out = realm.user("admin")
    assert ask(PAYROLL, signed_out["AccessToken"]).status_code == 200
    public.global_sign_out(AccessToken=signed_out["AccessToken"])
    refused = ask(PAYROLL, signed_out["AccessToken"])
    assert refused.status_code == 401
    assert refused.json()["errors"][0]["message"] == "Token has been revoked."
    # RevokeToken: the refresh token and the access tokens issued with it.
    revoked = realm.user("admin")
    bystander = realm.user("admin")
    assert ask(PAYROLL, revoked["AccessToken"]).status_code == 200
    public.revoke_token(Token=revoked["RefreshToken"], ClientId=realm.client_id)
    assert ask(PAYROLL, revoked["AccessToken"]).status_code == 401
    assert ask(PAYROLL, bystander["AccessToken"]).status_code == 200


def test_revocation_answers_are_cached_for_their_ttl(realm: Realm) -> None:
    """The documented window: a live answer is reused for `ttl` seconds, so a revocation inside
    it goes unseen until it ends (here 300 s: the test never waits for it)."""
    with serving(realm, revocation_endpoint=realm.server.url, revocation_ttl=300) as cached:
        user = realm.user("admin")
        assert cached(PAYROLL, user["AccessToken"]).status_code == 200
        realm.server.public().global_sign_out(AccessToken=user["AccessToken"])
        assert cached(PAYROLL, user["AccessToken"]).status_code == 200
        other = realm.user("admin")
        realm.server.public().global_sign_out(AccessToken=other["AccessToken"])
        assert cached(PAYROLL, other["AccessToken"]).status_code == 401  # first asked after


def test_id_token_or_access_token_per_configuration(realm: Realm, ask: Ask) -> None:
    tokens = realm.user("admin")
    # token_use="access" (the sample's default): the ID token is refused.
    assert ask(PAYROLL, tokens["IdToken"]).status_code == 401
    assert ask(PAYROLL, tokens["AccessToken"]).status_code == 200
    # token_use="id": the other way round; the ID token's cognito:groups grant admin too.
    with serving(realm, token_use="id") as by_id:
        assert by_id(PAYROLL, tokens["AccessToken"]).status_code == 401
        response = by_id(PAYROLL, tokens["IdToken"])
        assert response.status_code == 200 and "errors" not in response.json()
        reader = realm.user("reader")["IdToken"]
        assert messages(by_id(PAYROLL, reader)) == [
            "Not Authorized to access payroll on type Query"
        ]


@strawberry.type
class PartnerQuery:
    @strawberry.field(directives=[AwsOidc()])
    def partner_report(self) -> str | None:
        return "for partners"

    @strawberry.field(directives=[AwsCognitoUserPools(cognito_groups=["admin"])])
    def staff_report(self) -> str | None:
        return "for staff"


def test_user_pools_and_oidc_modes_side_by_side(realm: Realm) -> None:
    """Two of mamori's pools as AppSync's two modes: staff through the user-pools mode, a
    partner pool as the OIDC mode (its ID tokens, as AppSync's OIDC mode takes them)."""
    partners = Realm(realm.server)
    auth = AppSyncAuth(
        user_pools=Verifier(realm.issuer, client_ids=[realm.client_id]),
        oidc=Verifier(partners.issuer, client_ids=[partners.client_id], token_use="id"),
    )
    app = AppSyncGraphQL(strawberry.Schema(query=PartnerQuery, extensions=[auth.extension()]))

    async def both() -> tuple[dict[str, Any], dict[str, Any]]:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as http:
            query = {"query": "{ partnerReport staffReport }"}
            partner = partners.user()["IdToken"]
            staff = realm.user("admin")["AccessToken"]
            by_partner = await http.post("/", json=query, headers={"Authorization": partner})
            by_staff = await http.post("/", json=query, headers={"Authorization": staff})
            return by_partner.json(), by_staff.json()

    by_partner, by_staff = asyncio.run(both())
    assert by_partner["data"] == {"partnerReport": "for partners", "staffReport": None}
    assert [e["message"] for e in by_partner["errors"]] == [
        "Not Authorized to access staffReport on type PartnerQuery"
    ]
    assert by_staff["data"] == {"partnerReport": None, "staffReport": "for staff"}
    assert [e["message"] for e in by_staff["errors"]] == [
        "Not Authorized to access partnerReport on type PartnerQuery"
    ]
