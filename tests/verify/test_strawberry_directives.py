"""mamori.verify.strawberry without a server: the directives in the printed SDL, AppSync's
precedence (field over type over default mode), ALLOW and DENY, the OIDC mode, the request
check's 401 and the error shapes, through strawberry's ASGI app with a stand-in verifier. The
real Verifier against a live mamori is in test_strawberry_live.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
import strawberry
from examples.graphql.schema import make_schema

from mamori.verify import Expired, Malformed
from mamori.verify.strawberry import (
    AppSyncAuth,
    AppSyncGraphQL,
    AuthMode,
    AwsCognitoUserPools,
    AwsIam,
    AwsOidc,
    DefaultAction,
    MamoriRevocation,
    NotAuthenticated,
)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class StandInVerifier:
    """Takes `<issuer>:<user>:<group,group>`; refuses other issuers, "expired" and junk."""

    def __init__(self, issuer: str) -> None:
        self.issuer = issuer

    async def averify(self, token: str) -> dict[str, Any]:
        if token == "expired":
            raise Expired("exp is past")
        parts = token.split(":")
        if len(parts) != 3 or parts[0] != self.issuer:
            raise Malformed("not a token of " + self.issuer)
        groups = [g for g in parts[2].split(",") if g]
        return {"username": parts[1], "cognito:groups": groups, "token_use": "access"}


@strawberry.type(directives=[AwsOidc()])
class Partner:
    name: str
    secret: str = strawberry.field(directives=[AwsIam()])
    shared: str = strawberry.field(directives=[AwsOidc(), AwsCognitoUserPools()])


@strawberry.type
class Note:
    text: str


@strawberry.type
class Query:
    @strawberry.field
    def open(self) -> str:
        return "open"

    @strawberry.field(directives=[AwsCognitoUserPools(cognito_groups=["admin"])])
    def note(self) -> Note:
        return Note(text="nested")

    @strawberry.field(directives=[AwsCognitoUserPools()])
    def signed_in(self) -> str:
        return "signed in"

    @strawberry.field(directives=[AwsCognitoUserPools(cognito_groups=["admin"])])
    def admin(self) -> str | None:
        return "admin"

    @strawberry.field(directives=[AwsOidc()])
    def partner(self) -> Partner:
        return Partner(name="acme", secret="s", shared="both")


Post = Callable[..., Any]


def client_for(schema: strawberry.Schema) -> Callable[[str, str | None], Any]:
    app = AppSyncGraphQL(schema, graphql_ide=None)

    async def post(query: str, authorization: str | None = None) -> httpx.Response:
        headers = {"Authorization": authorization} if authorization is not None else {}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            return await http.post("/graphql", json={"query": query}, headers=headers)

    return post


def small_schema(auth: AppSyncAuth) -> strawberry.Schema:
    return strawberry.Schema(query=Query, extensions=[auth.extension()])


def test_printed_sdl_carries_appsyncs_directives_without_definitions() -> None:
    sdl = make_schema().as_str()
    assert 'type Payslip @aws_cognito_user_pools(cognito_groups: ["admin"]) {' in sdl
    assert 'articles: [Article!]! @aws_auth(cognito_groups: ["admin", "reader"])' in sdl
    assert 'internalNotes: String @aws_cognito_user_pools(cognito_groups: ["admin"])' in sdl
    assert "directive @" not in sdl  # AppSync declares its own


@pytest.mark.anyio
async def test_default_allow_field_groups_and_unauthorized_shape() -> None:
    post = client_for(small_schema(AppSyncAuth(user_pools=StandInVerifier("pool"))))
    reader = await post("{ open signedIn admin }", "pool:rita:reader")
    assert reader.status_code == 200
    body = reader.json()
    assert body["data"] == {"open": "open", "signedIn": "signed in", "admin": None}
    assert body["errors"] == [
        {
            "path": ["admin"],
            "data": None,
            "errorType": "Unauthorized",
            "errorInfo": None,
            "locations": [{"line": 1, "column": 17, "sourceName": None}],
            "message": "Not Authorized to access admin on type Query",
        }
    ]
    admin = await post("{ open signedIn admin }", "Bearer pool:ada:admin")  # Bearer accepted
    assert admin.json() == {"data": {"open": "open", "signedIn": "signed in", "admin": "admin"}}


@pytest.mark.anyio
async def test_request_without_usable_token_is_401_before_any_resolver() -> None:
    post = client_for(small_schema(AppSyncAuth(user_pools=StandInVerifier("pool"))))
    for header, message in [
        (None, "Valid authorization header not provided."),
        ("Bearer ", "Valid authorization header not provided."),
        ("expired", "Token has expired."),
        ("other:ada:admin", "You are not authorized to make this call."),
    ]:
        response = await post("{ open }", header)
        assert response.status_code == 401, header
        assert response.headers["x-amzn-errortype"] == "UnauthorizedException"
        assert response.json() == {
            "data": None,
            "errors": [{"errorType": "UnauthorizedException", "message": message}],
        }
    assert (await post("{ open }", "pool:ada:")).json() == {"data": {"open": "open"}}


@pytest.mark.anyio
async def test_deny_refuses_what_no_directive_names_but_honours_directives() -> None:
    auth = AppSyncAuth(user_pools=StandInVerifier("pool"), default_action=DefaultAction.DENY)
    post = client_for(small_schema(auth))
    body = (await post("{ open signedIn admin }", "pool:ada:admin")).json()
    assert body["data"] is None  # `open` is non-null: its refusal nulls the whole data
    assert [e["message"] for e in body["errors"]] == ["Not Authorized to access open on type Query"]
    body = (await post("{ signedIn admin }", "pool:ada:admin")).json()
    assert body == {"data": {"signedIn": "signed in", "admin": "admin"}}
    # DENY is about top-level fields: an unannotated type below a permitted field is readable.
    body = (await post("{ note { text } }", "pool:ada:admin")).json()
    assert body == {"data": {"note": {"text": "nested"}}}
    body = (await post("{ note { text } }", "pool:rita:reader")).json()
    assert body["errors"][0]["message"] == "Not Authorized to access note on type Query"


@pytest.mark.anyio
async def test_oidc_mode_type_level_and_field_level_override() -> None:
    auth = AppSyncAuth(user_pools=StandInVerifier("pool"), oidc=StandInVerifier("oidc"))
    post = client_for(small_schema(auth))
    # An OIDC caller: the unannotated default-mode field and the user-pool field refuse it.
    body = (await post("{ partner { name shared } }", "oidc:pat:")).json()
    assert body == {"data": {"partner": {"name": "acme", "shared": "both"}}}
    body = (await post("{ partner { secret } }", "oidc:pat:")).json()
    assert body["errors"][0]["message"] == "Not Authorized to access secret on type Partner"
    body = (await post("{ signedIn }", "oidc:pat:")).json()
    assert body["errors"][0]["message"] == "Not Authorized to access signedIn on type Query"
    # A user-pool caller: the other way round; `shared` names both modes.
    body = (await post("{ signedIn }", "pool:ada:admin")).json()
    assert body == {"data": {"signedIn": "signed in"}}
    body = (await post("{ partner { name } }", "pool:ada:admin")).json()
    assert body["errors"][0]["message"] == "Not Authorized to access partner on type Query"


def test_configurations_appsync_refuses_are_refused() -> None:
    with pytest.raises(ValueError, match="needs its verifier"):
        AppSyncAuth(oidc=StandInVerifier("oidc"))
    with pytest.raises(ValueError, match="DENY"):
        AppSyncAuth(
            user_pools=StandInVerifier("pool"),
            oidc=StandInVerifier("oidc"),
            default_action=DefaultAction.DENY,
        )
    auth = AppSyncAuth(oidc=StandInVerifier("oidc"), default_mode=AuthMode.OIDC)
    assert auth.default_mode is AuthMode.OIDC


@pytest.mark.anyio
async def test_revocation_hook_refuses_with_401() -> None:
    async def is_revoked(token: str, claims: Any) -> bool:
        return bool(claims["username"] == "gone")

    auth = AppSyncAuth(user_pools=StandInVerifier("pool"), is_revoked=is_revoked)
    post = client_for(small_schema(auth))
    response = await post("{ open }", "pool:gone:admin")
    assert response.status_code == 401
    assert response.json()["errors"][0]["message"] == "Token has been revoked."
    assert (await post("{ open }", "pool:here:admin")).status_code == 200


@pytest.mark.anyio
async def test_mamori_revocation_caches_live_answers_for_ttl_and_fails_closed() -> None:
    answers = {"live": 200, "revoked": 400}
    asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["x-amz-target"] == "AWSCognitoIdentityProviderService.GetUser"
        token = request.read().decode().split('"')[3]
        asked.append(token)
        if token == "down":
            return httpx.Response(503)
        status = answers[token]
        body = {} if status == 200 else {"__type": "NotAuthorizedException"}
        return httpx.Response(status, json=body)

    now = [1000.0]
    check = MamoriRevocation(
        "http://mamori",
        ttl=30,
        client=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
        clock=lambda: now[0],
    )
    access = {"token_use": "access", "exp": 2**40}
    assert await check("live", access) is False
    assert await check("revoked", access) is True
    assert await check("live", access) is False and asked == ["live", "revoked"]
    answers["live"] = 400  # revoked at mamori: seen once the cached answer is older than ttl
    now[0] += 29
    assert await check("live", access) is False
    now[0] += 2
    assert await check("live", access) is True
    assert await check("revoked", access) is True and asked == ["live", "revoked", "live"]
    assert await check("down", access) is True  # no answer: refused, and not cached
    assert await check("id-token", {"token_use": "id"}) is False  # GetUser cannot judge it
    await check.aclose()


class StringGroupsVerifier:
    """An OIDC provider whose groups claim is one space-separated string."""

    def __init__(self, groups: Any) -> None:
        self.groups = groups

    async def averify(self, token: str) -> dict[str, Any]:
        return {"username": "sam", "groups": self.groups, "token_use": "id"}


@pytest.mark.anyio
async def test_a_string_groups_claim_is_names_not_letters() -> None:
    auth = AppSyncAuth(
        oidc=StringGroupsVerifier("admin reader"), default_mode=AuthMode.OIDC, groups_claim="groups"
    )
    identity = await auth.authenticate("Bearer t")
    assert identity.groups == frozenset({"admin", "reader"})
    assert "a" not in identity.groups
    # A claim that is neither a string nor a list of strings is no identity at all.
    odd = AppSyncAuth(
        oidc=StringGroupsVerifier(7), default_mode=AuthMode.OIDC, groups_claim="groups"
    )
    with pytest.raises(NotAuthenticated):
        await odd.authenticate("Bearer t")
