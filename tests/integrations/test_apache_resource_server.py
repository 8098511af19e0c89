"""Apache httpd with mod_auth_openidc as an OAuth 2.0 resource server (AuthType oauth20) in
front of an echo backend, checking mamori's access tokens two ways: offline against the pool's
JWKS, and by RFC 7662 introspection at mamori's /oauth2/introspect (an extension), which also
sees revocation. Each refusal is asserted next to the good token passing the same Apache."""

from __future__ import annotations

import secrets
import ssl
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.support.apache import Apache, apache_missing, apache_root, head, readable, run_apache
from tests.support.echo_app import EchoApp, serve_echo
from tests.support.factories import PASSWORD, make_client, make_pool, make_user
from tests.support.hosted import callback_params, make_hosted, sign_in_by_form, tls_server
from tests.support.identity import expired, forged, pool_signing_key, resign
from tests.support.live import Server, free_port
from tests.support.oauth import basic

pytestmark = pytest.mark.skipif(apache_missing() is not None, reason=apache_missing() or "")

SCOPE = "orders/read"


def resource_server_config(
    jwks_host: str,
    introspect_host: str,
    issuer: str,
    domain: str,
    backend: str,
    client_id: str,
    gateway_id: str,
    gateway_secret: str,
) -> str:
    """The two virtual hosts docs/integrations.md shows, as they are tested: offline (JWKS) and
    introspection. `issuer`: the pool's issuer; `domain`: the pool's domain (any form)."""
    return f"""
# Offline: the pool's JWKS; signature and expiry only.
<VirtualHost {jwks_host}>
    OIDCOAuthVerifyJwksUri {issuer}/.well-known/jwks.json
    OIDCOAuthRemoteUserClaim sub
    OIDCPassClaimsAs headers
    <Location "/">
        AuthType oauth20
        # A good token that fails a claim below: 403, not Apache's default 401.
        AuthzSendForbiddenOnFailure On
        <RequireAll>
            Require claim iss:{issuer}
            Require claim token_use:access
            Require claim client_id:{client_id}
            Require claim "scope~(^| ){SCOPE}( |$)"
        </RequireAll>
        ProxyPass "{backend}/"
    </Location>
</VirtualHost>

# Introspection: mamori says whether the token is active now (revocation included).
<VirtualHost {introspect_host}>
    OIDCOAuthIntrospectionEndpoint {domain}/oauth2/introspect
    OIDCOAuthIntrospectionEndpointAuth client_secret_basic
    OIDCOAuthClientID {gateway_id}
    OIDCOAuthClientSecret {gateway_secret}
    OIDCOAuthRemoteUserClaim sub
    OIDCPassClaimsAs headers
    <Location "/">
        AuthType oauth20
        # Ask on every request: a revoked token is refused at once (a positive number caches
        # an answer that many seconds).
        OIDCOAuthTokenIntrospectionInterval -1
        # A good token that fails a claim below: 403, not Apache's default 401.
        AuthzSendForbiddenOnFailure On
        <RequireAll>
            Require claim iss:{issuer}
            Require claim token_use:access
            Require claim client_id:{client_id}
            Require claim "scope~(^| ){SCOPE}( |$)"
        </RequireAll>
        ProxyPass "{backend}/"
    </Location>
</VirtualHost>
"""


@dataclass
class World:
    server: Server
    apache: Apache
    echo: EchoApp
    pool_id: str
    domain: str  # the pool's domain by path prefix
    web_id: str
    web_secret: str = field(repr=False)
    redirect_uri: str
    machine_id: str
    machine_secret: str = field(repr=False)
    gateway_id: str
    gateway_secret: str = field(repr=False)
    other_pool_id: str
    jwks_url: str
    introspect_url: str
    ca: Path
    last_id_token: str = field(default="", repr=False)

    def verify(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca))

    def user_token(self, scope: str = f"openid {SCOPE}") -> tuple[str, str]:
        """(username, access token) of a new user signed in through the hosted login with
        the code grant for the web client."""
        username = make_user(self.server, self.pool_id)
        query = urllib.parse.urlencode(
            {
                "response_type": "code",
                "client_id": self.web_id,
                "redirect_uri": self.redirect_uri,
                "scope": scope,
            }
        )
        with httpx.Client(timeout=15, verify=self.verify()) as http:
            done = sign_in_by_form(
                http,
                f"{self.domain}/oauth2/authorize?{query}",
                username,
                PASSWORD,
                self.redirect_uri,
            )
            code = callback_params(done)["code"]
            tokens = http.post(
                f"{self.domain}/oauth2/token",
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": self.redirect_uri,
                },
                headers=basic(self.web_id, self.web_secret),
            )
        assert tokens.status_code == 200, tokens.text
        self.last_id_token = str(tokens.json()["id_token"])
        return username, str(tokens.json()["access_token"])

    def machine_token(self) -> str:
        tokens = httpx.post(
            f"{self.domain}/oauth2/token",
            data={"grant_type": "client_credentials", "scope": SCOPE},
            headers=basic(self.machine_id, self.machine_secret),
            timeout=15,
            verify=self.verify(),
        )
        assert tokens.status_code == 200, tokens.text
        return str(tokens.json()["access_token"])


def _resource_server(server: Server, pool_id: str) -> None:
    server.admin().create_resource_server(
        UserPoolId=pool_id,
        Identifier="orders",
        Name="orders",
        Scopes=[
            {"ScopeName": "read", "ScopeDescription": "read orders"},
            {"ScopeName": "write", "ScopeDescription": "write orders"},
        ],
    )


def _machine_client(server: Server, pool_id: str) -> dict[str, Any]:
    return make_client(
        server,
        pool_id,
        GenerateSecret=True,
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["client_credentials"],
        AllowedOAuthScopes=[SCOPE, "orders/write"],
    )


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("apache-rs")
    with tls_server(tmp) as (server, ca), serve_echo() as echo, apache_root() as root:
        pool_id = str(make_pool(server)["Id"])
        _resource_server(server, pool_id)
        web = make_hosted(
            server,
            pool_id=pool_id,
            secret=True,
            scopes=["openid", "email", SCOPE],
            ca=ca,
        )
        assert web.client_secret is not None
        machine = _machine_client(server, pool_id)
        # The gateway's own client: a secret to authenticate at /oauth2/introspect, no flows.
        gateway = make_client(server, pool_id, GenerateSecret=True)
        other_pool = str(make_pool(server)["Id"])
        domain = web.by_path
        jwks_port, introspect_port = free_port(), free_port()
        # mod_auth_openidc takes only https URLs: mamori serves TLS from a test CA.
        trust = f"OIDCCABundlePath {readable(root, ca)}\n"
        config = (
            head(root, (jwks_port, introspect_port))
            + trust
            + resource_server_config(
                f"127.0.0.1:{jwks_port}",
                f"127.0.0.1:{introspect_port}",
                issuer=f"{server.url}/{pool_id}",
                domain=domain,
                backend=echo.url,
                client_id=web.client_id,
                gateway_id=str(gateway["ClientId"]),
                gateway_secret=str(gateway["ClientSecret"]),
            )
        )
        with run_apache(root, (jwks_port, introspect_port), config) as apache:
            yield World(
                server=server,
                apache=apache,
                echo=echo,
                pool_id=pool_id,
                domain=domain,
                web_id=web.client_id,
                web_secret=web.client_secret,
                redirect_uri=web.redirect_uri,
                machine_id=str(machine["ClientId"]),
                machine_secret=str(machine["ClientSecret"]),
                gateway_id=str(gateway["ClientId"]),
                gateway_secret=str(gateway["ClientSecret"]),
                other_pool_id=other_pool,
                jwks_url=f"http://127.0.0.1:{jwks_port}",
                introspect_url=f"http://127.0.0.1:{introspect_port}",
                ca=ca,
            )


MODES = ["jwks", "introspect"]


def _call(world: World, mode: str, token: str | None, path: str = "/orders") -> httpx.Response:
    base = world.jwks_url if mode == "jwks" else world.introspect_url
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    headers["OIDC_CLAIM_username"] = "mallory"  # a client's own claim header never gets through
    return httpx.get(base + path, headers=headers, timeout=15)


def _passes(world: World, mode: str, token: str) -> dict[str, str]:
    """The good token reaches the backend, which sees the claims in headers."""
    response = _call(world, mode, token)
    assert response.status_code == 200, (
        f"{response.status_code} {response.text}\n{world.apache.log()}"
    )
    echoed = response.json()
    assert echoed["path"] == "/orders"
    return dict(echoed["headers"])


def _refused(
    world: World, mode: str, token: str | None, *, good: str, status: int = 401
) -> httpx.Response:
    """`token` refused by Apache with `status` (401: not a good token; 403: a good token that
    fails a `Require claim`), never reaching the backend; `good` (the positive control)
    passes the same Apache right after."""
    marker = f"/refused-{secrets.token_hex(4)}"
    response = _call(world, mode, token, marker)
    assert response.status_code == status, (
        f"{response.status_code} {response.text}\n{world.apache.log()}"
    )
    assert not any(p.startswith(marker) for p in world.echo.seen), "the backend was reached"
    _passes(world, mode, good)
    return response


@pytest.mark.parametrize("mode", MODES)
def test_a_good_token_passes_with_its_claims_in_headers(world: World, mode: str) -> None:
    username, token = world.user_token()
    headers = _passes(world, mode, token)
    assert headers["oidc_claim_client_id"] == world.web_id
    assert headers["oidc_claim_username"] == username
    assert SCOPE in headers["oidc_claim_scope"].split(" ")
    assert headers["oidc_claim_token_use"] == "access"
    assert headers["oidc_claim_iss"] == f"{world.server.url}/{world.pool_id}"
    assert headers["oidc_claim_sub"]


@pytest.mark.parametrize("mode", MODES)
def test_no_token_is_refused_with_a_bearer_challenge(world: World, mode: str) -> None:
    _, good = world.user_token()
    response = _refused(world, mode, None, good=good)
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("mode", MODES)
def test_an_expired_token_is_refused(world: World, mode: str) -> None:
    _, good = world.user_token()
    key = pool_signing_key(world.server, world.pool_id)
    response = _refused(world, mode, expired(key, good), good=good)
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


@pytest.mark.parametrize("mode", MODES)
def test_a_forged_token_is_refused(world: World, mode: str) -> None:
    _, good = world.user_token()
    response = _refused(world, mode, forged(good), good=good)
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


@pytest.mark.parametrize("mode", MODES)
def test_another_pools_token_is_refused(world: World, mode: str) -> None:
    """Signed by the other pool's real key, its issuer: same client id and scope claims."""
    _, good = world.user_token()
    other_key = pool_signing_key(world.server, world.other_pool_id)
    other = resign(other_key, good, iss=f"{world.server.url}/{world.other_pool_id}")
    response = _refused(world, mode, other, good=good)
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


@pytest.mark.parametrize("mode", MODES)
def test_another_clients_token_is_refused(world: World, mode: str) -> None:
    """The machine client's token has the scope, but the location wants the web client."""
    _, good = world.user_token()
    _refused(world, mode, world.machine_token(), good=good, status=403)


@pytest.mark.parametrize("mode", MODES)
def test_an_id_token_is_refused(world: World, mode: str) -> None:
    _, good = world.user_token()
    # Offline, the ID token's signature is good and its claims fail (no client_id, token_use
    # id); mamori's introspection calls it inactive.
    _refused(world, mode, world.last_id_token, good=good, status=403 if mode == "jwks" else 401)


@pytest.mark.parametrize("mode", MODES)
def test_a_token_without_the_scope_is_refused(world: World, mode: str) -> None:
    _, good = world.user_token()
    _, narrow = world.user_token(scope="openid email")
    _refused(world, mode, narrow, good=good, status=403)


def test_a_revoked_token_is_refused_by_introspection_only(world: World) -> None:
    """After a global sign-out, introspection refuses the token at once; the offline check
    cannot know and still lets it through until it expires (docs/integrations.md)."""
    username, revoked = world.user_token()
    _, good = world.user_token()
    _passes(world, "introspect", revoked)
    _passes(world, "jwks", revoked)
    world.server.admin().admin_user_global_sign_out(UserPoolId=world.pool_id, Username=username)
    response = _refused(world, "introspect", revoked, good=good)
    assert 'error="invalid_token"' in response.headers["www-authenticate"]
    _passes(world, "jwks", revoked)


# The example values docs/integrations.md shows the config with.
DOC_VALUES = {
    "jwks_host": "*:8081",
    "introspect_host": "*:8082",
    "issuer": "https://id.example.com/us-east-1_Ab12Cd34E",
    "domain": "https://shop.auth.example.com",
    "backend": "http://127.0.0.1:3000",
    "client_id": "1example23456789abcdefghij",
    "gateway_id": "2gateway3456789abcdefghijk",
    "gateway_secret": "the-gateway-clients-secret",
}


def test_the_documented_config_is_the_tested_one() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "integrations.md").read_text()
    assert resource_server_config(**DOC_VALUES).strip() in doc
