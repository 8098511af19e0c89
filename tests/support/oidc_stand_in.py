"""An OpenID Connect provider standing in for Google or a company's provider: panva's
oidc-provider under node (tests/node/oidc_stand_in.mjs), its sign-in done at once for the
account a test names (`sign_in_as`), or refused (`deny`)."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.support.live import free_port
from tests.support.node import NODE_DIR


@dataclass
class StandIn:
    issuer: str
    account_file: Path

    def sign_in_as(self, account_id: str, **claims: Any) -> None:
        """Who the next sign-in at the provider is, with which claims (email, name, ...)."""
        self.account_file.write_text(json.dumps({"accountId": account_id, "claims": claims}))

    def deny(self) -> None:
        """The next sign-in ends in error=access_denied."""
        self.account_file.write_text(json.dumps({"deny": True}))


def google_endpoints(url: str) -> dict[str, str]:
    """The federation_endpoints overrides that make the stand-in at `url` Google (its issuer
    too)."""
    return {
        "google.authorize_url": f"{url}/auth",
        "google.token_url": f"{url}/token",
        "google.issuer": url,
        "google.jwks_uri": f"{url}/jwks",
    }


def client(
    client_id: str, secret: str, redirect_uris: Sequence[str], auth: str = "client_secret_post"
) -> dict[str, Any]:
    """A relying party registered at the stand-in (oidc-provider's client metadata)."""
    return {
        "client_id": client_id,
        "client_secret": secret,
        "redirect_uris": list(redirect_uris),
        "token_endpoint_auth_method": auth,
        "grant_types": ["authorization_code"],
        "response_types": ["code"],
    }


@contextmanager
def oidc_stand_in(
    tmp: Path, clients: Sequence[Mapping[str, Any]], port: int | None = None
) -> Iterator[StandIn]:
    """The provider on `port` (a free loopback port when None), until the block ends."""
    if shutil.which("node") is None:
        pytest.skip("needs Node.js")
    port = port or free_port()
    account_file = tmp / f"oidc-account-{port}.json"
    account_file.write_text(json.dumps({"accountId": "nobody", "claims": {}}))
    config = {"port": port, "clients": list(clients), "accountFile": str(account_file)}
    log = (tmp / f"oidc-stand-in-{port}.log").open("w")
    proc = subprocess.Popen(
        ["node", str(NODE_DIR / "oidc_stand_in.mjs"), json.dumps(config)],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        cwd=NODE_DIR,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the OIDC stand-in did not start: {Path(log.name).read_text()}")
        ready = json.loads(line)
        yield StandIn(ready["issuer"], account_file)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
        log.close()
