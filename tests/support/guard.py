"""Guessing protection over the wire: unsigned calls that report (status, code, message), fresh
client addresses, throttling checks and two server processes sharing one database (and Redis)."""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from tests.support.live import Server, create_pg_database, drop_pg_database, run_server

from mamori.adapters.store.sql.connection.engine import migrate
from mamori.config import Settings

TARGET = "AWSCognitoIdentityProviderService."
REDIS_URL = "redis://127.0.0.1:6379/0"
WRONG = "Incorrect username or password."
LOCKED = "Password attempts exceeded"
USER_FLOWS = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH"]
# Tiny limits for the rate-limit servers: the burst of each bucket, refilled at 1 per second.
PER_IP, PER_USER = 4, 8
PAIR_USER_BURST = 20
ATTEMPT_LIMIT = "Attempt limit exceeded, please try after some time."
# The shipped defaults (tests/support/live.py gives other test servers roomier ones).
DEFAULTS = {
    f"MAMORI_{name.upper()}": str(getattr(Settings(), name))
    for name in (
        "rate_limit_ip_per_second",
        "rate_limit_ip_burst",
        "rate_limit_user_per_second",
        "rate_limit_user_burst",
        "code_sends_per_user_per_hour",
        "code_sends_per_destination_per_hour",
    )
}


def call(server: Server, operation: str, body: dict[str, Any], ip: str | None = None) -> Any:
    """One unsigned call; (HTTP status, __type or "", message) of the answer."""
    headers = {"X-Amz-Target": TARGET + operation, "Content-Type": "application/x-amz-json-1.1"}
    if ip:
        headers["X-Forwarded-For"] = ip
    status, _, raw = server.post(json.dumps(body).encode(), headers)
    data = json.loads(raw) if raw else {}
    return status, data.get("__type", ""), data.get("message", "")


def sign_in(
    server: Server, client_id: str, username: str, password: str, ip: str | None = None
) -> Any:
    body = {
        "ClientId": client_id,
        "AuthFlow": "USER_PASSWORD_AUTH",
        "AuthParameters": {"USERNAME": username, "PASSWORD": password},
    }
    return call(server, "InitiateAuth", body, ip)


def fresh_ip() -> str:
    """A documentation address (RFC 5737) no other test uses."""
    return f"198.51.{secrets.randbelow(256)}.{secrets.randbelow(254) + 1}"


def first_throttled(answers: list[Any]) -> int | None:
    """1-based index of the first TooManyRequestsException answer."""
    for i, (status, code, _) in enumerate(answers, 1):
        if code == "TooManyRequestsException":
            assert status == 400
            return i
    return None


def assert_limited(answers: list[Any], limit: int) -> None:
    """`2 * limit + 1` calls in a row: the first `limit` (the burst) pass, and one of the rest
    is throttled (the bucket refills one a second)."""
    assert len(answers) == 2 * limit + 1
    index = first_throttled(answers)
    assert index is not None, answers
    assert index > limit, answers


# --- two server processes sharing one database (and Redis)
@contextmanager
def server_pair(tmp: Path, database: str, env: dict[str, str]) -> Iterator[tuple[Server, Server]]:
    url = create_pg_database() if database == "postgres" else f"sqlite:///{tmp / 'shared.db'}"
    # Migrated before both start: two SQLite migrators at once would collide.
    migrate(url)
    env = {**env, "MAMORI_MASTER_KEY": base64.b64encode(secrets.token_bytes(32)).decode()}
    try:
        with ExitStack() as stack, ThreadPoolExecutor(2) as starter:
            # Both at once: most of a start is the interpreter importing.
            futures = [
                starter.submit(
                    stack.enter_context, run_server(tmp, extra_env=env, database_url=url)
                )
                for _ in range(2)
            ]
            a, b = (f.result() for f in futures)
            yield a, b
    finally:
        if database == "postgres":
            drop_pg_database(url)


@contextmanager
def limited_server(tmp: Path, database: str) -> Iterator[Server]:
    """A server with tiny rate limits (PER_IP, PER_USER, one a second after the burst) and
    the lockout off, behind a trusted proxy (127.0.0.1), so X-Forwarded-For picks the IP."""
    env = {
        "MAMORI_RATE_LIMIT_IP_PER_SECOND": "1",
        "MAMORI_RATE_LIMIT_IP_BURST": str(PER_IP),
        "MAMORI_RATE_LIMIT_USER_PER_SECOND": "1",
        "MAMORI_RATE_LIMIT_USER_BURST": str(PER_USER),
        "MAMORI_LOCKOUT": "false",
    }
    with run_server(tmp, database, extra_env=env, args=("--trusted-proxies", "127.0.0.1")) as live:
        yield live
