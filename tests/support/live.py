"""Start real `mamori serve` processes on SQLite or a fresh PostgreSQL database."""

from __future__ import annotations

import base64
import json
import os
import secrets
import socket
import ssl
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

PG_ADMIN_DSN = os.environ.get("MAMORI_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
REGION = "us-east-1"
CHEAP_HASHING = {
    "MAMORI_ARGON2_MEMORY_KIB": "256",
    "MAMORI_ARGON2_TIME_COST": "1",
    # Many servers share the test PostgreSQL (max_connections 100): keep each one small.
    "MAMORI_DATABASE_POOL_SIZE": "4",
}
# Test servers answer one test process at loopback speed: the guessing limits are set far above
# what any test does, except where a test sets them (tests/api/cognito_idp/test_guard*.py,
# extra_env).
ROOMY_LIMITS = {
    "MAMORI_RATE_LIMIT_IP_PER_SECOND": "1000",
    "MAMORI_RATE_LIMIT_IP_BURST": "1000",
    "MAMORI_RATE_LIMIT_USER_PER_SECOND": "100",
    "MAMORI_RATE_LIMIT_USER_BURST": "100",
    "MAMORI_CODE_SENDS_PER_USER_PER_HOUR": "0",
    "MAMORI_CODE_SENDS_PER_DESTINATION_PER_HOUR": "0",
}
_NO_RETRY = Config(retries={"total_max_attempts": 1, "mode": "standard"}, read_timeout=30)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def create_pg_database() -> str:
    url = PG_ADMIN_DSN.rsplit("/", 1)[0] + f"/mamori_test_{secrets.token_hex(4)}"
    restore_pg_database(url)
    return url


def restore_pg_database(url: str) -> None:
    """(Re)create the empty database of a URL made by `create_pg_database`."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_pg_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Server:
    url: str
    data_dir: Path
    database_url: str
    access_key_id: str
    secret_access_key: str = field(repr=False)
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    def admin(self, **kwargs: Any) -> Any:
        return boto3.client(
            "cognito-idp",
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
            config=_NO_RETRY,
            **kwargs,
        )

    def public(self) -> Any:
        """A client with no credentials at all: public operations must work unsigned."""
        from botocore import UNSIGNED

        return boto3.client(
            "cognito-idp",
            endpoint_url=self.url,
            region_name=REGION,
            config=_NO_RETRY.merge(Config(signature_version=UNSIGNED)),
        )

    def outbox(self, pool_id: str | None = None, to: str | None = None) -> list[dict[str, Any]]:
        query = urllib.parse.urlencode({k: v for k, v in (("pool", pool_id), ("to", to)) if v})
        token = base64.b64encode(f"{self.access_key_id}:{self.secret_access_key}".encode())
        req = urllib.request.Request(
            f"{self.url}/admin/outbox?{query}", headers={"Authorization": "Basic " + token.decode()}
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            return list(json.load(resp)["messages"])

    def latest_code(self, pool_id: str, to: str) -> str:
        messages = [m for m in self.outbox(pool_id, to) if m["code"]]
        assert messages, f"no code sent to {to}"
        return str(messages[-1]["code"])

    def post(self, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        req = urllib.request.Request(self.url + "/", data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as err:
            return err.code, dict(err.headers), err.read()


def federation_env(endpoints: Mapping[str, str]) -> dict[str, str]:
    """The server environment that sends federation to stand-ins: `endpoints` (a stand-in's
    federation_endpoints overrides, e.g. {"google.token_url": ...}) as
    MAMORI_FEDERATION_ENDPOINTS."""
    return {"MAMORI_FEDERATION_ENDPOINTS": ",".join(f"{k}={v}" for k, v in endpoints.items())}


@contextmanager
def run_server(
    tmp: Path,
    database: str = "sqlite",
    extra_env: dict[str, str] | None = None,
    args: tuple[str, ...] = (),
    database_url: str | None = None,
    port: int | None = None,
) -> Iterator[Server]:
    # `port`: chosen beforehand when the server's own settings must name its URL.
    port = port or free_port()
    data_dir = tmp / f"data-{port}"
    owns_db = False
    if database_url is None:
        if database == "postgres":
            database_url = create_pg_database()
            owns_db = True
        else:
            database_url = f"sqlite:///{data_dir / 'mamori.db'}"
    akid, secret = "AKIDMAMORITEST" + secrets.token_hex(3).upper(), secrets.token_urlsafe(24)
    env = {
        **os.environ,
        **CHEAP_HASHING,
        **ROOMY_LIMITS,
        "MAMORI_ADMIN_ACCESS_KEY_ID": akid,
        "MAMORI_ADMIN_SECRET_ACCESS_KEY": secret,
        "MAMORI_LOG_LEVEL": "warning",
        **(extra_env or {}),
    }
    env.pop("MAMORI_CONFIG", None)
    log_path = tmp / f"server-{port}.log"
    log = open(log_path, "wb")  # noqa: SIM115 (closed below)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mamori.cli",
            "serve",
            "--port",
            str(port),
            "--data-dir",
            str(data_dir),
            "--database-url",
            database_url,
            *args,
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    # With --tls-cert the server speaks HTTPS (self-signed in tests: readiness skips checks).
    tls = "--tls-cert" in args
    url = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
    ready_context = ssl._create_unverified_context() if tls else None  # noqa: S323
    server = Server(url, data_dir, database_url, akid, secret, proc, log_path)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"mamori exited: {log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(url + "/health", timeout=1, context=ready_context) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"mamori did not start: {log_path.read_text()[-3000:]}")
            time.sleep(0.1)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        if owns_db:
            drop_pg_database(database_url)
