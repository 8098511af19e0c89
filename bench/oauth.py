"""The token endpoint under load: `client_credentials` (POST /oauth2/token on the pool's domain,
HTTP Basic, a resource-server scope) and `code_exchange` (the authorization_code grant with
PKCE, one single-use code per request).

Requests name the domain by Host (`<prefix>.<auth_domain>`, as Cognito's domains are reached),
or with `--oauth-path-prefix` by path (`/<poolId>/oauth2/token` on the server's own host).

The codes are written straight into the database as AuthorizationCodes.issue would write them
(keyed digests under the data directory's master key), for seeded users, so the measurement is
the exchange alone, not the hosted sign-in before it.
"""

from __future__ import annotations

import asyncio
import base64
import secrets
import urllib.parse
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import insert, select

from bench import load
from mamori.adapters.store.sql.connection.engine import make_async_engine
from mamori.adapters.store.sql.tables import authorization_codes, users
from mamori.crypto.aead import Keyring
from mamori.crypto.secrets import opaque_token
from mamori.protocols.oauth2.rfc7636 import s256

OPS = ("client_credentials", "code_exchange")
CALLBACK = "https://bench.example/callback"
VERIFIER = "bench-verifier-" + "v" * 40
SCOPES = ("openid", "email", "bench/read")


@dataclass
class Setup:
    pool_id: str
    client_id: str
    secret: str
    codes: list[str]
    domain_host: str | None  # the Host naming the pool's domain; None: by path prefix


def prepare(admin: Any, pool_id: str, auth_domain: str | None) -> Setup:
    """A domain for the pool (the token endpoint answers only on one), a resource server and a
    confidential client allowed both grants. `auth_domain`: the server's (requests name the
    domain by Host); None: by path prefix."""
    prefix = f"bench-{secrets.token_hex(4)}"
    admin.create_user_pool_domain(Domain=prefix, UserPoolId=pool_id)
    admin.create_resource_server(
        UserPoolId=pool_id,
        Identifier="bench",
        Name="bench",
        Scopes=[{"ScopeName": "read", "ScopeDescription": "read"}],
    )
    client = admin.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="bench-oauth",
        GenerateSecret=True,
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["code", "client_credentials"],
        AllowedOAuthScopes=list(SCOPES),
        CallbackURLs=[CALLBACK],
    )["UserPoolClient"]
    host = f"{prefix}.{auth_domain}" if auth_domain else None
    return Setup(pool_id, client["ClientId"], client["ClientSecret"], [], host)


async def _mint(database_url: str, keyring: Keyring, setup: Setup, count: int) -> list[str]:
    engine = make_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            subs = list(
                (
                    await conn.execute(
                        select(users.c.sub).where(users.c.pool_id == setup.pool_id).limit(4096)
                    )
                ).scalars()
            )
        if not subs:
            raise SystemExit("code_exchange: the pool has no users")
        now = datetime.now(UTC)
        codes = [opaque_token(32) for _ in range(count)]
        rows = [
            {
                "digest": keyring.digest(code, "authorization-code"),
                "pool_id": setup.pool_id,
                "client_id": setup.client_id,
                "sub": subs[i % len(subs)],
                "redirect_uri": CALLBACK,
                "scopes": " ".join(SCOPES),
                "auth_time": int(now.timestamp()),
                "nonce": f"n{i}",
                "code_challenge": s256(VERIFIER),
                "expires": now + timedelta(minutes=5),
                "used_at": None,
                "origin_jti": None,
                "replayed": False,
            }
            for i, code in enumerate(codes)
        ]
        async with engine.begin() as conn:
            for i in range(0, len(rows), 2000):
                await conn.execute(insert(authorization_codes), rows[i : i + 2000])
        return codes
    finally:
        await engine.dispose()


def mint_codes(database_url: str, keyring: Keyring, setup: Setup, count: int) -> None:
    """`count` fresh codes (valid five minutes: mint them just before measuring)."""
    setup.codes = asyncio.run(_mint(database_url, keyring, setup, count))


def _request(url: str, setup: Setup, form: dict[str, str]) -> bytes:
    parts = urlsplit(url)
    port = parts.port or 80
    if setup.domain_host is not None:
        host, path = f"{setup.domain_host}:{port}", "/oauth2/token"
    else:
        host, path = f"{parts.hostname}:{port}", f"/{setup.pool_id}/oauth2/token"
    body = urllib.parse.urlencode(form).encode()
    basic = base64.b64encode(
        f"{urllib.parse.quote(setup.client_id)}:{urllib.parse.quote(setup.secret)}".encode()
    ).decode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Authorization: Basic {basic}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def jobs(
    url: str,
    op: str,
    setup: Setup,
    concurrency: int,
    procs: int,
    start: float,
    measure_at: float,
    end: float,
) -> list[load.Job]:
    per_proc = max(1, concurrency // procs)
    if op == "client_credentials":
        request = _request(url, setup, {"grant_type": "client_credentials"})
        parts = [[request]] * procs
    else:
        requests = [
            _request(
                url,
                setup,
                {
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": CALLBACK,
                    "code_verifier": VERIFIER,
                },
            )
            for code in setup.codes
        ]
        parts = load.split(requests, procs)
    return [
        load.Job(
            url,
            op,
            part,
            per_proc,
            start,
            measure_at,
            end,
            raw=True,
            single_use=op == "code_exchange",
        )
        for part in parts
    ]


def codes_needed(rate_guess: float, warmup: float, duration: float) -> int:
    """Enough single-use codes that the run never runs out (it would under-count)."""
    return int(rate_guess * (warmup + duration + 1.0)) + 1000
