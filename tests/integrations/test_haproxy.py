"""HAProxy 2.6 checking mamori's access tokens offline with `jwt_verify` and the pool's public
key exported by `mamori keys export --format pem`, in front of an echo backend: signature (RS256
only), expiry against `date()`, issuer, token_use, client_id and a scope. Each refusal is
asserted next to the good token passing the same HAProxy. Revocation is what an offline check
cannot see: a revoked token still passes HAProxy, while mamori's forward-auth refuses it."""

# ruff: noqa: E501  (HAProxy's configuration has no line continuation; it is shown verbatim)

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import jwt
import pytest
from tests.support.gateways import (
    SCOPE,
    Issuer,
    echo_backend,
    export_pem,
    free_port,
    gateway,
    make_issuer,
    require_program,
    tampered,
    through,
)
from tests.support.identity import forged
from tests.support.live import run_server

HAPROXY = "/usr/sbin/haproxy"


def haproxy_config(port: int, backend: str, pem: Path, issuer: str, client_id: str) -> str:
    """The configuration docs/integrations.md shows ("HAProxy jwt_verify"), verbatim."""
    return f"""
global
    log stderr format raw local0 warning

defaults
    mode http
    log global
    timeout connect 5s
    timeout client 30s
    timeout server 30s

frontend api
    bind 127.0.0.1:{port}
    # Identity headers come from the verified token only, never from the caller.
    http-request del-header X-Mamori-Sub
    http-request del-header X-Mamori-Username
    http-request del-header X-Mamori-Client-Id
    http-request del-header X-Mamori-Scope

    http-request set-var(txn.bearer) http_auth_bearer
    http-request set-var(txn.alg) var(txn.bearer),jwt_header_query('$.alg')
    http-request set-var(txn.iss) var(txn.bearer),jwt_payload_query('$.iss')
    http-request set-var(txn.token_use) var(txn.bearer),jwt_payload_query('$.token_use')
    http-request set-var(txn.client_id) var(txn.bearer),jwt_payload_query('$.client_id')
    http-request set-var(txn.scope) var(txn.bearer),jwt_payload_query('$.scope')
    http-request set-var(txn.sub) var(txn.bearer),jwt_payload_query('$.sub')
    http-request set-var(txn.username) var(txn.bearer),jwt_payload_query('$.username')
    http-request set-var(txn.exp) var(txn.bearer),jwt_payload_query('$.exp','int')
    http-request set-var(txn.now) date()

    acl has_token var(txn.bearer) -m found
    acl rs256 var(txn.alg) -m str RS256
    acl signed var(txn.bearer),jwt_verify("RS256","{pem}") -m int 1
    acl from_pool var(txn.iss) -m str {issuer}
    acl access_token var(txn.token_use) -m str access
    acl our_client var(txn.client_id) -m str {client_id}
    acl has_exp var(txn.exp) -m found
    acl expired var(txn.exp),sub(txn.now) -m int lt 0
    acl can_read var(txn.scope) -m reg (^|\\s){SCOPE}(\\s|$)

    http-request deny deny_status 401 content-type text/plain string "no token" hdr WWW-Authenticate 'Bearer realm="orders"' unless has_token
    http-request deny deny_status 401 content-type text/plain string "invalid token" hdr WWW-Authenticate 'Bearer realm="orders", error="invalid_token"' unless rs256 signed from_pool access_token has_exp !expired our_client
    http-request deny deny_status 403 content-type text/plain string "insufficient scope" hdr WWW-Authenticate 'Bearer realm="orders", error="insufficient_scope"' unless can_read

    http-request set-header X-Mamori-Sub %[var(txn.sub)]
    http-request set-header X-Mamori-Username %[var(txn.username)] if {{ var(txn.username) -m found }}
    http-request set-header X-Mamori-Client-Id %[var(txn.client_id)]
    http-request set-header X-Mamori-Scope %[var(txn.scope)]
    default_backend app

backend app
    server app {backend}
"""


@dataclass
class World:
    issuer: Issuer
    url: str  # HAProxy's frontend


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    haproxy = require_program(HAPROXY)
    tmp = tmp_path_factory.mktemp("haproxy")
    with run_server(tmp, "sqlite") as server, echo_backend() as backend:
        issuer = make_issuer(server)
        pem = export_pem(server, issuer.pool_id, tmp / "pool.pem")
        port = free_port()
        config = tmp / "haproxy.cfg"
        config.write_text(haproxy_config(port, backend, pem, issuer.issuer, issuer.web.client_id))
        with gateway([haproxy, "-db", "-f", str(config)], port, tmp):
            yield World(issuer, f"http://127.0.0.1:{port}")


def _passes(world: World, token: str, **headers: str) -> dict[str, str]:
    passed = through(f"{world.url}/orders", token, **headers)
    assert passed.status == 200 and passed.seen is not None, passed
    assert passed.seen["path"] == "/orders"
    return dict(passed.seen["headers"])


def _refused(world: World, token: str | None, status: int = 401, *, good: str) -> httpx.Headers:
    """Refused by HAProxy without reaching the backend; `good` passes right after."""
    passed = through(f"{world.url}/refused-{secrets.token_hex(3)}", token)
    assert passed.status == status, passed
    assert not passed.reached_backend
    _passes(world, good)
    return passed.headers


def test_a_good_token_passes_with_its_identity(world: World) -> None:
    username = world.issuer.user()
    token = world.issuer.tokens(username)["access_token"]
    seen = _passes(world, token, X_Mamori_Username="root", X_Mamori_Scope="orders/write")
    assert seen["x-mamori-username"] == username  # the caller's own value was dropped
    assert seen["x-mamori-client-id"] == world.issuer.web.client_id
    assert seen["x-mamori-scope"] == f"openid {SCOPE}"
    assert seen["x-mamori-sub"] == jwt.decode(token, options={"verify_signature": False})["sub"]


def test_no_token_is_refused_with_a_bearer_challenge(world: World) -> None:
    headers = _refused(world, None, good=world.issuer.access())
    assert headers["www-authenticate"] == 'Bearer realm="orders"'


def test_an_expired_token_is_refused(world: World) -> None:
    headers = _refused(world, world.issuer.expired(), good=world.issuer.access())
    assert 'error="invalid_token"' in headers["www-authenticate"]


def test_another_clients_token_is_refused(world: World) -> None:
    other = world.issuer.tokens(world.issuer.user(), client=world.issuer.other)["access_token"]
    _refused(world, other, good=world.issuer.access())


def test_another_pools_token_is_refused(world: World) -> None:
    _refused(world, world.issuer.stranger_token, good=world.issuer.access())


def test_a_token_without_the_scope_is_refused(world: World) -> None:
    headers = _refused(world, world.issuer.access(scope="openid"), 403, good=world.issuer.access())
    assert 'error="insufficient_scope"' in headers["www-authenticate"]


def test_an_id_token_is_refused(world: World) -> None:
    id_token = world.issuer.tokens(world.issuer.user())["id_token"]
    _refused(world, id_token, good=world.issuer.access())


def test_forged_and_tampered_tokens_are_refused(world: World) -> None:
    good = world.issuer.access()
    _refused(world, forged(good), good=good)  # same claims and kid, a stranger's key
    _refused(world, tampered(good, client_id=world.issuer.web.client_id, exp=2**40), good=good)
    other = world.issuer.tokens(world.issuer.user(), client=world.issuer.other)["access_token"]
    _refused(world, tampered(other, client_id=world.issuer.web.client_id), good=good)
    claims = jwt.decode(good, options={"verify_signature": False})
    unsigned = jwt.encode(claims, None, algorithm="none")
    _refused(world, unsigned, good=good)
    # HS256 keyed with the public key's PEM: the classic algorithm confusion.
    pem = (world.issuer.server.data_dir.parent / "pool.pem").read_bytes()
    header = {"alg": "HS256", "typ": "JWT", "kid": jwt.get_unverified_header(good)["kid"]}
    signing_input = ".".join(
        base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()
        for part in (header, claims)
    )
    mac = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
    confused = signing_input + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
    _refused(world, confused, good=good)


def test_a_revoked_token_still_passes_an_offline_check(world: World) -> None:
    """What HAProxy cannot see: revocation lives in mamori's database. The same token that
    passes HAProxy here is refused by mamori's forward-auth, which asks it."""
    revoked = world.issuer.revoked()
    _passes(world, revoked)
    asked = httpx.get(
        f"{world.issuer.issuer}/forward-auth",
        headers={"Authorization": f"Bearer {revoked}"},
        timeout=10,
    )
    assert asked.status_code == 401
    assert "revoked" in asked.headers["www-authenticate"]
