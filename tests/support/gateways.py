"""Real gateways in front of a tiny backend, for the integration tests: a backend that echoes
what reached it (path and headers, as JSON), a gateway process started on a free port with its
configuration in the test's directory and stopped after, and the tokens the tests show them."""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.support.factories import PASSWORD, make_client, make_pool, make_user, sign_in
from tests.support.hosted import Hosted, callback_params, make_hosted, sign_in_by_form
from tests.support.identity import expired, pool_signing_key
from tests.support.live import Server, free_port
from tests.support.oauth import basic

__all__ = [
    "SCOPE",
    "Issuer",
    "echo_backend",
    "export_pem",
    "free_port",
    "gateway",
    "make_issuer",
    "require_program",
    "tampered",
    "through",
]

SCOPE = "orders/read"  # the scope the gateways' routes ask for
IDENTITY_HEADERS = (
    "X-Mamori-Sub",
    "X-Mamori-Username",
    "X-Mamori-Groups",
    "X-Mamori-Scope",
    "X-Mamori-Client-Id",
)


def require_program(path: str) -> str:
    """The program's path, or the test is skipped saying which package is missing."""
    found = shutil.which(path)
    if found is None:
        pytest.skip(f"{path} is not installed (scripts/ensure-packages.sh installs it)")
    return found


class _Echo(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        if length:
            self.rfile.read(length)
        body = json.dumps(
            {
                "method": self.command,
                "path": self.path,
                # Every header as received, repeated ones joined, names lower-cased.
                "headers": {
                    k.lower(): ", ".join(self.headers.get_all(k) or ()) for k in self.headers
                },
            }
        ).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_DELETE = _answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def echo_backend() -> Iterator[str]:
    """A backend on a free loopback port answering every request with what reached it:
    {"method", "path", "headers"}; yields its host:port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


@contextmanager
def gateway(
    args: Sequence[str], port: int, tmp: Path, env: Mapping[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """Run `args` (a gateway in the foreground) until it listens on `port`; stop it after. Its
    output goes to tmp/<program>-<port>.log, shown when it fails to start."""
    log_path = tmp / f"{Path(args[0]).name}-{port}.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            list(args), stdout=log, stderr=subprocess.STDOUT, env=dict(env) if env else None
        )
        try:
            deadline = time.monotonic() + 20
            while not _listening(port):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{args[0]} did not start: {log_path.read_text()[-3000:]}")
                time.sleep(0.05)
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


@dataclass(frozen=True)
class Passed:
    """A request through a gateway: its status, and what the backend saw (None: it never got
    there)."""

    status: int
    headers: httpx.Headers
    seen: dict[str, Any] | None

    @property
    def reached_backend(self) -> bool:
        return self.seen is not None


def through(url: str, token: str | None, **headers: str) -> Passed:
    """GET `url` with `token` as a bearer token (and extra headers, `_` as `-`)."""
    sent = {k.replace("_", "-"): v for k, v in headers.items()}
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    response = httpx.get(url, headers=sent, timeout=10)
    seen = None
    if response.status_code == 200 and response.headers.get("content-type") == "application/json":
        body = response.json()
        if isinstance(body, dict) and "headers" in body:
            seen = body
    return Passed(response.status_code, response.headers, seen)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def tampered(token: str, **changes: Any) -> str:
    """`token` with claims changed in its payload and the original signature kept."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    return f"{header}.{_b64(json.dumps(claims).encode())}.{signature}"


@dataclass
class Issuer:
    """A pool with a domain, a resource server `orders` (read, write) and three app clients:
    `web` (the one the gateways admit: code flow, secret), `other` (the same pool, another
    client), `machine` (client_credentials); and a user in another pool, for tokens the
    gateways must not take."""

    server: Server
    pool_id: str
    web: Hosted
    other: Hosted
    machine_id: str
    machine_secret: str
    stranger_token: str  # a good access token of another pool

    @property
    def issuer(self) -> str:
        return f"{self.server.url}/{self.pool_id}"

    def user(self, *groups: str) -> str:
        username = make_user(self.server, self.pool_id)
        for group in groups:
            self.server.admin().admin_add_user_to_group(
                UserPoolId=self.pool_id, Username=username, GroupName=group
            )
        return username

    def tokens(
        self, username: str, scope: str = f"openid {SCOPE}", client: Hosted | None = None
    ) -> dict[str, str]:
        """The token response of the code grant after `username` signed in on the hosted
        login through `client` (default `web`)."""
        client = client or self.web
        query = urllib.parse.urlencode(
            {
                "response_type": "code",
                "client_id": client.client_id,
                "redirect_uri": client.redirect_uri,
                "scope": scope,
            }
        )
        with httpx.Client(timeout=15) as http:
            done = sign_in_by_form(
                http,
                f"{client.by_path}/oauth2/authorize?{query}",
                username,
                PASSWORD,
                client.redirect_uri,
            )
            assert client.client_secret is not None
            answer = http.post(
                f"{client.by_path}/oauth2/token",
                data={
                    "grant_type": "authorization_code",
                    "code": callback_params(done)["code"],
                    "redirect_uri": client.redirect_uri,
                },
                headers=basic(client.client_id, client.client_secret),
            )
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    def access(self, *groups: str, scope: str = f"openid {SCOPE}") -> str:
        """A new user's access token through `web` with `scope`."""
        return self.tokens(self.user(*groups), scope)["access_token"]

    def machine_token(self, scope: str = SCOPE) -> str:
        answer = httpx.post(
            f"{self.web.by_path}/oauth2/token",
            data={"grant_type": "client_credentials", "scope": scope},
            headers=basic(self.machine_id, self.machine_secret),
            timeout=15,
        )
        assert answer.status_code == 200, answer.text
        return str(answer.json()["access_token"])

    def revoked(self) -> str:
        """A user's access token whose sign-in was then revoked (RevokeToken with its refresh
        token, as an app signing out does)."""
        tokens = self.tokens(self.user())
        self.server.public().revoke_token(
            Token=tokens["refresh_token"],
            ClientId=self.web.client_id,
            ClientSecret=self.web.client_secret,
        )
        return tokens["access_token"]

    def expired(self) -> str:
        """A user's real access token re-signed by the pool's own key with an `exp` an hour ago
        (no server clock to move, and the shortest validity Cognito allows is 5 minutes)."""
        token = self.access()
        return expired(pool_signing_key(self.server, self.pool_id), token)


def make_issuer(server: Server) -> Issuer:
    admin = server.admin()
    pool_id = str(make_pool(server)["Id"])
    admin.create_resource_server(
        UserPoolId=pool_id,
        Identifier="orders",
        Name="orders",
        Scopes=[
            {"ScopeName": "read", "ScopeDescription": "read orders"},
            {"ScopeName": "write", "ScopeDescription": "write orders"},
        ],
    )
    for group in ("admin", "reader"):
        admin.create_group(UserPoolId=pool_id, GroupName=group)
    scopes = ["openid", "email", SCOPE, "orders/write"]
    web = make_hosted(server, pool_id=pool_id, secret=True, scopes=scopes)
    other = make_hosted(server, pool_id=pool_id, secret=True, scopes=scopes)
    machine = make_client(
        server,
        pool_id,
        GenerateSecret=True,
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["client_credentials"],
        AllowedOAuthScopes=[SCOPE],
    )
    elsewhere = str(make_pool(server)["Id"])
    elsewhere_client = str(make_client(server, elsewhere)["ClientId"])
    stranger = sign_in(server, elsewhere_client, make_user(server, elsewhere))["AccessToken"]
    return Issuer(
        server,
        pool_id,
        web,
        other,
        str(machine["ClientId"]),
        str(machine["ClientSecret"]),
        str(stranger),
    )


def export_pem(server: Server, pool_id: str, out: Path) -> Path:
    """The pool's signing key as a PEM public key, written by `mamori keys export` (the command
    an operator runs for HAProxy) from the server's database with its master key."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAMORI_")}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mamori.cli",
            "keys",
            "export",
            pool_id,
            "--format",
            "pem",
            "--out",
            str(out),
            "--data-dir",
            str(server.data_dir),
            "--database-url",
            server.database_url,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return out
