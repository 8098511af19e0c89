"""SupportedLoginProviders end to end: a real `mamori serve` pointed by its settings at stand-ins
for Google's and Apple's keys, Facebook's Graph API and Login with Amazon, and at moto as STS
(IAM checks on). boto3's cognito-identity client trades each provider's token for an identity
and credentials that reach S3; forged, expired and wrong-audience tokens are refused; a user
keeps one identity across sign-ins; role mapping and principal tags read the provider's claims.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from botocore.exceptions import ClientError
from tests.support.identity import claims, identity_admin, identity_public, make_identity_pool
from tests.support.live import Server, free_port, run_server
from tests.support.moto import Moto, run_moto

from mamori.crypto.jose import LoadedKey, generate_signing_key

GOOGLE_CLIENT = "1234-web.apps.googleusercontent.com"
GOOGLE_IOS = "1234-ios.apps.googleusercontent.com"
APPLE_SERVICE = "com.example.photos"
FACEBOOK_APP = "998877665544"
AMAZON_APP = "amzn1.application.0123456789abcdef"
AMAZON_CLIENT = "amzn1.application-oa2-client.fedcba9876543210"
SLOW = "slow-token"  # the stand-in answers it after the server's timeout


@dataclass
class Providers:
    """The stand-ins: signing keys, and the access tokens Facebook and Amazon have issued."""

    url: str
    google: LoadedKey
    apple: LoadedKey
    facebook_tokens: dict[str, tuple[str, str]] = field(default_factory=dict)  # app, user
    amazon_tokens: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # app, aud, user
    requests: list[str] = field(default_factory=list)

    def endpoints(self) -> str:
        """The `federation_endpoints` setting pointing mamori here."""
        return ",".join(
            (
                f"google.jwks_uri={self.url}/google/certs",
                f"google.issuer={self.url}/google",
                f"apple.jwks_uri={self.url}/apple/keys",
                f"facebook.attributes_url={self.url}/graph/v17.0/me?fields=",
                f"amazon.token_info_url={self.url}/amazon/auth/o2/tokeninfo",
                f"amazon.attributes_url={self.url}/amazon/user/profile",
            )
        )

    def id_token(self, provider: str, key: LoadedKey | None = None, **overrides: Any) -> str:
        now = int(time.time())
        google = provider == "google"
        body: dict[str, Any] = {
            "iss": "https://accounts.google.com" if google else "https://appleid.apple.com",
            "aud": GOOGLE_CLIENT if google else APPLE_SERVICE,
            "sub": f"{provider}-{secrets.token_hex(6)}",
            "email": f"{secrets.token_hex(3)}@example.com",
            "iat": now,
            "exp": now + 600,
        }
        body.update(overrides)
        return (key or (self.google if google else self.apple)).sign(body)

    def facebook_token(self, app: str = FACEBOOK_APP, user: str = "") -> str:
        token = "EAA" + secrets.token_urlsafe(24)
        self.facebook_tokens[token] = (app, user or f"10{secrets.randbelow(10**12)}")
        return token

    def amazon_token(self, app: str = AMAZON_APP, user: str = "") -> str:
        token = "Atza|" + secrets.token_urlsafe(24)
        user = user or f"amzn1.account.{secrets.token_hex(8).upper()}"
        self.amazon_tokens[token] = (app, AMAZON_CLIENT, user)
        return token


def _handler(providers: Providers) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _json(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            providers.requests.append(url.path)
            token = query.get("access_token", "")
            if token == SLOW:
                time.sleep(3)
            if url.path == "/google/certs":
                self._json(200, {"keys": [providers.google.jwk]})
            elif url.path == "/apple/keys":
                self._json(200, {"keys": [providers.apple.jwk]})
            elif url.path in ("/graph/v17.0/app", "/graph/v17.0/me"):
                found = providers.facebook_tokens.get(token)
                if found is None:
                    error = {"message": "Invalid OAuth access token.", "type": "OAuthException"}
                    self._json(400, {"error": {**error, "code": 190}})
                else:
                    self._json(200, {"id": found[0] if url.path.endswith("/app") else found[1]})
            elif url.path == "/amazon/auth/o2/tokeninfo":
                info = providers.amazon_tokens.get(token)
                if info is None:
                    self._json(400, {"error": "invalid_token", "error_description": "bad"})
                else:
                    body = {"app_id": info[0], "aud": info[1], "user_id": info[2], "exp": 3600}
                    self._json(200, {"iss": "https://www.amazon.com", **body})
            elif url.path == "/amazon/user/profile":
                bearer = self.headers.get("Authorization", "").removeprefix("Bearer ")
                info = providers.amazon_tokens.get(bearer)
                if info is None:
                    self._json(401, {"error": "invalid_token"})
                else:
                    self._json(200, {"user_id": info[2], "name": "A. Buyer"})
            else:
                self._json(404, {})

    return Handler


class _Quiet(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # mamori hanging up on the slow answer is the point of that test


@pytest.fixture(scope="module")
def providers() -> Iterator[Providers]:
    port = free_port()
    state = Providers(
        f"http://127.0.0.1:{port}",
        LoadedKey(generate_signing_key()),
        LoadedKey(generate_signing_key()),
    )
    httpd = _Quiet(("127.0.0.1", port), _handler(state))
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
    moto: Moto
    providers: Providers
    pool: str
    reader: str  # the authenticated role: s3:GetObject on the bucket
    fans: str  # Facebook users of the app, by a Rules mapping on `aud`
    bucket: str

    def credentials(self, key: str, token: str) -> tuple[str, dict[str, Any]]:
        public = identity_public(self.server)
        logins = {key: token}
        identity = public.get_id(IdentityPoolId=self.pool, Logins=logins)["IdentityId"]
        result = public.get_credentials_for_identity(IdentityId=identity, Logins=logins)
        assert result["IdentityId"] == identity
        return identity, dict(result["Credentials"])

    def role_of(self, credentials: dict[str, Any]) -> str:
        arn = self.moto.with_credentials("sts", credentials).get_caller_identity()["Arn"]
        return f"arn:aws:iam::123456789012:role/{arn.rsplit(':', 1)[1].split('/')[1]}"


def _policy(bucket: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "sts:GetCallerIdentity", "Resource": "*"},
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"},
        ],
    }


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def env(
    request: pytest.FixtureRequest,
    providers: Providers,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Env]:
    tmp: Path = tmp_path_factory.mktemp(f"social-{request.param}")
    with run_moto(tmp) as moto:
        bucket = f"photos-{secrets.token_hex(3)}"
        s3 = moto.admin("s3")
        s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key="cat.jpg", Body=b"meow")
        reader = moto.create_role(f"reader-{secrets.token_hex(3)}", _policy(bucket))
        fans = moto.create_role(f"fans-{secrets.token_hex(3)}", _policy(bucket))
        extra = {
            **moto.mamori_env(),
            "MAMORI_FEDERATION_ENDPOINTS": providers.endpoints(),
            "MAMORI_STS_TIMEOUT_SECONDS": "1",
        }
        with run_server(tmp, request.param, extra_env=extra) as server:
            pool = make_identity_pool(
                server,
                SupportedLoginProviders={
                    "accounts.google.com": f"{GOOGLE_IOS};{GOOGLE_CLIENT}",
                    "appleid.apple.com": APPLE_SERVICE,
                    "graph.facebook.com": FACEBOOK_APP,
                    "www.amazon.com": AMAZON_APP,
                    "api.twitter.com": "consumer-key;consumer-secret",
                },
            )["IdentityPoolId"]
            admin = identity_admin(server)
            admin.set_identity_pool_roles(
                IdentityPoolId=pool,
                Roles={"authenticated": reader},
                RoleMappings={
                    "graph.facebook.com": {
                        "Type": "Rules",
                        "AmbiguousRoleResolution": "AuthenticatedRole",
                        "RulesConfiguration": {
                            "Rules": [
                                {
                                    "Claim": "aud",
                                    "MatchType": "Equals",
                                    "Value": FACEBOOK_APP,
                                    "RoleARN": fans,
                                }
                            ]
                        },
                    }
                },
            )
            admin.set_principal_tag_attribute_map(
                IdentityPoolId=pool,
                IdentityProviderName="accounts.google.com",
                UseDefaults=False,
                PrincipalTags={"mail": "email"},
            )
            yield Env(server, moto, providers, pool, reader, fans, bucket)


def read_cat(env: Env, credentials: dict[str, Any]) -> bytes:
    s3 = env.moto.with_credentials("s3", credentials)
    return bytes(s3.get_object(Bucket=env.bucket, Key="cat.jpg")["Body"].read())


def test_google_token_reads_s3_and_keeps_its_identity(env: Env) -> None:
    sub = f"g-{secrets.token_hex(4)}"
    # The iOS client's token: another of the client ids the pool lists for Google.
    first = env.providers.id_token("google", sub=sub, aud=GOOGLE_IOS)
    identity, creds = env.credentials("accounts.google.com", first)
    assert read_cat(env, creds) == b"meow"
    assert env.role_of(creds) == env.reader
    again = env.providers.id_token("google", sub=sub, iss="accounts.google.com")
    assert env.credentials("accounts.google.com", again)[0] == identity
    # The stand-in's own issuer (federation_endpoints' google.issuer) is Google's too.
    own = env.providers.id_token("google", sub=sub, iss=f"{env.providers.url}/google")
    assert env.credentials("accounts.google.com", own)[0] == identity
    other = env.providers.id_token("google")
    assert env.credentials("accounts.google.com", other)[0] != identity


def test_google_claims_reach_the_identity_token(env: Env) -> None:
    """The basic flow's token names the login as Cognito's does, with the principal tags the
    pool maps from Google's claims."""
    token = env.providers.id_token("google", email="ann@example.com")
    public = identity_public(env.server)
    logins = {"accounts.google.com": token}
    identity = public.get_id(IdentityPoolId=env.pool, Logins=logins)["IdentityId"]
    signed = claims(public.get_open_id_token(IdentityId=identity, Logins=logins)["Token"])
    sub = claims(token)["sub"]
    assert signed["amr"] == ["authenticated", "accounts.google.com", f"accounts.google.com:{sub}"]
    assert signed["https://aws.amazon.com/tags"]["principal_tags"] == {"mail": ["ann@example.com"]}


def test_apple_token(env: Env) -> None:
    sub = f"001234.{secrets.token_hex(8)}.0123"
    identity, creds = env.credentials("appleid.apple.com", env.providers.id_token("apple", sub=sub))
    assert read_cat(env, creds) == b"meow"
    again = env.providers.id_token("apple", sub=sub)
    assert env.credentials("appleid.apple.com", again)[0] == identity


def test_facebook_token_and_its_role_mapping(env: Env) -> None:
    user = f"10{secrets.randbelow(10**12)}"
    identity, creds = env.credentials("graph.facebook.com", env.providers.facebook_token(user=user))
    assert read_cat(env, creds) == b"meow"
    assert env.role_of(creds) == env.fans  # the Rules mapping on the token's app id
    # A new access token of the same user: the same identity.
    again = env.providers.facebook_token(user=user)
    assert env.credentials("graph.facebook.com", again)[0] == identity


def test_amazon_token(env: Env) -> None:
    user = f"amzn1.account.{secrets.token_hex(8).upper()}"
    identity, creds = env.credentials("www.amazon.com", env.providers.amazon_token(user=user))
    assert read_cat(env, creds) == b"meow"
    assert env.role_of(creds) == env.reader
    again = env.providers.amazon_token(user=user)
    assert env.credentials("www.amazon.com", again)[0] == identity


def refused(env: Env, key: str, token: str) -> tuple[str, str]:
    public = identity_public(env.server)
    with pytest.raises(ClientError) as exc:
        public.get_id(IdentityPoolId=env.pool, Logins={key: token})
    error = exc.value.response["Error"]
    return str(error["Code"]), str(error["Message"])


def test_bad_id_tokens_are_refused(env: Env) -> None:
    p = env.providers
    now = int(time.time())
    stranger = LoadedKey(generate_signing_key())
    cases = {
        "forged": ("accounts.google.com", p.id_token("google", key=stranger), "verify"),
        "apple's key for google": ("accounts.google.com", p.id_token("google", key=p.apple), ""),
        "expired": (
            "accounts.google.com",
            p.id_token("google", iat=now - 7200, exp=now - 3600),
            "expired",
        ),
        "wrong audience": (
            "accounts.google.com",
            p.id_token("google", aud="someone-else.apps.googleusercontent.com"),
            "audience",
        ),
        "google's token as apple's": ("appleid.apple.com", p.id_token("google"), ""),
        "apple wrong audience": (
            "appleid.apple.com",
            p.id_token("apple", aud="com.other.app"),
            "audience",
        ),
        "apple wrong issuer": (
            "appleid.apple.com",
            p.id_token("apple", iss="https://accounts.google.com"),
            "Issuer",
        ),
    }
    for name, (key, token, words) in cases.items():
        code, message = refused(env, key, token)
        assert code == "NotAuthorizedException", name
        assert message.startswith("Invalid login token."), (name, message)
        assert words in message, (name, message)


def test_bad_access_tokens_are_refused(env: Env) -> None:
    p = env.providers
    for key, token in (
        ("graph.facebook.com", "EAA-never-issued"),
        ("www.amazon.com", "Atza|never-issued"),
    ):
        code, message = refused(env, key, token)
        assert code == "NotAuthorizedException"
        assert "does not accept the access token" in message
    for key, token in (
        ("graph.facebook.com", p.facebook_token(app="111111")),
        ("www.amazon.com", p.amazon_token(app="amzn1.application.other")),
    ):
        code, message = refused(env, key, token)
        assert code == "NotAuthorizedException"
        assert "Incorrect token audience" in message


def test_a_provider_that_does_not_answer_in_time(env: Env) -> None:
    code, message = refused(env, "graph.facebook.com", SLOW)
    assert code == "ExternalServiceException"
    assert "graph.facebook.com" in message and SLOW not in message


def test_logins_of_two_providers_link_to_one_identity(env: Env) -> None:
    p = env.providers
    google = p.id_token("google")
    identity, _ = env.credentials("accounts.google.com", google)
    facebook = p.facebook_token()
    public = identity_public(env.server)
    both = {"accounts.google.com": google, "graph.facebook.com": facebook}
    public.get_credentials_for_identity(IdentityId=identity, Logins=both)
    assert env.credentials("graph.facebook.com", facebook)[0] == identity
    described = identity_admin(env.server).describe_identity(IdentityId=identity)
    assert sorted(described["Logins"]) == ["accounts.google.com", "graph.facebook.com"]


def test_a_provider_mamori_cannot_verify_is_refused(env: Env) -> None:
    code, message = refused(env, "api.twitter.com", "twitter-token")
    assert code == "NotAuthorizedException"
    assert "cannot verify tokens of api.twitter.com" in message


def test_forged_kids_do_not_flood_the_provider(env: Env) -> None:
    """Tokens naming keys Google never published make mamori look again at most once a
    minute (OidcKeys' rule), however many arrive."""
    env.credentials("accounts.google.com", env.providers.id_token("google"))  # keys cached
    before = env.providers.requests.count("/google/certs")
    for _ in range(5):
        stranger = LoadedKey(generate_signing_key())  # a fresh kid each time
        code, _ = refused(env, "accounts.google.com", env.providers.id_token("google", stranger))
        assert code == "NotAuthorizedException"
    assert env.providers.requests.count("/google/certs") - before <= 1
