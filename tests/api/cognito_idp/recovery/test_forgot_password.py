"""ForgotPassword / ConfirmForgotPassword with boto3 against the live server: recovery channels
(AccountRecoverySetting), codes (single use, attempt limit, lifetime, digests only),
PreventUserExistenceErrors (same answers and timing for unknown users), and what a reset does
to the user's status and sessions. Also AdminResetUserPassword's channel and states."""

from __future__ import annotations

import secrets
import statistics
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.support.cognito import EXPIRED, LIMIT, MISMATCH, error, phone, secret_hash, unique, wrong
from tests.support.db import rows
from tests.support.factories import PASSWORD, make_client, make_pool, make_user, sign_in
from tests.support.live import Server, run_server
from tests.support.webhook import Webhook

NEW_PASSWORD = "N3w-Passw0rd!"
NO_SUCH_USER = ("UserNotFoundException", "Username/client id combination not found.")
NO_RECOVERY = (
    "InvalidParameterException",
    "Cannot reset password for the user as there is no registered/verified email or phone_number",
)


@pytest.fixture(scope="module")
def pool_id(server: Server) -> str:
    """No AccountRecoverySetting: Cognito's legacy order (SMS first)."""
    return str(make_pool(server)["Id"])


@pytest.fixture(scope="module")
def client_id(server: Server, pool_id: str) -> str:
    return str(make_client(server, pool_id, PreventUserExistenceErrors="LEGACY")["ClientId"])


@pytest.fixture(scope="module")
def hiding_client_id(server: Server, pool_id: str) -> str:
    return str(make_client(server, pool_id, PreventUserExistenceErrors="ENABLED")["ClientId"])


def recovery_pool(server: Server, *names: str) -> tuple[str, str]:
    """A pool whose AccountRecoverySetting lists `names` in priority order, and a client."""
    mechanisms = [{"Name": n, "Priority": i} for i, n in enumerate(names, 1)]
    pool = make_pool(server, AccountRecoverySetting={"RecoveryMechanisms": mechanisms})
    return pool["Id"], make_client(server, pool["Id"])["ClientId"]


def forgot(server: Server, client_id: str, username: str, **extra: Any) -> dict[str, str]:
    out = server.public().forgot_password(ClientId=client_id, Username=username, **extra)
    return dict(out["CodeDeliveryDetails"])


def confirm(
    server: Server, client_id: str, username: str, code: str, password: str = NEW_PASSWORD
) -> None:
    server.public().confirm_forgot_password(
        ClientId=client_id, Username=username, ConfirmationCode=code, Password=password
    )


def reset_code(server: Server, pool_id: str, to: str) -> str:
    messages = [m for m in server.outbox(pool_id, to) if m["kind"] == "password-reset"]
    assert messages, f"no reset code sent to {to}"
    return str(messages[-1]["code"])


def status(server: Server, pool_id: str, username: str) -> str:
    return str(server.admin().admin_get_user(UserPoolId=pool_id, Username=username)["UserStatus"])


# --- the flow
def test_forgot_and_confirm(server: Server, pool_id: str, client_id: str) -> None:
    username = make_user(server, pool_id)
    email = f"{username}@example.com"
    details = forgot(server, client_id, username)
    assert details == {
        "Destination": f"{username[0]}***@e***",
        "DeliveryMedium": "EMAIL",
        "AttributeName": "email",
    }
    code = reset_code(server, pool_id, email)
    # Asking for a code changes nothing yet: the old password still signs in.
    assert status(server, pool_id, username) == "CONFIRMED"
    assert sign_in(server, client_id, username)["AccessToken"]
    confirm(server, client_id, username, code)
    assert sign_in(server, client_id, username, NEW_PASSWORD)["AccessToken"]
    with pytest.raises(ClientError) as exc:
        sign_in(server, client_id, username)
    assert error(exc) == ("NotAuthorizedException", "Incorrect username or password.")
    # Single use.
    with pytest.raises(ClientError) as exc:
        confirm(server, client_id, username, code, "An0ther-Passw0rd!")
    assert error(exc) == EXPIRED
    assert sign_in(server, client_id, username, NEW_PASSWORD)["AccessToken"]


def test_codes_are_stored_as_digests_with_cognitos_lifetimes(
    server: Server, pool_id: str, client_id: str
) -> None:
    username = make_user(server, pool_id, attributes={"email_verified": "false"})
    user = server.admin().admin_get_user(UserPoolId=pool_id, Username=username)
    sub = {a["Name"]: a["Value"] for a in user["UserAttributes"]}["sub"]
    token = sign_in(server, client_id, username)["AccessToken"]
    before = datetime.now(UTC)
    server.public().get_user_attribute_verification_code(AccessToken=token, AttributeName="email")
    server.admin().admin_update_user_attributes(
        UserPoolId=pool_id,
        Username=username,
        UserAttributes=[{"Name": "email_verified", "Value": "true"}],
    )
    forgot(server, client_id, username)
    stored = {
        r["purpose"]: r
        for r in rows(
            server.database_url,
            "SELECT purpose, digest, expires FROM codes WHERE pool_id = :p AND sub = :s",
            p=pool_id,
            s=sub,
        )
    }
    assert set(stored) == {"reset", "verify:email"}
    codes = [m["code"] for m in server.outbox(pool_id, f"{username}@example.com")]
    for row in stored.values():
        assert not any(code in row["digest"] for code in codes)
        assert len(row["digest"]) == 64
    # Cognito: a reset code lives an hour, a verification code a day.
    lifetimes = {}
    for purpose, row in stored.items():
        expires = row["expires"]
        if isinstance(expires, str):
            expires = datetime.fromisoformat(expires)
        if expires.tzinfo is None:
            expires = expires.replace(tzinfo=UTC)
        lifetimes[purpose] = (expires - before).total_seconds()
    assert 3600 - 60 < lifetimes["reset"] <= 3600 + 60
    assert 86400 - 60 < lifetimes["verify:email"] <= 86400 + 60


def test_wrong_codes_then_the_attempt_limit(server: Server, pool_id: str, client_id: str) -> None:
    username = make_user(server, pool_id)
    forgot(server, client_id, username)
    code = reset_code(server, pool_id, f"{username}@example.com")
    for _ in range(5):
        with pytest.raises(ClientError) as exc:
            confirm(server, client_id, username, wrong(code))
        assert error(exc) == MISMATCH
    # Locked: even the right code is refused, and stays refused.
    for _ in range(2):
        with pytest.raises(ClientError) as exc:
            confirm(server, client_id, username, code)
        assert error(exc) == LIMIT
    # A new code starts again.
    forgot(server, client_id, username)
    fresh = reset_code(server, pool_id, f"{username}@example.com")
    confirm(server, client_id, username, fresh)
    assert sign_in(server, client_id, username, NEW_PASSWORD)["AccessToken"]


def test_concurrent_guesses_get_no_more_than_the_limit(
    server: Server, pool_id: str, client_id: str
) -> None:
    username = make_user(server, pool_id)
    forgot(server, client_id, username)
    code = reset_code(server, pool_id, f"{username}@example.com")
    guesses = [f"{n:06d}" for n in range(24) if f"{n:06d}" != code]
    clients = [server.public() for _ in guesses]  # boto3 makes clients one thread at a time

    def guess(n: int) -> str:
        try:
            clients[n].confirm_forgot_password(
                ClientId=client_id,
                Username=username,
                ConfirmationCode=guesses[n],
                Password=NEW_PASSWORD,
            )
        except ClientError as exc:
            return str(exc.response["Error"]["Code"])
        return "ok"

    with ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(guess, range(len(guesses))))
    assert answers.count("CodeMismatchException") <= 5
    # Not compared: past the code's attempt limit, or past the per-user rate limit's burst.
    refused = answers.count("LimitExceededException") + answers.count("TooManyRequestsException")
    assert refused >= len(guesses) - 5
    assert "ok" not in answers


def test_the_new_password_must_meet_the_policy(
    server: Server, pool_id: str, client_id: str
) -> None:
    username = make_user(server, pool_id)
    forgot(server, client_id, username)
    code = reset_code(server, pool_id, f"{username}@example.com")
    with pytest.raises(ClientError) as exc:
        confirm(server, client_id, username, code, "short")
    assert error(exc)[0] == "InvalidPasswordException"
    # The refusal did not spend the code.
    confirm(server, client_id, username, code)
    assert sign_in(server, client_id, username, NEW_PASSWORD)["AccessToken"]


def test_sessions_survive_a_reset(server: Server, pool_id: str, client_id: str) -> None:
    username = make_user(server, pool_id)
    tokens = sign_in(server, client_id, username)
    forgot(server, client_id, username)
    confirm(server, client_id, username, reset_code(server, pool_id, f"{username}@example.com"))
    # Cognito: a password reset revokes nothing (GlobalSignOut does).
    assert server.public().get_user(AccessToken=tokens["AccessToken"])["Username"] == username
    refreshed = server.public().initiate_auth(
        ClientId=client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
    )
    assert refreshed["AuthenticationResult"]["AccessToken"]


# --- statuses
def test_reset_required_user_is_confirmed(server: Server, pool_id: str, client_id: str) -> None:
    username = make_user(server, pool_id)
    server.admin().admin_reset_user_password(UserPoolId=pool_id, Username=username)
    assert status(server, pool_id, username) == "RESET_REQUIRED"
    # The code AdminResetUserPassword sent is the one ConfirmForgotPassword takes.
    confirm(server, client_id, username, reset_code(server, pool_id, f"{username}@example.com"))
    assert status(server, pool_id, username) == "CONFIRMED"
    assert sign_in(server, client_id, username, NEW_PASSWORD)["AccessToken"]


def test_force_change_password_user_is_confirmed(
    server: Server, pool_id: str, client_id: str
) -> None:
    username = make_user(server, pool_id, confirmed=False)
    assert status(server, pool_id, username) == "FORCE_CHANGE_PASSWORD"
    forgot(server, client_id, username)
    confirm(server, client_id, username, reset_code(server, pool_id, f"{username}@example.com"))
    assert status(server, pool_id, username) == "CONFIRMED"
    assert sign_in(server, client_id, username, NEW_PASSWORD)["AccessToken"]


def test_unconfirmed_user_with_a_verified_email_is_confirmed(
    server: Server, pool_id: str, client_id: str
) -> None:
    username = unique()
    email = f"{username}@example.com"
    server.public().sign_up(
        ClientId=client_id,
        Username=username,
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": email}],
    )
    # Unconfirmed and unverified: nowhere to send a code.
    with pytest.raises(ClientError) as exc:
        forgot(server, client_id, username)
    assert error(exc) == NO_RECOVERY
    server.admin().admin_update_user_attributes(
        UserPoolId=pool_id,
        Username=username,
        UserAttributes=[{"Name": "email_verified", "Value": "true"}],
    )
    forgot(server, client_id, username)
    confirm(server, client_id, username, reset_code(server, pool_id, email))
    assert status(server, pool_id, username) == "CONFIRMED"
    assert sign_in(server, client_id, username, NEW_PASSWORD)["AccessToken"]


def test_disabled_user(server: Server, pool_id: str, client_id: str, hiding_client_id: str) -> None:
    username = make_user(server, pool_id)
    server.admin().admin_disable_user(UserPoolId=pool_id, Username=username)
    with pytest.raises(ClientError) as exc:
        forgot(server, client_id, username)
    assert error(exc) == ("NotAuthorizedException", "User is disabled.")
    with pytest.raises(ClientError) as exc:
        confirm(server, client_id, username, "123456")
    assert error(exc) == ("NotAuthorizedException", "User is disabled.")
    # Hiding user existence: the answer an unknown user gets, and no message.
    details = forgot(server, hiding_client_id, username)
    assert details["DeliveryMedium"] == "EMAIL"
    assert not server.outbox(pool_id, f"{username}@example.com")
    with pytest.raises(ClientError) as exc:
        confirm(server, hiding_client_id, username, "123456")
    assert error(exc) == MISMATCH


# --- recovery channels
def test_legacy_order_prefers_sms(server: Server, pool_id: str, client_id: str) -> None:
    number = phone()
    username = make_user(
        server, pool_id, attributes={"phone_number": number, "phone_number_verified": "true"}
    )
    details = forgot(server, client_id, username)
    assert details == {
        "Destination": "+*******" + number[-4:],
        "DeliveryMedium": "SMS",
        "AttributeName": "phone_number",
    }
    [message] = server.outbox(pool_id, number)
    assert (message["channel"], message["kind"]) == ("SMS", "password-reset")
    assert not server.outbox(pool_id, f"{username}@example.com")


def test_unverified_phone_falls_back_to_email(server: Server, pool_id: str, client_id: str) -> None:
    username = make_user(server, pool_id, attributes={"phone_number": phone()})
    assert forgot(server, client_id, username)["DeliveryMedium"] == "EMAIL"


def test_account_recovery_priorities(server: Server) -> None:
    both = {"phone_number_verified": "true"}
    email_first, email_client = recovery_pool(server, "verified_email", "verified_phone_number")
    username = make_user(server, email_first, attributes={"phone_number": phone(), **both})
    assert forgot(server, email_client, username)["DeliveryMedium"] == "EMAIL"
    # Without a verified email, the next mechanism.
    username = make_user(
        server,
        email_first,
        attributes={"phone_number": phone(), "email_verified": "false", **both},
    )
    assert forgot(server, email_client, username)["DeliveryMedium"] == "SMS"

    phone_first, phone_client = recovery_pool(server, "verified_phone_number", "verified_email")
    username = make_user(server, phone_first, attributes={"phone_number": phone(), **both})
    assert forgot(server, phone_client, username)["DeliveryMedium"] == "SMS"

    email_only, only_client = recovery_pool(server, "verified_email")
    username = make_user(
        server,
        email_only,
        attributes={"phone_number": phone(), "email_verified": "false", **both},
    )
    with pytest.raises(ClientError) as exc:
        forgot(server, only_client, username)
    assert error(exc) == NO_RECOVERY


def test_admin_only_recovery(server: Server) -> None:
    pool_id, client_id = recovery_pool(server, "admin_only")
    username = make_user(server, pool_id)
    hiding = make_client(server, pool_id, PreventUserExistenceErrors="ENABLED")["ClientId"]
    for cid, name in ((client_id, username), (hiding, username), (hiding, "nobody-at-all")):
        with pytest.raises(ClientError) as exc:
            forgot(server, cid, name)
        assert error(exc) == ("NotAuthorizedException", "Contact administrator to reset password.")
    assert not server.outbox(pool_id)
    # An administrator still can.
    server.admin().admin_reset_user_password(UserPoolId=pool_id, Username=username)
    confirm(server, client_id, username, reset_code(server, pool_id, f"{username}@example.com"))
    assert sign_in(server, client_id, username, NEW_PASSWORD)["AccessToken"]


def test_no_verified_channel(
    server: Server, pool_id: str, client_id: str, hiding_client_id: str
) -> None:
    username = make_user(server, pool_id, attributes={"email_verified": "false"})
    with pytest.raises(ClientError) as exc:
        forgot(server, client_id, username)
    assert error(exc) == NO_RECOVERY
    assert forgot(server, hiding_client_id, username)["DeliveryMedium"] == "EMAIL"
    assert not server.outbox(pool_id, f"{username}@example.com")


def test_admin_reset_follows_the_recovery_order(server: Server) -> None:
    pool_id, _ = recovery_pool(server, "verified_email", "verified_phone_number")
    number = phone()
    username = make_user(
        server, pool_id, attributes={"phone_number": number, "phone_number_verified": "true"}
    )
    server.admin().admin_reset_user_password(UserPoolId=pool_id, Username=username)
    assert server.outbox(pool_id, f"{username}@example.com")
    assert not server.outbox(pool_id, number)


def test_admin_reset_of_a_user_without_a_password_of_their_own(
    server: Server, pool_id: str
) -> None:
    username = make_user(server, pool_id, confirmed=False)
    with pytest.raises(ClientError) as exc:
        server.admin().admin_reset_user_password(UserPoolId=pool_id, Username=username)
    assert error(exc) == (
        "NotAuthorizedException",
        "User password cannot be reset in the current state.",
    )
    assert status(server, pool_id, username) == "FORCE_CHANGE_PASSWORD"


# --- client secret
def test_secret_hash(server: Server, pool_id: str) -> None:
    client = make_client(server, pool_id, GenerateSecret=True)
    cid, secret = client["ClientId"], client["ClientSecret"]
    username = make_user(server, pool_id)
    with pytest.raises(ClientError) as exc:
        forgot(server, cid, username)
    assert error(exc) == (
        "NotAuthorizedException",
        f"Client {cid} is configured with secret but SECRET_HASH was not received",
    )
    with pytest.raises(ClientError) as exc:
        forgot(server, cid, username, SecretHash=secret_hash(username, cid, "wrong"))
    assert error(exc)[0] == "NotAuthorizedException"
    forgot(server, cid, username, SecretHash=secret_hash(username, cid, secret))
    code = reset_code(server, pool_id, f"{username}@example.com")
    with pytest.raises(ClientError) as exc:
        confirm(server, cid, username, code)
    assert error(exc)[0] == "NotAuthorizedException"
    server.public().confirm_forgot_password(
        ClientId=cid,
        Username=username,
        ConfirmationCode=code,
        Password=NEW_PASSWORD,
        SecretHash=secret_hash(username, cid, secret),
    )
    assert status(server, pool_id, username) == "CONFIRMED"


# --- user existence
def test_unknown_user_legacy(server: Server, client_id: str) -> None:
    with pytest.raises(ClientError) as exc:
        forgot(server, client_id, "nobody-" + secrets.token_hex(4))
    assert error(exc) == NO_SUCH_USER
    with pytest.raises(ClientError) as exc:
        confirm(server, client_id, "nobody-" + secrets.token_hex(4), "123456")
    assert error(exc) == NO_SUCH_USER


def test_unknown_user_gets_a_known_users_answers(
    server: Server, pool_id: str, hiding_client_id: str
) -> None:
    nobody = "nobody-" + secrets.token_hex(4)
    details = forgot(server, hiding_client_id, nobody)
    assert set(details) == {"Destination", "DeliveryMedium", "AttributeName"}
    assert details["DeliveryMedium"] == "EMAIL" and details["AttributeName"] == "email"
    assert details["Destination"].startswith("n***@")
    # Stable: asking again gives the same destination, as it would for a real user.
    assert forgot(server, hiding_client_id, nobody) == details
    assert forgot(server, hiding_client_id, "+15550001234")["DeliveryMedium"] == "SMS"
    assert not [m for m in server.outbox(pool_id) if nobody in m["to"]]

    # Confirming: wrong codes, then the attempt limit, exactly as for a real user.
    username = make_user(server, pool_id)
    forgot(server, hiding_client_id, username)
    guess = wrong(reset_code(server, pool_id, f"{username}@example.com"))
    for name in (nobody, username):
        for _ in range(5):
            with pytest.raises(ClientError) as exc:
                confirm(server, hiding_client_id, name, guess)
            assert error(exc) == MISMATCH, name
        with pytest.raises(ClientError) as exc:
            confirm(server, hiding_client_id, name, guess)
        assert error(exc) == LIMIT, name
    # Never asked for a code: the same answer for a real user and for nobody.
    answers = []
    for name in (make_user(server, pool_id), "nobody-" + secrets.token_hex(4)):
        with pytest.raises(ClientError) as exc:
            confirm(server, hiding_client_id, name, "123456")
        answers.append(error(exc))
    assert answers == [EXPIRED, EXPIRED]


def test_weak_password_is_refused_first_for_anyone(
    server: Server, pool_id: str, client_id: str, hiding_client_id: str
) -> None:
    username = make_user(server, pool_id)
    for cid, name in ((client_id, username), (hiding_client_id, "nobody-x"), (client_id, "n-y")):
        with pytest.raises(ClientError) as exc:
            confirm(server, cid, name, "123456", "short")
        assert error(exc)[0] == "InvalidPasswordException"


# --- expiry, on a server whose codes live one second
@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def short_codes(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    tmp: Path = tmp_path_factory.mktemp(f"short-reset-{request.param}")
    with run_server(tmp, request.param, extra_env={"MAMORI_CODE_TTL_SECONDS": "1"}) as live:
        yield live


def test_expired_reset_code(short_codes: Server) -> None:
    pool_id = make_pool(short_codes)["Id"]
    cid = make_client(short_codes, pool_id)["ClientId"]
    username = make_user(short_codes, pool_id)
    forgot(short_codes, cid, username)
    code = reset_code(short_codes, pool_id, f"{username}@example.com")
    time.sleep(1.5)
    with pytest.raises(ClientError) as exc:
        confirm(short_codes, cid, username, code)
    assert error(exc) == EXPIRED
    assert sign_in(short_codes, cid, username)["AccessToken"]


# --- timing, and delivery through a slow webhook
@pytest.fixture(scope="module")
def slow_hook(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Webhook]]:
    hook = Webhook(delay=0.08)
    # Timing needs many calls from one address.
    env = {**hook.env(), "MAMORI_RATE_LIMIT_IP_PER_SECOND": "0"}
    try:
        with run_server(tmp_path_factory.mktemp("slow-hook"), "sqlite", extra_env=env) as live:
            yield live, hook
    finally:
        hook.close()


def test_unknown_users_take_as_long_as_known_ones(slow_hook: tuple[Server, Webhook]) -> None:
    """A delivery takes ~80 ms here: an unknown user must not answer measurably faster."""
    server, hook = slow_hook
    pool_id = make_pool(server)["Id"]
    cid = make_client(server, pool_id, PreventUserExistenceErrors="ENABLED")["ClientId"]
    known = [make_user(server, pool_id) for _ in range(3)]
    client = server.public()

    def timed(username: str) -> float:
        started = time.perf_counter()
        client.forgot_password(ClientId=cid, Username=username)
        return time.perf_counter() - started

    for username in known:  # warm up: connections, and the server's delivery estimate
        timed(username)
    known_times, unknown_times = [], []
    for i in range(15):
        known_times.append(timed(known[i % len(known)]))
        unknown_times.append(timed(f"nobody-{secrets.token_hex(4)}"))
    known_median = statistics.median(known_times)
    unknown_median = statistics.median(unknown_times)
    assert known_median > hook.delay  # the deliveries really were slow
    # Generous: within a third of each other (without the simulated delivery, an unknown user
    # answers in a fraction of the delivery time).
    assert abs(known_median - unknown_median) < known_median / 3, (known_times, unknown_times)


def test_failed_delivery_keeps_the_previous_code(slow_hook: tuple[Server, Webhook]) -> None:
    server, hook = slow_hook
    pool_id = make_pool(server)["Id"]
    cid = make_client(server, pool_id)["ClientId"]
    username = make_user(server, pool_id)
    email = f"{username}@example.com"
    forgot(server, cid, username)
    code = hook.code_for(email)
    hook.fail = True
    try:
        with pytest.raises(ClientError) as exc:
            forgot(server, cid, username)
        assert error(exc)[0] == "CodeDeliveryFailureException"
    finally:
        hook.fail = False
    confirm(server, cid, username, code)
    assert sign_in(server, cid, username, NEW_PASSWORD)["AccessToken"]
