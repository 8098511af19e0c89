"""What mamori sends to STS, how STS failures reach the client, and OpenID Connect providers.

A small HTTP service in the test plays both parts a real deployment has elsewhere: an STS whose
answer depends on the role asked for (and which records every request), and an OpenID Connect
issuer (discovery document and JWKS) whose key the test holds.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import jwt
import pytest
from botocore.exceptions import ClientError
from tests.support.factories import make_client, make_pool, make_user, sign_in
from tests.support.identity import (
    aws_key,
    claims,
    fetch_json,
    identity_admin,
    identity_public,
    make_identity_pool,
)
from tests.support.live import Server, free_port, run_server

from mamori.crypto.jose import LoadedKey, generate_signing_key

ROLE = "arn:aws:iam::123456789012:role/"
STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"
EXPIRATION = "2031-05-06T07:08:09Z"


def _error_xml(code: str, message: str) -> bytes:
    return (
        f'<ErrorResponse xmlns="{STS_NS}"><Error><Type>Sender</Type><Code>{code}</Code>'
        f"<Message>{message}</Message></Error><RequestId>r1</RequestId></ErrorResponse>"
    ).encode()


def _success_xml(role: str) -> bytes:
    return (
        f'<AssumeRoleWithWebIdentityResponse xmlns="{STS_NS}"><AssumeRoleWithWebIdentityResult>'
        f"<Credentials><AccessKeyId>ASIASTUB{role.upper()[:8]}</AccessKeyId>"
        f"<SecretAccessKey>stub-secret</SecretAccessKey><SessionToken>stub-token</SessionToken>"
        f"<Expiration>{EXPIRATION}</Expiration></Credentials>"
        f"</AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>"
    ).encode()


# role name -> (HTTP status, body); None: hang up without answering
ANSWERS: dict[str, tuple[int, bytes] | None] = {
    "denied": (403, _error_xml("AccessDenied", "Not authorized to perform sts:AssumeRole")),
    "untrusted": (400, _error_xml("InvalidIdentityToken", "No OpenIDConnect provider found")),
    "throttled": (400, _error_xml("Throttling", "Rate exceeded")),
    "broken": (500, b"<html>Internal Server Error</html>"),
    "hangup": None,
}


@dataclass
class Stub:
    url: str
    key: LoadedKey
    pem: bytes = field(repr=False)
    requests: list[dict[str, Any]] = field(default_factory=list)

    @property
    def issuer(self) -> str:
        return f"{self.url}/oidc"

    @property
    def provider(self) -> str:
        return self.issuer.split("://", 1)[1]

    @property
    def provider_arn(self) -> str:
        return f"arn:aws:iam::123456789012:oidc-provider/{self.provider}"

    def token(self, **overrides: Any) -> str:
        now = int(time.time())
        body: dict[str, Any] = {
            "iss": self.issuer,
            "sub": f"oidc-{secrets.token_hex(4)}",
            "aud": "client-a",
            "iat": now,
            "exp": now + 600,
        }
        body.update(overrides)
        return self.key.sign(body)

    def last_request(self, role: str) -> dict[str, Any]:
        found = [r for r in self.requests if r["form"].get("RoleArn") == ROLE + role]
        assert found, f"STS was not asked for {role}"
        return found[-1]


def _handler(stub: Stub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, status: int, body: bytes, kind: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path == "/oidc/.well-known/openid-configuration":
                doc = {"issuer": stub.issuer, "jwks_uri": f"{stub.url}/oidc/jwks"}
                self._send(200, json.dumps(doc).encode(), "application/json")
            elif self.path == "/oidc/jwks":
                self._send(200, json.dumps({"keys": [stub.key.jwk]}).encode(), "application/json")
            else:
                self._send(404, b"{}", "application/json")

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
            form = {k: v[0] for k, v in parse_qs(body).items()}
            stub.requests.append({"headers": dict(self.headers), "form": form})
            role = form.get("RoleArn", "").rsplit("/", 1)[-1]
            answer = ANSWERS.get(role, (200, _success_xml(role)))
            if answer is None:
                self.close_connection = True
                self.connection.close()
                return
            self._send(answer[0], answer[1], "text/xml")

    return Handler


@pytest.fixture(scope="module")
def stub() -> Iterator[Stub]:
    port = free_port()
    signing = generate_signing_key()
    state = Stub(f"http://127.0.0.1:{port}", LoadedKey(signing), signing.private_pem)
    httpd = ThreadingHTTPServer(("127.0.0.1", port), _handler(state))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


@dataclass
class Env:
    server: Server
    stub: Stub
    user_pool: str
    client: str


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def env(
    request: pytest.FixtureRequest, stub: Stub, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Env]:
    extra = {
        "MAMORI_STS_ENDPOINT": stub.url,
        "MAMORI_STS_ACCESS_KEY_ID": "AKIDSTSCALLER",
        "MAMORI_STS_SECRET_ACCESS_KEY": "sts-caller-secret",
        "MAMORI_STS_REGION": "eu-west-1",
        "MAMORI_STS_TIMEOUT_SECONDS": "3",
        "MAMORI_IDENTITY_CREDENTIALS_SECONDS": "1800",
        "MAMORI_OIDC_PROVIDERS": f"{stub.issuer}|client-a|client-b",
    }
    tmp = tmp_path_factory.mktemp(f"sts-{request.param}")
    with run_server(tmp, request.param, extra_env=extra) as server:
        user_pool = make_pool(server)["Id"]
        client = make_client(server, user_pool)["ClientId"]
        yield Env(server, stub, user_pool, client)


def roles_pool(env: Env, role: str, **overrides: Any) -> str:
    pool = make_identity_pool(env.server, AllowUnauthenticatedIdentities=True, **overrides)
    identity_admin(env.server).set_identity_pool_roles(
        IdentityPoolId=pool["IdentityPoolId"],
        Roles={"authenticated": ROLE + role, "unauthenticated": ROLE + role},
    )
    return str(pool["IdentityPoolId"])


def credentials(env: Env, pool: str, logins: dict[str, str] | None = None) -> dict[str, Any]:
    public = identity_public(env.server)
    params = {"Logins": logins} if logins else {}
    identity = public.get_id(IdentityPoolId=pool, **params)["IdentityId"]
    return dict(public.get_credentials_for_identity(IdentityId=identity, **params))


def failure(env: Env, pool: str, logins: dict[str, str] | None = None) -> tuple[str, str]:
    with pytest.raises(ClientError) as exc:
        credentials(env, pool, logins)
    err = exc.value.response["Error"]
    return err["Code"], err["Message"]


def test_the_sts_request(env: Env) -> None:
    pool = roles_pool(
        env,
        "reader",
        CognitoIdentityProviders=[{"ProviderName": aws_key(env.user_pool), "ClientId": env.client}],
    )
    identity_admin(env.server).set_principal_tag_attribute_map(
        IdentityPoolId=pool, IdentityProviderName=aws_key(env.user_pool), UseDefaults=True
    )
    username = make_user(env.server, env.user_pool)
    tokens = sign_in(env.server, env.client, username)
    result = credentials(env, pool, {aws_key(env.user_pool): tokens["IdToken"]})
    assert result["Credentials"]["AccessKeyId"] == "ASIASTUBREADER"
    assert result["Credentials"]["SessionToken"] == "stub-token"
    assert result["Credentials"]["Expiration"].isoformat() == "2031-05-06T07:08:09+00:00"

    sent = env.stub.last_request("reader")
    form = sent["form"]
    assert form["Action"] == "AssumeRoleWithWebIdentity"
    assert form["RoleSessionName"] == "CognitoIdentityCredentials"
    assert form["DurationSeconds"] == "1800"
    # SigV4 with the configured caller and region.
    auth = sent["headers"]["Authorization"]
    assert auth.startswith("AWS4-HMAC-SHA256 Credential=AKIDSTSCALLER/")
    assert "/eu-west-1/sts/aws4_request" in auth
    # The web identity token is verifiable with mamori's public identity issuer keys.
    token = form["WebIdentityToken"]
    discovery = fetch_json(f"{env.server.url}/identity/.well-known/openid-configuration")
    key = jwt.PyJWKClient(discovery["jwks_uri"]).get_signing_key_from_jwt(token)
    verified = jwt.decode(token, key.key, algorithms=["RS256"], audience=pool)
    assert verified["iss"] == f"{env.server.url}/identity"
    assert verified["sub"] == result["IdentityId"]
    assert verified["amr"][:2] == ["authenticated", aws_key(env.user_pool)]
    assert verified["https://aws.amazon.com/tags"]["principal_tags"] == {
        "username": [claims(tokens["IdToken"])["sub"]],
        "client": [env.client],
    }


CONFIG_MESSAGE = "Invalid identity pool configuration. Check assigned IAM roles for this pool."


@pytest.mark.parametrize(
    ("role", "code", "message", "logged"),
    [
        ("denied", "InvalidIdentityPoolConfigurationException", CONFIG_MESSAGE, "AccessDenied"),
        (
            "untrusted",
            "InvalidIdentityPoolConfigurationException",
            CONFIG_MESSAGE,
            "OpenID Connect provider",
        ),
        ("throttled", "TooManyRequestsException", "Rate exceeded", "Throttling"),
        (
            "broken",
            "ExternalServiceException",
            "An exception occurred in a dependent service.",
            "HTTP 500",
        ),
        (
            "hangup",
            "ExternalServiceException",
            "An exception occurred in a dependent service.",
            "cannot reach STS",
        ),
    ],
)
def test_sts_failures_answer_cognitos_message_and_log_the_details(
    env: Env, role: str, code: str, message: str, logged: str
) -> None:
    public = identity_public(env.server)
    identity = public.get_id(IdentityPoolId=roles_pool(env, role))["IdentityId"]
    with pytest.raises(ClientError) as exc:
        public.get_credentials_for_identity(IdentityId=identity)
    err = exc.value.response["Error"]
    # The caller is unauthenticated: nothing of the role, the account or STS's answer.
    assert (err["Code"], err["Message"]) == (code, message)
    body = json.dumps(exc.value.response)
    for secret in (ROLE, "123456789012", logged, "STS", "arn:"):
        assert secret not in body
    # The operator finds it all in the log, under the request id.
    request_id = exc.value.response["ResponseMetadata"]["RequestId"]
    assert env.server.log_path is not None
    lines = [
        line
        for line in env.server.log_path.read_text().splitlines()
        if request_id in line and "AssumeRoleWithWebIdentity" in line
    ]
    assert lines, f"no log line for request {request_id}"
    assert ROLE + role in lines[0] and logged in lines[0]


def test_no_role_configured(env: Env) -> None:
    pool = make_identity_pool(env.server, AllowUnauthenticatedIdentities=True)["IdentityPoolId"]
    assert failure(env, pool) == ("InvalidIdentityPoolConfigurationException", CONFIG_MESSAGE)


def oidc_pool(env: Env, **overrides: Any) -> str:
    return roles_pool(
        env, "oidc-user", OpenIdConnectProviderARNs=[env.stub.provider_arn], **overrides
    )


def test_oidc_provider_tokens(env: Env) -> None:
    pool = oidc_pool(env)
    subject = f"oidc-{secrets.token_hex(4)}"
    first = credentials(env, pool, {env.stub.provider: env.stub.token(sub=subject)})
    second = credentials(
        env, pool, {env.stub.provider: env.stub.token(sub=subject, aud=["other", "client-b"])}
    )
    assert first["IdentityId"] == second["IdentityId"]
    amr = claims(env.stub.last_request("oidc-user")["form"]["WebIdentityToken"])["amr"]
    assert amr == ["authenticated", env.stub.provider, f"{env.stub.provider}:{subject}"]
    described = identity_admin(env.server).describe_identity(IdentityId=first["IdentityId"])
    assert described["Logins"] == [env.stub.provider]


@pytest.mark.parametrize("case", ["audience", "expired", "issuer", "stranger", "kid", "hs256"])
def test_oidc_provider_refuses_bad_tokens(env: Env, case: str) -> None:
    pool = oidc_pool(env)
    now = int(time.time())
    if case == "audience":
        token = env.stub.token(aud="client-z")
    elif case == "expired":
        token = env.stub.token(iat=now - 7200, exp=now - 3600)
    elif case == "issuer":
        token = env.stub.token(iss="https://elsewhere.example")
    elif case == "stranger":
        token = LoadedKey(generate_signing_key()).sign(claims(env.stub.token()))
    elif case == "kid":  # the issuer's own key, under a kid it does not publish
        pem = env.stub.pem
        token = jwt.encode(claims(env.stub.token()), pem, "RS256", headers={"kid": "k9"})
    else:
        token = jwt.encode(claims(env.stub.token()), "s" * 32, algorithm="HS256")
    code, message = failure(env, pool, {env.stub.provider: token})
    assert code == "NotAuthorizedException"
    assert message.startswith("Invalid login token."), message


def test_oidc_issuer_must_be_registered_with_the_server(env: Env) -> None:
    pool = roles_pool(
        env,
        "oidc-user",
        OpenIdConnectProviderARNs=["arn:aws:iam::123456789012:oidc-provider/issuer.unknown.test"],
    )
    code, message = failure(env, pool, {"issuer.unknown.test": env.stub.token()})
    assert code == "NotAuthorizedException" and "not registered" in message


def test_rules_mapping_on_oidc_claims(env: Env) -> None:
    pool = oidc_pool(env)
    identity_admin(env.server).set_identity_pool_roles(
        IdentityPoolId=pool,
        Roles={"authenticated": ROLE + "oidc-user"},
        RoleMappings={
            env.stub.provider: {
                "Type": "Rules",
                "AmbiguousRoleResolution": "AuthenticatedRole",
                "RulesConfiguration": {
                    "Rules": [
                        {
                            "Claim": "groups",
                            "MatchType": "Contains",
                            "Value": "admins",
                            "RoleARN": ROLE + "oidc-admins",
                        }
                    ]
                },
            }
        },
    )
    credentials(env, pool, {env.stub.provider: env.stub.token(groups=["staff", "admins"])})
    admin_request = env.stub.last_request("oidc-admins")
    credentials(env, pool, {env.stub.provider: env.stub.token(groups=["staff"])})
    user_request = env.stub.last_request("oidc-user")
    assert admin_request is not user_request
