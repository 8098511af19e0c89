"""ID and access tokens: RS256 JWTs verified offline with PyJWT against the pool's JWKS, their
claims, lifetimes and keys (per pool, sealed at rest); the discovery documents are in
tests/api/http/test_wellknown.py."""

from __future__ import annotations

import base64
import json
import secrets
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import jwt
import pytest
from botocore.exceptions import ClientError
from tests.support.db import rows
from tests.support.factories import make_client, make_pool, make_user, sign_in
from tests.support.live import Server
from tests.support.tokens import jwks_url, unverified, verify

USER_FLOWS = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
ID_CLAIMS = {
    "sub",
    "iss",
    "aud",
    "token_use",
    "cognito:username",
    "auth_time",
    "iat",
    "exp",
    "jti",
    "origin_jti",
    "event_id",
}
ACCESS_CLAIMS = {
    "sub",
    "iss",
    "client_id",
    "token_use",
    "scope",
    "username",
    "auth_time",
    "iat",
    "exp",
    "jti",
    "origin_jti",
    "event_id",
    "version",
}


def get_json(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, json.load(resp)
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


@pytest.fixture(scope="module")
def pool(server: Server) -> dict[str, Any]:
    return make_pool(
        server, Schema=[{"Name": "team", "AttributeDataType": "String", "Mutable": True}]
    )


@pytest.fixture(scope="module")
def client_id(server: Server, pool: dict[str, Any]) -> str:
    return str(make_client(server, pool["Id"], ExplicitAuthFlows=USER_FLOWS)["ClientId"])


@pytest.fixture(scope="module")
def member(server: Server, pool: dict[str, Any]) -> str:
    """A user with every kind of attribute, in two groups."""
    username = make_user(
        server,
        pool["Id"],
        attributes={
            "phone_number": "+15555550100",
            "phone_number_verified": "false",
            "given_name": "Grace",
            "address": "1 Main St, Springfield",
            "custom:team": "compilers",
        },
    )
    admin = server.admin()
    for name, precedence in (("readers", 20), ("admins", 1)):
        admin.create_group(
            UserPoolId=pool["Id"],
            GroupName=name,
            Precedence=precedence,
            RoleArn=f"arn:aws:iam::000000000000:role/{name}",
        )
        admin.admin_add_user_to_group(UserPoolId=pool["Id"], Username=username, GroupName=name)
    return username


@pytest.fixture(scope="module")
def tokens(server: Server, client_id: str, member: str) -> dict[str, Any]:
    return sign_in(server, client_id, member)


def test_id_token_verifies_offline_and_carries_cognito_claims(
    server: Server, pool: dict[str, Any], client_id: str, member: str, tokens: dict[str, Any]
) -> None:
    claims = verify(server, pool["Id"], tokens["IdToken"], audience=client_id)
    assert set(claims) >= ID_CLAIMS
    assert claims["token_use"] == "id"
    assert claims["iss"] == f"{server.url}/{pool['Id']}"
    assert claims["aud"] == client_id
    assert claims["cognito:username"] == member
    # Groups by precedence, with their roles.
    assert claims["cognito:groups"] == ["admins", "readers"]
    assert claims["cognito:roles"] == [
        "arn:aws:iam::000000000000:role/admins",
        "arn:aws:iam::000000000000:role/readers",
    ]
    assert claims["cognito:preferred_role"] == "arn:aws:iam::000000000000:role/admins"
    # Attributes: standard, custom (a string), verified flags as JSON booleans.
    assert claims["email"] == f"{member}@example.com"
    assert claims["given_name"] == "Grace"
    assert claims["phone_number"] == "+15555550100"
    assert claims["custom:team"] == "compilers"
    assert claims["address"] == {"formatted": "1 Main St, Springfield"}
    assert claims["email_verified"] is True
    assert claims["phone_number_verified"] is False
    me = server.public().get_user(AccessToken=tokens["AccessToken"])
    assert claims["sub"] == {a["Name"]: a["Value"] for a in me["UserAttributes"]}["sub"]
    assert claims["auth_time"] == claims["iat"]
    assert claims["exp"] - claims["iat"] == 3600
    header = jwt.get_unverified_header(tokens["IdToken"])
    assert header["alg"] == "RS256" and header["kid"]


def test_access_token_verifies_offline_and_carries_cognito_claims(
    server: Server, pool: dict[str, Any], client_id: str, member: str, tokens: dict[str, Any]
) -> None:
    claims = verify(server, pool["Id"], tokens["AccessToken"])
    assert set(claims) >= ACCESS_CLAIMS
    assert "aud" not in claims  # Cognito: access tokens name the client in client_id
    assert claims["token_use"] == "access"
    assert claims["client_id"] == client_id
    assert claims["username"] == member
    assert claims["scope"] == "aws.cognito.signin.user.admin"
    assert claims["cognito:groups"] == ["admins", "readers"]
    assert claims["version"] == 2
    assert "email" not in claims  # attributes live in the ID token only
    id_claims = unverified(tokens["IdToken"])
    # One sign-in: shared sub, auth_time, origin_jti and event_id; distinct jti.
    for name in ("sub", "auth_time", "origin_jti", "event_id"):
        assert claims[name] == id_claims[name]
    assert claims["jti"] != id_claims["jti"]
    assert tokens["ExpiresIn"] == claims["exp"] - claims["iat"] == 3600


def test_each_sign_in_has_its_own_ids(
    server: Server, client_id: str, member: str, tokens: dict[str, Any]
) -> None:
    again = unverified(sign_in(server, client_id, member)["AccessToken"])
    first = unverified(tokens["AccessToken"])
    for name in ("jti", "origin_jti", "event_id"):
        assert again[name] != first[name]


def test_user_without_groups_has_no_group_claims(
    server: Server, pool: dict[str, Any], client_id: str
) -> None:
    result = sign_in(server, client_id, make_user(server, pool["Id"]))
    for token in (result["IdToken"], result["AccessToken"]):
        claims = verify(server, pool["Id"], token)
        assert "cognito:groups" not in claims
        assert "cognito:roles" not in claims


def test_read_attributes_of_the_client_decide_the_id_token(
    server: Server, pool: dict[str, Any], member: str
) -> None:
    narrow = make_client(
        server, pool["Id"], ExplicitAuthFlows=USER_FLOWS, ReadAttributes=["email", "given_name"]
    )["ClientId"]
    claims = verify(server, pool["Id"], sign_in(server, narrow, member)["IdToken"], audience=narrow)
    assert claims["email"] == f"{member}@example.com"
    assert claims["given_name"] == "Grace"
    for hidden in ("phone_number", "phone_number_verified", "custom:team", "email_verified"):
        assert hidden not in claims
    assert claims["sub"] and claims["cognito:username"] == member


def test_token_validity_and_units_of_the_client(
    server: Server, pool: dict[str, Any], member: str
) -> None:
    cid = make_client(
        server,
        pool["Id"],
        ExplicitAuthFlows=USER_FLOWS,
        AccessTokenValidity=5,
        IdTokenValidity=2,
        RefreshTokenValidity=60,
        TokenValidityUnits={
            "AccessToken": "minutes",
            "IdToken": "hours",
            "RefreshToken": "minutes",
        },
    )["ClientId"]
    result = sign_in(server, cid, member)
    access, ident = unverified(result["AccessToken"]), unverified(result["IdToken"])
    assert result["ExpiresIn"] == 300
    assert access["exp"] - access["iat"] == 300
    assert ident["exp"] - ident["iat"] == 7200
    refreshed = server.public().initiate_auth(
        ClientId=cid,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": result["RefreshToken"]},
    )["AuthenticationResult"]
    assert refreshed["ExpiresIn"] == 300


def test_each_pool_signs_with_its_own_keys(
    server: Server, pool: dict[str, Any], tokens: dict[str, Any]
) -> None:
    other = make_pool(server)["Id"]
    own = {k["kid"] for k in get_json(jwks_url(server, pool["Id"]))[1]["keys"]}
    theirs = {k["kid"] for k in get_json(jwks_url(server, other))[1]["keys"]}
    assert own and theirs and not own & theirs
    with pytest.raises(jwt.PyJWKClientError):
        jwt.PyJWKClient(jwks_url(server, other)).get_signing_key_from_jwt(tokens["IdToken"])
    # Even forcing pool B's key onto pool A's token: the signature doesn't hold.
    key_b = jwt.PyJWK(get_json(jwks_url(server, other))[1]["keys"][0])
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(tokens["AccessToken"], key_b.key, algorithms=["RS256"])


def test_signing_keys_are_sealed_at_rest(server: Server, pool: dict[str, Any]) -> None:
    stored = rows(
        server.database_url,
        "SELECT kid, sealed_pem FROM signing_keys WHERE pool_id = :pool",
        pool=pool["Id"],
    )
    assert len(stored) == 1
    sealed = stored[0]["sealed_pem"]
    assert sealed.startswith("v1.")
    assert "PRIVATE KEY" not in sealed and "BEGIN" not in sealed
    body = base64.urlsafe_b64decode(sealed.split(".", 2)[2] + "==")
    assert b"PRIVATE KEY" not in body and b"-----" not in body
    published = {k["kid"] for k in get_json(jwks_url(server, pool["Id"]))[1]["keys"]}
    assert published == {stored[0]["kid"]}


# --- tokens that must not be accepted
def refuses(server: Server, token: str, message: str | None = None) -> None:
    with pytest.raises(ClientError) as exc:
        server.public().get_user(AccessToken=token)
    assert exc.value.response["Error"]["Code"] == "NotAuthorizedException"
    if message:
        assert exc.value.response["Error"]["Message"] == message


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_forged_and_misused_tokens_are_refused(
    server: Server, pool: dict[str, Any], tokens: dict[str, Any]
) -> None:
    access = tokens["AccessToken"]
    header, payload, signature = access.split(".")
    claims = unverified(access)
    refuses(server, tokens["IdToken"], "Invalid Access Token")  # an ID token is no access token
    refuses(server, f"{header}.{b64({**claims, 'username': 'root'})}.{signature}")
    refuses(server, f"{b64({'alg': 'none', 'typ': 'JWT'})}.{payload}.")
    refuses(server, f"{b64({'alg': 'HS256', 'kid': 'x'})}.{payload}.{signature}")
    refuses(server, "not-a-jwt-at-all")
    # Signed by a key of our own making, naming the pool's key id.
    mine = jwt.encode(
        claims,
        jwt.PyJWK.from_dict(_own_private_jwk()).key,
        algorithm="RS256",
        headers={"kid": jwt.get_unverified_header(access)["kid"]},
    )
    refuses(server, mine, "Invalid Access Token")
    # A token of another server (other issuer) is not ours.
    refuses(
        server,
        jwt.encode(
            {**claims, "iss": "https://example.com/" + pool["Id"]},
            jwt.PyJWK.from_dict(_own_private_jwk()).key,
            algorithm="RS256",
            headers={"kid": "k"},
        ),
    )
    # And nothing of that disturbed the real token.
    assert server.public().get_user(AccessToken=access)["Username"]


def _own_private_jwk() -> dict[str, Any]:
    from cryptography.hazmat.primitives.asymmetric import rsa
    from jwt.algorithms import RSAAlgorithm

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return dict(RSAAlgorithm.to_jwk(key, as_dict=True))


def test_user_state_is_checked_on_every_use(
    server: Server, pool: dict[str, Any], client_id: str
) -> None:
    username = make_user(server, pool["Id"])
    access = sign_in(server, client_id, username)["AccessToken"]
    server.admin().admin_disable_user(UserPoolId=pool["Id"], Username=username)
    refuses(server, access)
    server.admin().admin_enable_user(UserPoolId=pool["Id"], Username=username)
    access = sign_in(server, client_id, username)["AccessToken"]
    assert server.public().get_user(AccessToken=access)["Username"] == username
    server.admin().admin_delete_user(UserPoolId=pool["Id"], Username=username)
    with pytest.raises(ClientError) as exc:
        server.public().get_user(AccessToken=access)
    assert exc.value.response["Error"]["Code"] in {
        "NotAuthorizedException",
        "UserNotFoundException",
    }


# --- the issuer named by the public URL


def test_tokens_name_the_issuer_by_public_url(tmp: Path) -> None:
    from tests.support.live import run_server

    public = f"https://id.example.test/{secrets.token_hex(2)}"
    with run_server(tmp, "sqlite", args=("--public-url", public)) as live:
        pool_id = make_pool(live)["Id"]
        cid = make_client(live, pool_id, ExplicitAuthFlows=USER_FLOWS)["ClientId"]
        result = sign_in(live, cid, make_user(live, pool_id))
        assert unverified(result["IdToken"])["iss"] == f"{public}/{pool_id}"
        status, body = get_json(f"{live.url}/{pool_id}/.well-known/openid-configuration")
        assert status == 200 and body["issuer"] == f"{public}/{pool_id}"
        assert live.public().get_user(AccessToken=result["AccessToken"])["Username"]
