"""Guessing protection on live servers: Cognito's lockout after five failed sign-ins, per user
whatever identifier and client, shared by two server processes (database counters on SQLite and
PostgreSQL, Redis counters); rate limits (token buckets) per client IP and per user
(TooManyRequestsException); code-send quotas (LimitExceededException); X-Forwarded-For honoured
only from trusted proxies. The back-off curve, in-process: tests/services/security/test_guard.py."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.support.cognito import error, unique
from tests.support.db import rows
from tests.support.factories import PASSWORD, make_client, make_pool, make_user
from tests.support.guard import (
    DEFAULTS,
    LOCKED,
    PAIR_USER_BURST,
    PER_IP,
    PER_USER,
    REDIS_URL,
    USER_FLOWS,
    WRONG,
    assert_limited,
    call,
    first_throttled,
    fresh_ip,
    limited_server,
    server_pair,
    sign_in,
)
from tests.support.live import Server, run_server


@pytest.fixture(
    scope="module",
    params=[
        "sqlite",
        pytest.param("postgres", marks=pytest.mark.postgres),
        pytest.param("postgres+redis", marks=pytest.mark.postgres),
    ],
)
def pair(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Server, Server]]:
    """Servers A and B on one database with the default limits; with Redis for the counters."""
    database, _, counters = request.param.partition("+")
    # The defaults, with a per-user burst of PAIR_USER_BURST: the lockout test signs one user
    # in 14 times in two seconds.
    env = {
        **DEFAULTS,
        "MAMORI_RATE_LIMIT_USER_BURST": str(PAIR_USER_BURST),
        **({"MAMORI_REDIS_URL": REDIS_URL} if counters == "redis" else {}),
    }
    with server_pair(tmp_path_factory.mktemp("guard-pair"), database, env) as servers:
        yield servers


def test_five_failures_on_one_server_lock_the_user_on_the_other(
    pair: tuple[Server, Server], request: pytest.FixtureRequest
) -> None:
    a, b = pair
    pool_id = make_pool(a)["Id"]
    client_id = make_client(a, pool_id, ExplicitAuthFlows=USER_FLOWS)["ClientId"]
    username = make_user(a, pool_id)

    for _ in range(5):
        assert sign_in(a, client_id, username, "Wr0ng-Password!")[1:] == (
            "NotAuthorizedException",
            WRONG,
        )
    # Locked everywhere, whatever the password: even the right one is not tried.
    assert sign_in(b, client_id, username, PASSWORD)[1:] == ("NotAuthorizedException", LOCKED)
    assert sign_in(a, client_id, username, "Wr0ng-Password!")[2] == LOCKED
    with pytest.raises(ClientError) as admin:
        b.admin().admin_initiate_auth(
            UserPoolId=pool_id,
            ClientId=client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
        )
    assert error(admin) == ("NotAuthorizedException", LOCKED)

    # The first lock lasts one second (attempts during it did not lengthen it).
    time.sleep(1.1)
    status, code, _ = sign_in(b, client_id, username, PASSWORD)
    assert (status, code) == (200, "")
    # The success started the count again: five more failures before the next lock.
    for server in (b, a, b, a, b):
        assert sign_in(server, client_id, username, "Wr0ng-Password!")[2] == WRONG
    assert sign_in(a, client_id, username, PASSWORD)[2] == LOCKED

    stored = rows(a.database_url, "SELECT counter_key FROM counters")
    if "redis" in request.node.callspec.id:
        assert stored == []  # the counters live in Redis
    else:
        assert stored


def test_unknown_users_are_counted_and_locked_like_known_ones(pair: tuple[Server, Server]) -> None:
    a, b = pair
    pool_id = make_pool(a)["Id"]
    hiding = make_client(
        a, pool_id, ExplicitAuthFlows=USER_FLOWS, PreventUserExistenceErrors="ENABLED"
    )
    telling = make_client(
        a, pool_id, ExplicitAuthFlows=USER_FLOWS, PreventUserExistenceErrors="LEGACY"
    )
    known = make_user(a, pool_id)
    nobody = unique("nobody")

    # With PreventUserExistenceErrors the answers are the same, failure by failure.
    for server in (a, b, a, b, a, b):
        assert sign_in(server, hiding["ClientId"], known, "Wr0ng-Password!") == sign_in(
            server, hiding["ClientId"], nobody, "Wr0ng-Password!"
        )
    assert sign_in(a, hiding["ClientId"], nobody, PASSWORD)[2] == LOCKED

    # Without it the unknown name says so, yet it is locked the same way (the count is per
    # pool and username as typed, case-folded: "Ghost" and "ghost" are one).
    ghost = unique("Ghost")
    for server in (a, b, a, b, a):
        assert sign_in(server, telling["ClientId"], ghost, PASSWORD)[1] == "UserNotFoundException"
    assert sign_in(b, telling["ClientId"], ghost.lower(), PASSWORD)[1:] == (
        "NotAuthorizedException",
        LOCKED,
    )
    # Another pool's user of the same name is not affected.
    other_pool = make_pool(a)["Id"]
    other_client = make_client(a, other_pool, ExplicitAuthFlows=USER_FLOWS)["ClientId"]
    make_user(a, other_pool, known)
    assert sign_in(b, other_client, known, PASSWORD)[0] == 200


def test_the_per_user_limit_is_shared_by_both_servers(pair: tuple[Server, Server]) -> None:
    a, b = pair
    pool_id = make_pool(a)["Id"]
    client_id = make_client(a, pool_id, ExplicitAuthFlows=USER_FLOWS)["ClientId"]
    name = unique("flood")
    limit = PAIR_USER_BURST
    answers = [
        sign_in((a, b)[i % 2], client_id, name, "Wr0ng-Password!") for i in range(2 * limit + 1)
    ]
    assert_limited(answers, limit)
    # Between the lock and the limit, nothing else: no 500 under a flood.
    assert {code for _, code, _ in answers} == {
        "UserNotFoundException",
        "NotAuthorizedException",
        "TooManyRequestsException",
    }


# --- rate limits on servers with tiny limits, behind a trusted proxy (127.0.0.1)
@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def limited(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    with limited_server(tmp_path_factory.mktemp("limited"), request.param) as server:
        yield server


@pytest.fixture(scope="module")
def limited_client(limited: Server) -> tuple[str, str]:
    pool_id = make_pool(limited)["Id"]
    return pool_id, make_client(limited, pool_id, ExplicitAuthFlows=USER_FLOWS)["ClientId"]


def test_sign_in_is_limited_per_client_ip(limited: Server, limited_client: tuple[str, str]) -> None:
    _, client_id = limited_client
    ip = fresh_ip()
    answers = [sign_in(limited, client_id, unique(), PASSWORD, ip) for _ in range(2 * PER_IP + 1)]
    assert_limited(answers, PER_IP)
    status, code, message = answers[first_throttled(answers) - 1]  # type: ignore[operator]
    assert (status, code, message) == (400, "TooManyRequestsException", "Too many requests.")
    # The address forwarded by the trusted proxy is the one counted: others go on.
    for _ in range(3 * PER_IP):
        assert (
            sign_in(limited, client_id, unique(), PASSWORD, fresh_ip())[1]
            == "UserNotFoundException"
        )


def test_sign_in_is_limited_per_username(limited: Server, limited_client: tuple[str, str]) -> None:
    _, client_id = limited_client
    name = unique("target")
    answers = [
        sign_in(limited, client_id, name, PASSWORD, fresh_ip()) for _ in range(2 * PER_USER + 1)
    ]
    assert_limited(answers, PER_USER)
    # Case-folded: a capital letter is the same username.
    assert (
        sign_in(limited, client_id, name.upper(), PASSWORD, fresh_ip())[1]
        == "TooManyRequestsException"
    )
    assert sign_in(limited, client_id, unique(), PASSWORD, fresh_ip())[1] == "UserNotFoundException"


def test_code_operations_are_limited(limited: Server, limited_client: tuple[str, str]) -> None:
    _, client_id = limited_client
    ip = fresh_ip()
    # SignUp per client IP.
    signed_up = [
        call(
            limited,
            "SignUp",
            {
                "ClientId": client_id,
                "Username": (name := unique()),
                "Password": PASSWORD,
                "UserAttributes": [{"Name": "email", "Value": f"{name}@example.com"}],
            },
            ip,
        )
        for _ in range(2 * PER_IP + 1)
    ]
    assert_limited(signed_up, PER_IP)
    assert all(status == 200 for status, _, _ in signed_up[:PER_IP])

    # ResendConfirmationCode per username, from any number of addresses.
    name = unique()
    body = {"ClientId": client_id, "Username": name}
    resent = [
        call(limited, "ResendConfirmationCode", body, fresh_ip()) for _ in range(2 * PER_USER + 1)
    ]
    assert_limited(resent, PER_USER)
    # ForgotPassword the same.
    other = {"ClientId": client_id, "Username": unique()}
    assert_limited(
        [call(limited, "ForgotPassword", other, fresh_ip()) for _ in range(2 * PER_USER + 1)],
        PER_USER,
    )

    # ConfirmSignUp per client IP.
    ip = fresh_ip()
    confirmed = [
        call(
            limited,
            "ConfirmSignUp",
            {"ClientId": client_id, "Username": unique(), "ConfirmationCode": "123456"},
            ip,
        )
        for _ in range(2 * PER_IP + 1)
    ]
    assert_limited(confirmed, PER_IP)


def test_admin_sign_in_is_limited_by_the_context_data_address(
    limited: Server, limited_client: tuple[str, str]
) -> None:
    pool_id, client_id = limited_client
    admin = limited.admin()

    def admin_sign_in(context: dict[str, Any] | None) -> Any:
        extra = {"ContextData": context} if context else {}
        try:
            admin.admin_initiate_auth(
                UserPoolId=pool_id,
                ClientId=client_id,
                AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": unique(), "PASSWORD": PASSWORD},
                **extra,
            )
        except ClientError as exc:
            return exc.response["ResponseMetadata"]["HTTPStatusCode"], *error_tuple(exc)
        return 200, "", ""

    # The app's backend signs in all of its users: its own address is not limited.
    assert {admin_sign_in(None)[1] for _ in range(3 * PER_IP)} == {"UserNotFoundException"}
    # The end user's address in ContextData is.
    context = {"IpAddress": fresh_ip(), "ServerName": "app", "ServerPath": "/", "HttpHeaders": []}
    assert_limited([admin_sign_in(context) for _ in range(2 * PER_IP + 1)], PER_IP)


def error_tuple(exc: ClientError) -> tuple[str, str]:
    err = exc.response["Error"]
    return str(err["Code"]), str(err["Message"])


def test_lockout_can_be_turned_off(limited: Server, limited_client: tuple[str, str]) -> None:
    pool_id, client_id = limited_client
    username = make_user(limited, pool_id)
    for _ in range(PER_USER - 1):  # more than the five that would lock
        assert sign_in(limited, client_id, username, "Wr0ng-Password!", fresh_ip())[2] == WRONG
    assert sign_in(limited, client_id, username, PASSWORD, fresh_ip())[0] == 200


def test_forwarded_for_is_ignored_from_untrusted_peers(tmp_path: Path) -> None:
    env = {
        "MAMORI_RATE_LIMIT_IP_PER_SECOND": "1",
        "MAMORI_RATE_LIMIT_IP_BURST": str(PER_IP),
        "MAMORI_RATE_LIMIT_USER_PER_SECOND": "0",
    }
    # Proxies are trusted, but not the one calling (127.0.0.1).
    with run_server(
        tmp_path, "sqlite", extra_env=env, args=("--trusted-proxies", "10.0.0.0/8")
    ) as server:
        pool_id = make_pool(server)["Id"]
        client_id = make_client(server, pool_id, ExplicitAuthFlows=USER_FLOWS)["ClientId"]
        # A new X-Forwarded-For each time does not make a new client: 127.0.0.1 is counted.
        answers = [
            sign_in(server, client_id, unique(), PASSWORD, fresh_ip())
            for _ in range(2 * PER_IP + 1)
        ]
        assert_limited(answers, PER_IP)


def test_an_unreachable_redis_stops_the_start(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mamori.cli",
            "serve",
            "--port",
            "1",
            "--data-dir",
            str(tmp_path),
        ],
        env={**os.environ, "MAMORI_REDIS_URL": "redis://127.0.0.1:1/0"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "redis_url: cannot reach Redis" in done.stderr
