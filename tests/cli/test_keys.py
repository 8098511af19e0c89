"""`mamori keys export` against a live server's database: the JWKS it publishes, one JWK, one
PEM public key that verifies the pool's real tokens; refusals for an unknown pool or kid, and
for a data directory without the master key."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest
from tests.support.factories import make_client, make_pool, make_user, sign_in
from tests.support.live import Server, run_server


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str, str]]:
    """(server, pool id, an access token of the pool)."""
    with run_server(tmp_path_factory.mktemp("keys"), "sqlite") as server:
        pool_id = str(make_pool(server)["Id"])
        client_id = str(make_client(server, pool_id)["ClientId"])
        token = sign_in(server, client_id, make_user(server, pool_id))["AccessToken"]
        yield server, pool_id, str(token)


def _keys(
    server: Server, *args: str, data_dir: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAMORI_")}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mamori.cli",
            "keys",
            "export",
            *args,
            "--data-dir",
            str(data_dir or server.data_dir),
            "--database-url",
            server.database_url,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_jwks_is_what_the_pool_publishes(live: tuple[Server, str, str]) -> None:
    server, pool_id, _ = live
    done = _keys(server, pool_id)
    assert done.returncode == 0, done.stderr
    published = httpx.get(f"{server.url}/{pool_id}/.well-known/jwks.json", timeout=10).json()
    assert json.loads(done.stdout) == published


def test_the_pem_verifies_the_pools_tokens(live: tuple[Server, str, str], tmp_path: Path) -> None:
    server, pool_id, token = live
    out = tmp_path / "pool.pem"
    done = _keys(server, pool_id, "--format", "pem", "--out", str(out))
    assert done.returncode == 0, done.stderr
    pem = out.read_text()
    assert pem.startswith("-----BEGIN PUBLIC KEY-----")
    claims = jwt.decode(token, pem, algorithms=["RS256"], issuer=f"{server.url}/{pool_id}")
    assert claims["token_use"] == "access"
    kid = jwt.get_unverified_header(token)["kid"]
    assert kid in done.stderr  # says which key it wrote
    one = _keys(server, pool_id, "--format", "jwk", "--kid", kid)
    assert json.loads(one.stdout)["kid"] == kid


def test_refusals(live: tuple[Server, str, str], tmp_path: Path) -> None:
    server, pool_id, _ = live
    unknown = _keys(server, "us-east-1_Nobody")
    assert unknown.returncode == 1
    assert "no user pool" in unknown.stderr
    no_kid = _keys(server, pool_id, "--kid", "nope")
    assert no_kid.returncode == 1
    no_key = _keys(server, pool_id, data_dir=tmp_path / "elsewhere")
    assert no_key.returncode == 2
    assert "no master key" in no_key.stderr
    assert not (tmp_path / "elsewhere" / "master.key").exists()  # exporting made none
