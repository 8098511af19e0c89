"""Caddy 2.6 with `forward_auth` to mamori's `/{UserPoolId}/forward-auth` in front of an echo
backend: a good token passes and the backend receives the identity mamori answered
(copy_headers); a revoked, expired, another client's, another pool's, scope-less, forged or
missing token is refused with mamori's RFC 6750 answer. Each refusal is asserted next to the
good token passing the same Caddy."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from tests.support.gateways import (
    SCOPE,
    Issuer,
    echo_backend,
    free_port,
    gateway,
    make_issuer,
    require_program,
    tampered,
    through,
)
from tests.support.identity import forged
from tests.support.live import run_server

CADDY = "/usr/bin/caddy"


def caddyfile(port: int, mamori: str, backend: str, pool_id: str, client_ids: str) -> str:
    """The configuration docs/integrations.md shows ("Caddy forward_auth"), verbatim.
    `client_ids`: the app clients admitted, comma-separated."""
    return f"""
{{
	admin off
	auto_https off
}}

(mamori_identity) {{
	# Identity headers come from mamori's answer only, never from the caller.
	request_header -X-Mamori-Sub
	request_header -X-Mamori-Username
	request_header -X-Mamori-Groups
	request_header -X-Mamori-Scope
	request_header -X-Mamori-Client-Id
}}

http://127.0.0.1:{port} {{
	route /admin/* {{
		import mamori_identity
		forward_auth {mamori} {{
			uri /{pool_id}/forward-auth?client_id={client_ids}&scope={SCOPE}&group=admin
			header_up Host {{upstream_hostport}}
			copy_headers {{
				X-Mamori-Sub
				X-Mamori-Username
				X-Mamori-Groups
				X-Mamori-Scope
				X-Mamori-Client-Id
			}}
		}}
		reverse_proxy {backend}
	}}
	route {{
		import mamori_identity
		forward_auth {mamori} {{
			uri /{pool_id}/forward-auth?client_id={client_ids}&scope={SCOPE}
			header_up Host {{upstream_hostport}}
			copy_headers {{
				X-Mamori-Sub
				X-Mamori-Username
				X-Mamori-Groups
				X-Mamori-Scope
				X-Mamori-Client-Id
			}}
		}}
		reverse_proxy {backend}
	}}
}}
"""


@dataclass
class World:
    issuer: Issuer
    url: str  # Caddy's site


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    caddy = require_program(CADDY)
    tmp = tmp_path_factory.mktemp("caddy")
    with run_server(tmp, "sqlite") as server, echo_backend() as backend:
        issuer = make_issuer(server)
        port = free_port()
        config = tmp / "Caddyfile"
        mamori = server.url.removeprefix("http://")
        # The web app's users and one service (client_credentials) are admitted.
        admitted = f"{issuer.web.client_id},{issuer.machine_id}"
        config.write_text(caddyfile(port, mamori, backend, issuer.pool_id, admitted))
        # Caddy keeps its state under these; none of the user's own.
        env = {
            "HOME": str(tmp),
            "XDG_CONFIG_HOME": str(tmp / "config"),
            "XDG_DATA_HOME": str(tmp / "data"),
            "PATH": "/usr/bin:/bin",
        }
        args = [caddy, "run", "--config", str(config), "--adapter", "caddyfile"]
        with gateway(args, port, tmp, env):
            yield World(issuer, f"http://127.0.0.1:{port}")


def _passes(world: World, token: str, path: str = "/orders", **headers: str) -> dict[str, str]:
    passed = through(f"{world.url}{path}", token, **headers)
    assert passed.status == 200 and passed.seen is not None, passed
    assert passed.seen["path"] == path
    return dict(passed.seen["headers"])


def _refused(world: World, token: str | None, status: int = 401, *, good: str) -> str:
    """Refused by Caddy with mamori's answer, the backend never reached; `good` passes the
    same Caddy right after. Returns the WWW-Authenticate challenge."""
    passed = through(f"{world.url}/refused-{secrets.token_hex(3)}", token)
    assert passed.status == status, passed
    assert not passed.reached_backend
    _passes(world, good)
    return passed.headers["www-authenticate"]


def test_a_good_token_passes_with_the_identity_mamori_answered(world: World) -> None:
    username = world.issuer.user("reader")
    token = world.issuer.tokens(username)["access_token"]
    seen = _passes(world, token, X_Mamori_Username="root", X_Mamori_Groups="admin")
    assert seen["x-mamori-username"] == username  # the caller's own values were dropped
    assert seen["x-mamori-groups"] == "reader"
    assert seen["x-mamori-client-id"] == world.issuer.web.client_id
    assert seen["x-mamori-scope"] == f"openid {SCOPE}"
    assert seen["x-mamori-sub"]
    assert seen["authorization"] == f"Bearer {token}"  # the backend may still read it


def test_a_route_asking_for_a_group(world: World) -> None:
    reader, admin = world.issuer.access("reader"), world.issuer.access("admin")
    passed = through(f"{world.url}/admin/users", reader)
    assert passed.status == 403 and not passed.reached_backend
    assert 'error="insufficient_scope"' in passed.headers["www-authenticate"]
    seen = _passes(world, admin, "/admin/users")
    assert seen["x-mamori-groups"] == "admin"


def test_a_spoofed_identity_never_reaches_the_backend(world: World) -> None:
    """A client_credentials token has no username or groups: mamori answers none, and the
    caller's own X-Mamori-Username must not get through in their place."""
    machine = world.issuer.machine_token()
    seen = _passes(world, machine, X_Mamori_Username="root", X_Mamori_Groups="admin")
    assert seen.get("x-mamori-username", "") == "", json.dumps(seen)
    assert seen.get("x-mamori-groups", "") == "", json.dumps(seen)
    assert seen["x-mamori-sub"] == world.issuer.machine_id


def test_no_token_is_refused(world: World) -> None:
    challenge = _refused(world, None, good=world.issuer.access())
    assert challenge == f'Bearer realm="{world.issuer.pool_id}"'


def test_a_revoked_token_is_refused(world: World) -> None:
    challenge = _refused(world, world.issuer.revoked(), good=world.issuer.access())
    assert 'error="invalid_token"' in challenge and "revoked" in challenge


def test_an_expired_token_is_refused(world: World) -> None:
    challenge = _refused(world, world.issuer.expired(), good=world.issuer.access())
    assert 'error="invalid_token"' in challenge and "expired" in challenge


def test_another_clients_token_is_refused(world: World) -> None:
    other = world.issuer.tokens(world.issuer.user(), client=world.issuer.other)["access_token"]
    challenge = _refused(world, other, good=world.issuer.access())
    assert 'error="invalid_token"' in challenge


def test_another_pools_token_is_refused(world: World) -> None:
    _refused(world, world.issuer.stranger_token, good=world.issuer.access())


def test_a_token_without_the_scope_is_refused(world: World) -> None:
    scopeless = world.issuer.access(scope="openid")
    challenge = _refused(world, scopeless, 403, good=world.issuer.access())
    assert 'error="insufficient_scope"' in challenge


def test_forged_and_tampered_tokens_are_refused(world: World) -> None:
    good = world.issuer.access()
    _refused(world, forged(good), good=good)
    _refused(world, tampered(good, scope=f"openid {SCOPE} orders/write"), good=good)
