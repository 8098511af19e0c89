"""Several server processes on one PostgreSQL database behave as one server: every piece of
sign-in state (users, codes, challenge sessions, refresh sessions, revocations, keys) is shared."""

from __future__ import annotations

import base64
import json
import secrets
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from botocore.exceptions import ClientError
from tests.support.factories import PASSWORD, make_client, make_pool, make_user, sign_in
from tests.support.live import Server, create_pg_database, drop_pg_database, run_server

pytestmark = pytest.mark.postgres

USER_FLOWS = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
PUBLIC_URL = "http://mamori.cluster.test"  # what a load balancer in front of both would be


def new_master_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    url = create_pg_database()
    try:
        yield url
    finally:
        drop_pg_database(url)


@pytest.fixture(scope="module")
def master_key() -> str:
    return new_master_key()


@pytest.fixture(scope="module")
def pair(
    tmp_path_factory: pytest.TempPathFactory, database_url: str, master_key: str
) -> Iterator[tuple[Server, Server]]:
    """Servers A and B: one database, one master key, one public URL; nothing else shared."""
    env = {"MAMORI_MASTER_KEY": master_key}
    args = ("--public-url", PUBLIC_URL)
    tmp = tmp_path_factory.mktemp("pair")
    with (
        run_server(tmp, extra_env=env, args=args, database_url=database_url) as a,
        run_server(tmp, extra_env=env, args=args, database_url=database_url) as b,
    ):
        assert a.data_dir != b.data_dir
        yield a, b


def refused(server: Server, access_token: str) -> None:
    with pytest.raises(ClientError) as exc:
        server.public().get_user(AccessToken=access_token)
    assert exc.value.response["Error"]["Code"] == "NotAuthorizedException"


def test_two_servers_behave_as_one(pair: tuple[Server, Server]) -> None:
    a, b = pair
    pool_id = make_pool(a)["Id"]
    assert b.admin().describe_user_pool(UserPoolId=pool_id)["UserPool"]["Id"] == pool_id
    client_id = make_client(b, pool_id, ExplicitAuthFlows=USER_FLOWS)["ClientId"]

    # Sign up on A, confirm on B with the code A sent.
    username = f"multi-{secrets.token_hex(3)}"
    email = f"{username}@example.com"
    a.public().sign_up(
        ClientId=client_id,
        Username=username,
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": email}],
    )
    b.public().confirm_sign_up(
        ClientId=client_id, Username=username, ConfirmationCode=b.latest_code(pool_id, email)
    )

    # Sign in on A, use the tokens on B, refresh on B both ways.
    tokens = sign_in(a, client_id, username)
    assert b.public().get_user(AccessToken=tokens["AccessToken"])["Username"] == username
    refreshed = b.public().initiate_auth(
        ClientId=client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
    )["AuthenticationResult"]
    assert a.public().get_user(AccessToken=refreshed["AccessToken"])["Username"] == username
    again = b.public().get_tokens_from_refresh_token(
        ClientId=client_id, RefreshToken=tokens["RefreshToken"]
    )["AuthenticationResult"]

    # B's JWKS verifies what A signed, and both name the same issuer.
    with urllib.request.urlopen(f"{b.url}/{pool_id}/.well-known/jwks.json", timeout=10) as r:
        jwks = json.load(r)
    kid = jwt.get_unverified_header(tokens["IdToken"])["kid"]
    key = next(jwt.PyJWK(k) for k in jwks["keys"] if k["kid"] == kid)
    claims = jwt.decode(
        tokens["IdToken"],
        key.key,
        algorithms=["RS256"],
        audience=client_id,
        issuer=f"{PUBLIC_URL}/{pool_id}",
    )
    assert claims["cognito:username"] == username

    # Global sign-out on A: B refuses every token of that user at once.
    a.public().global_sign_out(AccessToken=tokens["AccessToken"])
    for token in (tokens, refreshed, again):
        refused(b, token["AccessToken"])
    with pytest.raises(ClientError) as exc:
        b.public().get_tokens_from_refresh_token(
            ClientId=client_id, RefreshToken=tokens["RefreshToken"]
        )
    assert exc.value.response["Error"]["Message"] == "Refresh Token has been revoked"


def test_a_challenge_started_on_one_server_is_answered_on_the_other(
    pair: tuple[Server, Server],
) -> None:
    a, b = pair
    pool_id = make_pool(a)["Id"]
    client_id = make_client(a, pool_id, ExplicitAuthFlows=USER_FLOWS)["ClientId"]
    username = f"invited-{secrets.token_hex(3)}"
    a.admin().admin_create_user(
        UserPoolId=pool_id,
        Username=username,
        TemporaryPassword="Temp0rary-Pass!",
        MessageAction="SUPPRESS",
    )
    first = a.public().initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": "Temp0rary-Pass!"},
    )
    assert first["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    done = b.public().respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=first["Session"],
        ChallengeResponses={"USERNAME": username, "NEW_PASSWORD": "Brand-New-Passw0rd!"},
    )
    assert a.public().get_user(AccessToken=done["AuthenticationResult"]["AccessToken"])


def test_revocation_and_rotation_are_shared(pair: tuple[Server, Server]) -> None:
    a, b = pair
    pool_id = make_pool(b)["Id"]
    rotating = make_client(
        b,
        pool_id,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"],
        RefreshTokenRotation={"Feature": "ENABLED", "RetryGracePeriodSeconds": 0},
    )["ClientId"]
    username = make_user(b, pool_id)
    first = sign_in(a, rotating, username)
    second = b.public().get_tokens_from_refresh_token(
        ClientId=rotating, RefreshToken=first["RefreshToken"]
    )["AuthenticationResult"]
    with pytest.raises(ClientError) as exc:
        a.public().get_tokens_from_refresh_token(
            ClientId=rotating, RefreshToken=first["RefreshToken"]
        )
    assert exc.value.response["Error"]["Code"] == "RefreshTokenReuseException"
    a.public().revoke_token(Token=second["RefreshToken"], ClientId=rotating)
    refused(b, second["AccessToken"])
    # AdminUserGlobalSignOut through B ends a session started on A.
    other = sign_in(a, rotating, username)
    b.admin().admin_user_global_sign_out(UserPoolId=pool_id, Username=username)
    refused(a, other["AccessToken"])


def test_a_server_with_another_master_key_refuses_to_start(
    tmp: Path, pair: tuple[Server, Server], database_url: str
) -> None:
    make_pool(pair[0])  # the database now holds keys sealed with the shared master key
    with (
        pytest.raises(RuntimeError) as exc,
        run_server(
            tmp, extra_env={"MAMORI_MASTER_KEY": new_master_key()}, database_url=database_url
        ),
    ):
        pass
    log = str(exc.value)
    assert "mamori exited" in log
    assert "same MAMORI_MASTER_KEY" in log
    # No master key at all (a fresh key file in its own data dir): the same clear refusal.
    with (
        pytest.raises(RuntimeError, match="same MAMORI_MASTER_KEY"),
        run_server(tmp, database_url=database_url),
    ):
        pass


def test_workers_share_everything(tmp: Path) -> None:
    """`--workers 2`: two processes behind one port; each request may land on either."""
    url = create_pg_database()
    try:
        with run_server(tmp, args=("--workers", "2"), database_url=url) as live:
            assert live.process is not None
            children = subprocess.run(
                ["ps", "--ppid", str(live.process.pid), "-o", "pid="],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.split()
            assert len(children) >= 2, children
            pool_id = make_pool(live)["Id"]
            client_id = make_client(live, pool_id, ExplicitAuthFlows=USER_FLOWS)["ClientId"]
            users = [make_user(live, pool_id) for _ in range(3)]
            sessions: list[dict[str, Any]] = []
            for _ in range(4):
                for username in users:
                    tokens = sign_in(live, client_id, username)
                    assert live.public().get_user(AccessToken=tokens["AccessToken"])
                    sessions.append(tokens)
            # Challenges started and answered on whichever worker the kernel picks.
            for _ in range(4):
                username = f"invited-{secrets.token_hex(3)}"
                live.admin().admin_create_user(
                    UserPoolId=pool_id,
                    Username=username,
                    TemporaryPassword="Temp0rary-Pass!",
                    MessageAction="SUPPRESS",
                )
                first = live.public().initiate_auth(
                    ClientId=client_id,
                    AuthFlow="USER_PASSWORD_AUTH",
                    AuthParameters={"USERNAME": username, "PASSWORD": "Temp0rary-Pass!"},
                )
                live.public().respond_to_auth_challenge(
                    ClientId=client_id,
                    ChallengeName="NEW_PASSWORD_REQUIRED",
                    Session=first["Session"],
                    ChallengeResponses={
                        "USERNAME": username,
                        "NEW_PASSWORD": "Brand-New-Passw0rd!",
                    },
                )
            live.admin().admin_user_global_sign_out(UserPoolId=pool_id, Username=users[0])
            for tokens in sessions[0::3]:
                for _ in range(3):
                    refused(live, tokens["AccessToken"])
            for tokens in sessions[1::3]:
                assert live.public().get_user(AccessToken=tokens["AccessToken"])
    finally:
        drop_pg_database(url)
