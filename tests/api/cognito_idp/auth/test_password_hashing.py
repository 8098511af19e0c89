"""Passwords at rest: argon2id with the configured parameters, upgraded at sign-in when the
parameters change, and sign-in timing that doesn't tell known users from unknown ones."""

from __future__ import annotations

import base64
import secrets
import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.support.db import rows
from tests.support.factories import PASSWORD, make_client, make_pool, make_user, sign_in
from tests.support.live import Server, create_pg_database, drop_pg_database, run_server

from mamori.crypto.passwords import HashParams, PasswordHashing

USER_FLOWS = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]


def stored_hash(database_url: str, pool_id: str, username: str) -> str:
    (row,) = rows(
        database_url,
        "SELECT password_hash FROM users WHERE pool_id = :pool AND username = :name",
        pool=pool_id,
        name=username,
    )
    return str(row["password_hash"])


def test_passwords_are_argon2id_with_the_configured_parameters(server: Server) -> None:
    pool_id = make_pool(server)["Id"]
    username = make_user(server, pool_id)
    encoded = stored_hash(server.database_url, pool_id, username)
    # tests/support/live.py starts servers with m=256 KiB, t=1 (p=1 by default).
    assert encoded.startswith("$argon2id$v=19$m=256,t=1,p=1$")
    assert PASSWORD not in encoded
    salt, digest = encoded.split("$")[4:6]
    assert len(base64.b64decode(salt + "==")) == 16
    assert len(base64.b64decode(digest + "==")) == 32
    # Same password, another user: another salt.
    other = make_user(server, pool_id)
    assert stored_hash(server.database_url, pool_id, other).split("$")[4] != salt


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp / 'shared.db'}"
        return
    url = create_pg_database()
    try:
        yield url
    finally:
        drop_pg_database(url)


def test_sign_in_upgrades_the_hash_when_parameters_change(tmp: Path, database_url: str) -> None:
    master = {"MAMORI_MASTER_KEY": base64.b64encode(secrets.token_bytes(32)).decode()}
    cheap = {**master, "MAMORI_ARGON2_MEMORY_KIB": "256", "MAMORI_ARGON2_TIME_COST": "1"}
    stronger = {**master, "MAMORI_ARGON2_MEMORY_KIB": "1024", "MAMORI_ARGON2_TIME_COST": "2"}
    with run_server(tmp, extra_env=cheap, database_url=database_url) as before:
        pool_id = make_pool(before)["Id"]
        client_id = make_client(before, pool_id, ExplicitAuthFlows=USER_FLOWS)["ClientId"]
        username = make_user(before, pool_id)
    assert stored_hash(database_url, pool_id, username).startswith("$argon2id$v=19$m=256,t=1,")

    with run_server(tmp, extra_env=stronger, database_url=database_url) as after:
        # A failed sign-in proves nothing about the password: the hash stays as it is.
        with pytest.raises(ClientError):
            sign_in(after, client_id, username, "Wr0ng-Password!")
        assert stored_hash(database_url, pool_id, username).startswith("$argon2id$v=19$m=256,")
        assert sign_in(after, client_id, username)["AccessToken"]
        upgraded = stored_hash(database_url, pool_id, username)
        assert upgraded.startswith("$argon2id$v=19$m=1024,t=2,p=1$")
        # Done once: the next sign-in leaves the upgraded hash alone, and it still verifies.
        assert sign_in(after, client_id, username)["AccessToken"]
        assert stored_hash(database_url, pool_id, username) == upgraded


# --- timing
OWASP = {"MAMORI_ARGON2_MEMORY_KIB": "19456", "MAMORI_ARGON2_TIME_COST": "2"}
TRIES = 15


@pytest.fixture(scope="module")
def owasp_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server with real (OWASP minimum) argon2id parameters, for timing only."""
    with run_server(tmp_path_factory.mktemp("owasp"), "sqlite", extra_env=OWASP) as live:
        yield live


def elapsed(attempt: Any) -> float:
    start = time.perf_counter()
    with pytest.raises(ClientError) as exc:
        attempt()
    took = time.perf_counter() - start
    assert exc.value.response["Error"]["Code"] == "NotAuthorizedException"
    assert exc.value.response["Error"]["Message"] == "Incorrect username or password."
    return took


def test_unknown_users_cost_what_known_users_cost(owasp_server: Server) -> None:
    server = owasp_server
    pool_id = make_pool(server)["Id"]
    client_id = make_client(
        server, pool_id, ExplicitAuthFlows=USER_FLOWS, PreventUserExistenceErrors="ENABLED"
    )["ClientId"]
    # One known user per try: five failures in a row would lock a user out (Cognito's lockout),
    # and a locked-out attempt costs no hash at all.
    known = [make_user(server, pool_id) for _ in range(TRIES + 1)]
    public = server.public()

    def try_password(username: str) -> Any:
        return lambda: public.initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": "Wr0ng-Password!"},
        )

    # Warm up connections and caches; then interleave so drift affects both alike.
    elapsed(try_password(known[-1]))
    elapsed(try_password("nobody-at-all"))
    known_times, unknown_times = [], []
    for i in range(TRIES):
        known_times.append(elapsed(try_password(known[i])))
        unknown_times.append(elapsed(try_password(f"nobody-{i}")))
    known_median = statistics.median(known_times)
    unknown_median = statistics.median(unknown_times)

    # The floor: what one verification with these parameters costs in this process.
    hashing = PasswordHashing(HashParams(time_cost=2, memory_kib=19456))
    local = []
    for _ in range(5):
        start = time.perf_counter()
        hashing.verify(None, "Wr0ng-Password!")
        local.append(time.perf_counter() - start)
    floor = 0.5 * statistics.median(local)

    detail = f"known {known_median * 1000:.1f} ms, unknown {unknown_median * 1000:.1f} ms"
    assert known_median > floor and unknown_median > floor, f"{detail}, floor {floor * 1000:.1f}"
    assert 0.6 <= unknown_median / known_median <= 1.6, detail
