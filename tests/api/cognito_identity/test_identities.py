"""Identities over the wire: GetId, GetOpenIdToken and its issuer, login checks, linking,
ServerSideTokenCheck and developer-authenticated identities, on both databases."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import jwt
import pytest
from botocore.exceptions import ClientError
from tests.support.factories import make_client, make_pool, make_user, sign_in
from tests.support.identity import (
    aws_key,
    claims,
    expired,
    fetch_json,
    forged,
    identity_admin,
    identity_public,
    issuer_key,
    make_identity_pool,
    pool_signing_key,
    resign,
)
from tests.support.live import Server

IDENTITY_ID = re.compile(
    r"^us-east-1:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
)
DEVELOPER = "login.mamori.test"


def error_of(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    err = exc.value.response["Error"]
    return err["Code"], err["Message"]


@dataclass
class Env:
    server: Server
    a: str  # user pool A, configured in every identity pool
    a1: str  # A's client the checked pool names
    a2: str  # another client of A
    b: str  # user pool B
    b1: str
    checked: str  # ClientId a1, ServerSideTokenCheck, guests allowed, developer provider
    plain: str  # issuer-form provider name, any client, no server-side check, no basic flow
    two: str  # user pools A and B

    def user(
        self, pool: str | None = None, client: str | None = None
    ) -> tuple[str, dict[str, Any]]:
        pool = pool or self.a
        username = make_user(self.server, pool)
        return username, sign_in(self.server, client or self.a1, username)


@pytest.fixture(scope="module")
def env(server: Server) -> Env:
    a = make_pool(server)["Id"]
    a1 = make_client(server, a)["ClientId"]
    a2 = make_client(server, a)["ClientId"]
    b = make_pool(server)["Id"]
    b1 = make_client(server, b)["ClientId"]
    checked = make_identity_pool(
        server,
        AllowUnauthenticatedIdentities=True,
        DeveloperProviderName=DEVELOPER,
        CognitoIdentityProviders=[
            {"ProviderName": aws_key(a), "ClientId": a1, "ServerSideTokenCheck": True}
        ],
    )["IdentityPoolId"]
    plain = make_identity_pool(
        server,
        AllowClassicFlow=False,
        CognitoIdentityProviders=[{"ProviderName": issuer_key(server, a)}],
    )["IdentityPoolId"]
    two = make_identity_pool(
        server,
        CognitoIdentityProviders=[
            {"ProviderName": aws_key(a), "ClientId": a1},
            {"ProviderName": aws_key(b), "ClientId": b1},
        ],
    )["IdentityPoolId"]
    return Env(server, a, a1, a2, b, b1, checked, plain, two)


def get_id(env: Env, pool: str, logins: dict[str, str] | None = None) -> str:
    params: dict[str, Any] = {"IdentityPoolId": pool}
    if logins is not None:
        params["Logins"] = logins
    return str(identity_public(env.server).get_id(**params)["IdentityId"])


def refused(call: Any, **params: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as exc:
        call(**params)
    return error_of(exc)


def test_identity_is_stable_per_user_in_both_key_forms(env: Env) -> None:
    username, tokens = env.user()
    by_aws = get_id(env, env.checked, {aws_key(env.a): tokens["IdToken"]})
    assert IDENTITY_ID.match(by_aws)
    by_issuer = get_id(env, env.checked, {issuer_key(env.server, env.a): tokens["IdToken"]})
    assert by_issuer == by_aws
    again = sign_in(env.server, env.a1, username)  # a new sign-in, a new token
    assert get_id(env, env.checked, {aws_key(env.a): again["IdToken"]}) == by_aws
    _, other = env.user()
    assert get_id(env, env.checked, {aws_key(env.a): other["IdToken"]}) != by_aws
    # Another identity pool: another identity for the same user.
    assert get_id(env, env.plain, {aws_key(env.a): tokens["IdToken"]}) != by_aws
    described = identity_admin(env.server).describe_identity(IdentityId=by_aws)
    assert described["Logins"] == [aws_key(env.a)]


def test_unauthenticated_identities_only_where_allowed(env: Env) -> None:
    first, second = get_id(env, env.checked), get_id(env, env.checked)
    assert IDENTITY_ID.match(first) and first != second
    code, message = refused(identity_public(env.server).get_id, IdentityPoolId=env.plain)
    assert (code, message) == (
        "NotAuthorizedException",
        "Unauthenticated access is not supported for this identity pool.",
    )
    code, _ = refused(
        identity_public(env.server).get_id,
        IdentityPoolId="us-east-1:00000000-0000-0000-0000-000000000000",
    )
    assert code == "ResourceNotFoundException"


@pytest.mark.parametrize(
    "case",
    [
        "forged",
        "expired",
        "access token",
        "other client",
        "wrong issuer",
        "token_use access",
        "foreign pool under its own key",
        "foreign pool under A's key",
        "garbage",
        "unknown provider",
    ],
)
def test_refused_login_tokens(env: Env, case: str) -> None:
    _, tokens = env.user()
    id_token = tokens["IdToken"]
    key_a = aws_key(env.a)
    logins: dict[str, str]
    if case == "forged":
        logins = {key_a: forged(id_token)}
    elif case == "expired":
        logins = {key_a: expired(pool_signing_key(env.server, env.a), id_token)}
    elif case == "access token":
        logins = {key_a: tokens["AccessToken"]}
    elif case == "other client":
        logins = {key_a: sign_in(env.server, env.a2, env.user()[0])["IdToken"]}
    elif case == "wrong issuer":
        logins = {key_a: resign(pool_signing_key(env.server, env.a), id_token, iss="https://x/y")}
    elif case == "token_use access":
        logins = {key_a: resign(pool_signing_key(env.server, env.a), id_token, token_use="access")}
    elif case == "foreign pool under its own key":
        _, b_tokens = env.user(env.b, env.b1)
        logins = {aws_key(env.b): b_tokens["IdToken"]}
    elif case == "foreign pool under A's key":
        _, b_tokens = env.user(env.b, env.b1)
        logins = {key_a: b_tokens["IdToken"]}
    elif case == "garbage":
        logins = {key_a: "not.a.jwt"}
    else:
        logins = {"accounts.google.com": id_token}
    code, message = refused(
        identity_public(env.server).get_id, IdentityPoolId=env.checked, Logins=logins
    )
    assert code == "NotAuthorizedException", message
    assert message.startswith("Invalid login token."), message
    if case == "expired":
        assert "expired" in message


def test_server_side_token_check_refuses_signed_out_and_disabled_users(env: Env) -> None:
    username, tokens = env.user()
    logins = {aws_key(env.a): tokens["IdToken"]}
    identity = get_id(env, env.checked, logins)
    plain_identity = get_id(env, env.plain, logins)
    env.server.public().global_sign_out(AccessToken=tokens["AccessToken"])
    code, message = refused(
        identity_public(env.server).get_id, IdentityPoolId=env.checked, Logins=logins
    )
    assert code == "NotAuthorizedException" and "revoked" in message
    code, _ = refused(
        identity_public(env.server).get_open_id_token, IdentityId=identity, Logins=logins
    )
    assert code == "NotAuthorizedException"
    # Cognito: without ServerSideTokenCheck a signed-out user's ID token works until it expires.
    assert get_id(env, env.plain, logins) == plain_identity
    # A new sign-in works again; a disabled user does not.
    fresh = sign_in(env.server, env.a1, username)
    assert get_id(env, env.checked, {aws_key(env.a): fresh["IdToken"]}) == identity
    env.server.admin().admin_disable_user(UserPoolId=env.a, Username=username)
    code, _ = refused(
        identity_public(env.server).get_id,
        IdentityPoolId=env.checked,
        Logins={aws_key(env.a): fresh["IdToken"]},
    )
    assert code == "NotAuthorizedException"


def test_open_id_token_claims_and_public_issuer(env: Env) -> None:
    _, tokens = env.user()
    logins = {issuer_key(env.server, env.a): tokens["IdToken"]}
    identity = get_id(env, env.checked, logins)
    result = identity_public(env.server).get_open_id_token(IdentityId=identity, Logins=logins)
    assert result["IdentityId"] == identity
    token = result["Token"]
    discovery = fetch_json(f"{env.server.url}/identity/.well-known/openid-configuration")
    assert discovery["issuer"] == f"{env.server.url}/identity"
    signing_key = jwt.PyJWKClient(discovery["jwks_uri"]).get_signing_key_from_jwt(token)
    verified = jwt.decode(
        token,
        signing_key.key,
        algorithms=discovery["id_token_signing_alg_values_supported"],
        audience=env.checked,
        issuer=discovery["issuer"],
    )
    sub = claims(tokens["IdToken"])["sub"]
    assert verified["sub"] == identity
    assert verified["amr"] == [
        "authenticated",
        aws_key(env.a),
        f"{aws_key(env.a)}:CognitoSignIn:{sub}",
    ]
    assert verified["exp"] - verified["iat"] == 600
    guest = get_id(env, env.checked)
    guest_token = identity_public(env.server).get_open_id_token(IdentityId=guest)["Token"]
    assert claims(guest_token)["amr"] == ["unauthenticated"]
    assert claims(guest_token)["aud"] == env.checked


def test_open_id_token_needs_the_identity_s_login(env: Env) -> None:
    _, tokens = env.user()
    identity = get_id(env, env.checked, {aws_key(env.a): tokens["IdToken"]})
    public = identity_public(env.server)
    assert refused(public.get_open_id_token, IdentityId=identity) == (
        "NotAuthorizedException",
        f"Access to Identity '{identity}' is forbidden.",
    )
    _, other = env.user()
    code, message = refused(
        public.get_open_id_token, IdentityId=identity, Logins={aws_key(env.a): other["IdToken"]}
    )
    assert code == "NotAuthorizedException" and "Logins don't match" in message
    code, _ = refused(
        public.get_open_id_token, IdentityId="us-east-1:00000000-0000-0000-0000-000000000000"
    )
    assert code == "ResourceNotFoundException"


def test_basic_flow_refused_when_disabled(env: Env) -> None:
    _, tokens = env.user()
    logins = {aws_key(env.a): tokens["IdToken"]}
    identity = get_id(env, env.plain, logins)
    assert refused(
        identity_public(env.server).get_open_id_token, IdentityId=identity, Logins=logins
    ) == (
        "InvalidParameterException",
        "Basic (classic) flow is not enabled, please use enhanced flow.",
    )


def test_principal_tags_become_the_tags_claim(env: Env) -> None:
    pool = make_identity_pool(env.server, env.a, env.a1, AllowUnauthenticatedIdentities=False)[
        "IdentityPoolId"
    ]
    identity_admin(env.server).set_principal_tag_attribute_map(
        IdentityPoolId=pool,
        IdentityProviderName=aws_key(env.a),
        UseDefaults=True,
        PrincipalTags={"mail": "email", "missing": "custom:nothing"},
    )
    username, tokens = env.user()
    logins = {aws_key(env.a): tokens["IdToken"]}
    identity = get_id(env, pool, logins)
    token = identity_public(env.server).get_open_id_token(IdentityId=identity, Logins=logins)
    id_claims = claims(tokens["IdToken"])
    assert claims(token["Token"])["https://aws.amazon.com/tags"] == {
        "principal_tags": {
            "username": [id_claims["sub"]],
            "client": [env.a1],
            "mail": [f"{username}@example.com"],
        }
    }


def test_linking_two_providers_and_unlinking(env: Env) -> None:
    _, a_tokens = env.user()
    _, b_tokens = env.user(env.b, env.b1)
    key_a, key_b = aws_key(env.a), aws_key(env.b)
    public = identity_public(env.server)
    identity = get_id(env, env.two, {key_a: a_tokens["IdToken"]})
    public.get_open_id_token(
        IdentityId=identity, Logins={key_a: a_tokens["IdToken"], key_b: b_tokens["IdToken"]}
    )
    admin = identity_admin(env.server)
    assert admin.describe_identity(IdentityId=identity)["Logins"] == sorted([key_a, key_b])
    assert get_id(env, env.two, {key_b: b_tokens["IdToken"]}) == identity
    public.unlink_identity(
        IdentityId=identity, Logins={key_a: a_tokens["IdToken"]}, LoginsToRemove=[key_b]
    )
    assert admin.describe_identity(IdentityId=identity)["Logins"] == [key_a]
    separate = get_id(env, env.two, {key_b: b_tokens["IdToken"]})
    assert separate != identity
    code, _ = refused(
        public.get_id,
        IdentityPoolId=env.two,
        Logins={key_a: a_tokens["IdToken"], key_b: b_tokens["IdToken"]},
    )
    assert code == "ResourceConflictException"


def test_guest_identity_becomes_authenticated(env: Env) -> None:
    _, tokens = env.user()
    logins = {aws_key(env.a): tokens["IdToken"]}
    public = identity_public(env.server)
    guest = get_id(env, env.checked)
    public.get_open_id_token(IdentityId=guest, Logins=logins)
    assert get_id(env, env.checked, logins) == guest
    assert refused(public.get_open_id_token, IdentityId=guest) == (
        "NotAuthorizedException",
        f"Access to Identity '{guest}' is forbidden.",
    )
    # Cognito: a guest signing in as a user who has an identity is merged into it.
    another_guest = get_id(env, env.checked)
    merged = public.get_open_id_token(IdentityId=another_guest, Logins=logins)
    assert merged["IdentityId"] == guest
    admin = identity_admin(env.server)
    assert refused(admin.describe_identity, IdentityId=another_guest)[0] == (
        "ResourceNotFoundException"
    )
    # An authenticated identity cannot take over another user's login.
    _, other = env.user()
    someone = get_id(env, env.checked, {aws_key(env.a): other["IdToken"]})
    code, message = refused(public.get_open_id_token, IdentityId=someone, Logins=logins)
    assert code == "NotAuthorizedException" and "Logins don't match" in message


def test_list_describe_delete_identities(env: Env) -> None:
    pool = make_identity_pool(env.server, env.a, env.a1, AllowUnauthenticatedIdentities=True)
    pool_id = pool["IdentityPoolId"]
    _, tokens = env.user()
    logins = {aws_key(env.a): tokens["IdToken"]}
    made = {get_id(env, pool_id, logins), get_id(env, pool_id), get_id(env, pool_id)}
    admin = identity_admin(env.server)
    seen: list[dict[str, Any]] = []
    token = None
    while True:
        page = admin.list_identities(
            IdentityPoolId=pool_id, MaxResults=2, **({"NextToken": token} if token else {})
        )
        assert page["IdentityPoolId"] == pool_id and len(page["Identities"]) <= 2
        seen += page["Identities"]
        token = page.get("NextToken")
        if not token:
            break
    assert {i["IdentityId"] for i in seen} == made
    authenticated = [i for i in seen if i.get("Logins")]
    assert len(authenticated) == 1 and authenticated[0]["Logins"] == [aws_key(env.a)]
    victim = authenticated[0]["IdentityId"]
    described = admin.describe_identity(IdentityId=victim)
    assert described["CreationDate"] <= described["LastModifiedDate"]
    result = admin.delete_identities(IdentityIdsToDelete=[victim])
    assert result["UnprocessedIdentityIds"] == []
    assert refused(admin.describe_identity, IdentityId=victim)[0] == "ResourceNotFoundException"
    assert get_id(env, pool_id, logins) not in made  # the user starts over
    admin.delete_identity_pool(IdentityPoolId=pool_id)
    assert refused(admin.describe_identity, IdentityId=victim)[0] == "ResourceNotFoundException"


def test_developer_authenticated_identities(env: Env) -> None:
    admin = identity_admin(env.server)
    pool = env.checked
    alice = admin.get_open_id_token_for_developer_identity(
        IdentityPoolId=pool, Logins={DEVELOPER: "alice"}, TokenDuration=120
    )
    alice_id = alice["IdentityId"]
    token = claims(alice["Token"])
    assert token["exp"] - token["iat"] == 120
    assert token["amr"] == ["authenticated", DEVELOPER, f"{DEVELOPER}:{pool}:alice"]
    assert (
        admin.get_open_id_token_for_developer_identity(
            IdentityPoolId=pool, Logins={DEVELOPER: "alice"}
        )["IdentityId"]
        == alice_id
    )
    bob_id = admin.get_open_id_token_for_developer_identity(
        IdentityPoolId=pool, Logins={DEVELOPER: "bob"}, PrincipalTags={"tier": "gold"}
    )["IdentityId"]
    assert bob_id != alice_id
    code, _ = refused(
        admin.get_open_id_token_for_developer_identity,
        IdentityPoolId=pool,
        IdentityId=alice_id,
        Logins={DEVELOPER: "bob"},
    )
    assert code == "DeveloperUserAlreadyRegisteredException"
    admin.get_open_id_token_for_developer_identity(
        IdentityPoolId=pool, IdentityId=alice_id, Logins={DEVELOPER: "carol"}
    )
    found = admin.lookup_developer_identity(IdentityPoolId=pool, DeveloperUserIdentifier="carol")
    assert found["IdentityId"] == alice_id
    assert found["DeveloperUserIdentifierList"] == ["alice", "carol"]
    paged = admin.lookup_developer_identity(IdentityPoolId=pool, IdentityId=alice_id, MaxResults=1)
    assert paged["DeveloperUserIdentifierList"] == ["alice"] and paged["NextToken"]
    merged = admin.merge_developer_identities(
        SourceUserIdentifier="bob",
        DestinationUserIdentifier="alice",
        DeveloperProviderName=DEVELOPER,
        IdentityPoolId=pool,
    )
    assert merged["IdentityId"] == alice_id
    assert refused(admin.describe_identity, IdentityId=bob_id)[0] == "ResourceNotFoundException"
    admin.unlink_developer_identity(
        IdentityId=alice_id,
        IdentityPoolId=pool,
        DeveloperProviderName=DEVELOPER,
        DeveloperUserIdentifier="carol",
    )
    listed = admin.lookup_developer_identity(IdentityPoolId=pool, IdentityId=alice_id)
    assert listed["DeveloperUserIdentifierList"] == ["alice", "bob"]
    code, _ = refused(
        admin.lookup_developer_identity, IdentityPoolId=pool, DeveloperUserIdentifier="carol"
    )
    assert code == "ResourceNotFoundException"

    # The app hands the token to the client, which proves the identity with it.
    public = identity_public(env.server)
    dev_logins = {"cognito-identity.amazonaws.com": alice["Token"]}
    again = public.get_open_id_token(IdentityId=alice_id, Logins=dev_logins)
    assert claims(again["Token"])["amr"][:2] == ["authenticated", DEVELOPER]
    code, _ = refused(public.get_open_id_token, IdentityId=bob_id, Logins=dev_logins)
    assert code in {"NotAuthorizedException", "ResourceNotFoundException"}
    other_guest = get_id(env, pool)
    code, _ = refused(public.get_open_id_token, IdentityId=other_guest, Logins=dev_logins)
    assert code == "NotAuthorizedException"


def test_developer_operations_need_sigv4_and_a_developer_provider(env: Env) -> None:
    public = identity_public(env.server)
    code, _ = refused(
        public.get_open_id_token_for_developer_identity,
        IdentityPoolId=env.checked,
        Logins={DEVELOPER: "mallory"},
    )
    assert code == "MissingAuthenticationTokenException"
    code, message = refused(
        identity_admin(env.server).get_open_id_token_for_developer_identity,
        IdentityPoolId=env.plain,
        Logins={DEVELOPER: "mallory"},
    )
    assert code == "InvalidParameterException" and "DeveloperProviderName" in message
    # A developer login is no Logins entry for the public operations.
    code, _ = refused(public.get_id, IdentityPoolId=env.checked, Logins={DEVELOPER: "mallory"})
    assert code == "NotAuthorizedException"


def test_concurrent_first_get_id_yields_one_identity(env: Env) -> None:
    pool = make_identity_pool(env.server, env.a, env.a1)["IdentityPoolId"]
    _, tokens = env.user()
    logins = {aws_key(env.a): tokens["IdToken"]}
    with ThreadPoolExecutor(max_workers=8) as executor:
        ids = set(executor.map(lambda _: get_id(env, pool, logins), range(8)))
    assert len(ids) == 1
    listed = identity_admin(env.server).list_identities(IdentityPoolId=pool, MaxResults=60)
    assert [i["IdentityId"] for i in listed["Identities"]] == list(ids)
