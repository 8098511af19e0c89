"""Compromised-credentials detection through boto3 against a live server, with the breached list
mamori ships ("password1" is on it): in ENFORCED mode with BLOCK a breached password is refused at
SignUp, at sign-in (only once it is proven; the user is then RESET_REQUIRED), at ChangePassword,
ConfirmForgotPassword, AdminSetUserPassword and the NEW_PASSWORD_REQUIRED answer; AUDIT, NO_ACTION,
OFF and an event left out of the EventFilter let it through; the auth events carry the finding
(AdminListUserAuthEvents). Then a server with the operator's own corpus
(`breached_passwords_file`) and the Pwned Passwords range API on a local stand-in."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest
from botocore.exceptions import ClientError
from tests.support.cognito import error
from tests.support.factories import make_client, make_pool, make_user, sign_in
from tests.support.live import Server, run_server

from mamori.adapters.breached.corpus import build_corpus
from mamori.protocols.pwned_passwords import range_prefix, range_suffix, sha1_digest

BREACHED = "password1"  # in the shipped list of common passwords
SAFE = "unlisted-passphrase-42"
OTHER_SAFE = "another-unlisted-phrase-7"
REFUSED = ("InvalidPasswordException", "Provided password cannot be used for security reasons.")
BLOCKED = ("NotAuthorizedException", "Unable to login because of security reasons.")
LAX = {
    "PasswordPolicy": {
        "MinimumLength": 6,
        "RequireUppercase": False,
        "RequireLowercase": False,
        "RequireNumbers": False,
        "RequireSymbols": False,
    }
}


def protected_pool(
    server: Server, mode: str | None, action: str = "BLOCK", events: list[str] | None = None
) -> tuple[str, str]:
    """A pool in `mode` (None: no add-ons, OFF) whose policy lets common passwords through, so
    only threat protection can refuse them; its compromised-credentials configuration; a client."""
    add_ons = {"UserPoolAddOns": {"AdvancedSecurityMode": mode}} if mode else {}
    pool_id = make_pool(server, Policies=LAX, **add_ons)["Id"]
    compromised: dict[str, Any] = {"Actions": {"EventAction": action}}
    if events is not None:
        compromised["EventFilter"] = events
    server.admin().set_risk_configuration(
        UserPoolId=pool_id, CompromisedCredentialsRiskConfiguration=compromised
    )
    return pool_id, make_client(server, pool_id)["ClientId"]


def sign_up(server: Server, client_id: str, password: str) -> str:
    username = f"user-{secrets.token_hex(4)}"
    server.public().sign_up(
        ClientId=client_id,
        Username=username,
        Password=password,
        UserAttributes=[{"Name": "email", "Value": f"{username}@example.com"}],
    )
    return username


def status(server: Server, pool_id: str, username: str) -> str:
    return str(server.admin().admin_get_user(UserPoolId=pool_id, Username=username)["UserStatus"])


def change(server: Server, client_id: str, username: str, old: str, new: str) -> None:
    token = sign_in(server, client_id, username, old)["AccessToken"]
    server.public().change_password(AccessToken=token, PreviousPassword=old, ProposedPassword=new)


# --- ENFORCED and BLOCK: refused at every event
def test_sign_up_with_a_breached_password_is_refused(server: Server) -> None:
    _, client_id = protected_pool(server, "ENFORCED")
    with pytest.raises(ClientError) as refused:
        sign_up(server, client_id, BREACHED)
    assert error(refused) == REFUSED
    sign_up(server, client_id, SAFE)


def test_sign_in_with_a_breached_password_is_blocked_once_proven(server: Server) -> None:
    pool_id, client_id = protected_pool(server, "ENFORCED", events=["SIGN_IN"])
    username = make_user(server, pool_id, password=BREACHED)  # a PASSWORD_CHANGE: not filtered
    with pytest.raises(ClientError) as wrong:
        sign_in(server, client_id, username, "not-the-password")
    assert error(wrong) == ("NotAuthorizedException", "Incorrect username or password.")
    assert status(server, pool_id, username) == "CONFIRMED"
    with pytest.raises(ClientError) as blocked:
        sign_in(server, client_id, username, BREACHED)
    assert error(blocked) == BLOCKED
    # Cognito: a blocked user must choose another password before signing in again.
    assert status(server, pool_id, username) == "RESET_REQUIRED"
    with pytest.raises(ClientError) as again:
        sign_in(server, client_id, username, BREACHED)
    assert error(again) == (
        "PasswordResetRequiredException",
        "Password reset required for the user",
    )


def test_admin_initiate_auth_is_blocked_too(server: Server) -> None:
    pool_id, client_id = protected_pool(server, "ENFORCED", events=["SIGN_IN"])
    username = make_user(server, pool_id, password=BREACHED)
    with pytest.raises(ClientError) as blocked:
        server.admin().admin_initiate_auth(
            UserPoolId=pool_id,
            ClientId=client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": BREACHED},
        )
    assert error(blocked) == BLOCKED


def test_password_changes_to_a_breached_password_are_refused(server: Server) -> None:
    pool_id, client_id = protected_pool(server, "ENFORCED")
    username = make_user(server, pool_id, password=SAFE)
    with pytest.raises(ClientError) as changed:
        change(server, client_id, username, SAFE, BREACHED)
    assert error(changed) == REFUSED
    with pytest.raises(ClientError) as set_by_admin:
        server.admin().admin_set_user_password(
            UserPoolId=pool_id, Username=username, Password=BREACHED, Permanent=True
        )
    assert error(set_by_admin) == REFUSED
    change(server, client_id, username, SAFE, OTHER_SAFE)
    sign_in(server, client_id, username, OTHER_SAFE)


def test_a_wrong_previous_password_is_not_told_anything_about_the_new_one(
    server: Server,
) -> None:
    pool_id, client_id = protected_pool(server, "ENFORCED")
    username = make_user(server, pool_id, password=SAFE)
    token = sign_in(server, client_id, username, SAFE)["AccessToken"]
    with pytest.raises(ClientError) as wrong:
        server.public().change_password(
            AccessToken=token, PreviousPassword="not-the-password", ProposedPassword=BREACHED
        )
    assert error(wrong) == ("NotAuthorizedException", "Incorrect username or password.")


def test_a_reset_to_a_breached_password_is_refused_and_the_code_kept(server: Server) -> None:
    pool_id, client_id = protected_pool(server, "ENFORCED")
    username = make_user(server, pool_id, password=SAFE)
    server.public().forgot_password(ClientId=client_id, Username=username)
    code = server.latest_code(pool_id, f"{username}@example.com")

    def confirm(password: str) -> None:
        server.public().confirm_forgot_password(
            ClientId=client_id, Username=username, ConfirmationCode=code, Password=password
        )

    with pytest.raises(ClientError) as refused:
        confirm(BREACHED)
    assert error(refused) == REFUSED
    confirm(OTHER_SAFE)  # the same code: the refused password did not spend it
    sign_in(server, client_id, username, OTHER_SAFE)


def test_a_new_password_required_answer_is_a_password_change(server: Server) -> None:
    pool_id, client_id = protected_pool(server, "ENFORCED", events=["PASSWORD_CHANGE"])
    username = f"user-{secrets.token_hex(4)}"
    server.admin().admin_create_user(
        UserPoolId=pool_id, Username=username, TemporaryPassword="Temp-unlisted-1"
    )
    started = server.public().initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": "Temp-unlisted-1"},
    )
    assert started["ChallengeName"] == "NEW_PASSWORD_REQUIRED"

    def answer(password: str) -> dict[str, Any]:
        return dict(
            server.public().respond_to_auth_challenge(
                ClientId=client_id,
                ChallengeName="NEW_PASSWORD_REQUIRED",
                Session=started["Session"],
                ChallengeResponses={"USERNAME": username, "NEW_PASSWORD": password},
            )
        )

    with pytest.raises(ClientError) as refused:
        answer(BREACHED)
    assert error(refused) == REFUSED
    assert "AuthenticationResult" in answer(SAFE)


# --- detected, not blocked
@pytest.mark.parametrize(
    ("mode", "action"), [("AUDIT", "BLOCK"), ("ENFORCED", "NO_ACTION"), (None, "BLOCK")]
)
def test_audit_no_action_and_off_let_every_event_through(
    server: Server, mode: str | None, action: str
) -> None:
    pool_id, client_id = protected_pool(server, mode, action)
    username = sign_up(server, client_id, BREACHED)
    server.admin().admin_confirm_sign_up(UserPoolId=pool_id, Username=username)
    sign_in(server, client_id, username, BREACHED)
    change(server, client_id, username, BREACHED, "iloveyou")
    sign_in(server, client_id, username, "iloveyou")
    assert status(server, pool_id, username) == "CONFIRMED"


def test_events_outside_the_filter_are_not_checked(server: Server) -> None:
    pool_id, client_id = protected_pool(server, "ENFORCED", events=["SIGN_IN"])
    username = sign_up(server, client_id, BREACHED)  # SIGN_UP is not in the filter
    server.admin().admin_confirm_sign_up(UserPoolId=pool_id, Username=username)
    with pytest.raises(ClientError) as blocked:
        sign_in(server, client_id, username, BREACHED)
    assert error(blocked) == BLOCKED
    other, _ = protected_pool(server, "ENFORCED", events=["SIGN_UP"])
    other_client = make_client(server, other)["ClientId"]
    kept = make_user(server, other, password=SAFE)
    change(server, other_client, kept, SAFE, BREACHED)  # PASSWORD_CHANGE is not either
    sign_in(server, other_client, kept, BREACHED)


def test_a_client_configuration_replaces_the_pools(server: Server) -> None:
    pool_id, client_id = protected_pool(server, "ENFORCED")
    lenient = make_client(server, pool_id)["ClientId"]
    server.admin().set_risk_configuration(
        UserPoolId=pool_id,
        ClientId=lenient,
        CompromisedCredentialsRiskConfiguration={"Actions": {"EventAction": "NO_ACTION"}},
    )
    sign_up(server, lenient, BREACHED)
    with pytest.raises(ClientError) as refused:
        sign_up(server, client_id, BREACHED)
    assert error(refused) == REFUSED


# --- the auth events carry the finding (CompromisedCredentialsDetected)
def events(server: Server, pool_id: str, username: str) -> list[dict[str, Any]]:
    answer = server.admin().admin_list_user_auth_events(UserPoolId=pool_id, Username=username)
    return list(answer["AuthEvents"])


def test_audit_records_a_breached_sign_in_without_blocking(server: Server) -> None:
    pool_id, client_id = protected_pool(server, "AUDIT")
    username = make_user(server, pool_id, password=BREACHED)
    sign_in(server, client_id, username, BREACHED)
    signed_in = [e for e in events(server, pool_id, username) if e["EventType"] == "SignIn"]
    assert [e["EventResponse"] for e in signed_in] == ["Pass"]
    assert signed_in[0]["EventRisk"]["CompromisedCredentialsDetected"] is True
    assert signed_in[0]["EventRisk"]["RiskDecision"] == "NoRisk"


def test_a_blocked_sign_in_is_a_failed_event_decided_block(server: Server) -> None:
    pool_id, client_id = protected_pool(server, "ENFORCED", events=["SIGN_IN"])
    username = make_user(server, pool_id, password=BREACHED)
    with pytest.raises(ClientError):
        sign_in(server, client_id, username, BREACHED)
    signed_in = [e for e in events(server, pool_id, username) if e["EventType"] == "SignIn"]
    assert [e["EventResponse"] for e in signed_in] == ["Fail"]
    assert signed_in[0]["EventRisk"]["CompromisedCredentialsDetected"] is True
    assert signed_in[0]["EventRisk"]["RiskDecision"] == "Block"


def test_a_clean_password_is_recorded_clean(server: Server) -> None:
    pool_id, client_id = protected_pool(server, "ENFORCED")
    username = make_user(server, pool_id, password=SAFE)
    sign_in(server, client_id, username, SAFE)
    for event in events(server, pool_id, username):
        assert event["EventRisk"].get("CompromisedCredentialsDetected", False) is False


# --- the operator's corpus and the range API (a local stand-in, never the internet)
ONLINE_ONLY = "known-only-to-the-range-api-9"
OPERATORS = "Operators-Own-Leak-2024"


class RangeStandIn(BaseHTTPRequestHandler):
    """Pwned Passwords' /range/<prefix>: ONLINE_ONLY's suffix among padding."""

    paths: ClassVar[list[str]] = []
    padding: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).paths.append(self.path)
        type(self).padding.append(self.headers.get("Add-Padding", ""))
        digest = sha1_digest(ONLINE_ONLY)
        lines = ["0000000000000000000000000000000000A:0"]
        if self.path.endswith("/" + range_prefix(digest)):
            lines.append(f"{range_suffix(digest)}:3")
        body = "\r\n".join(lines).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def operator_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("breached")
    (tmp / "leak.txt").write_text(f"{OPERATORS}\n")
    build_corpus(tmp / "leak.txt", tmp / "leak.bin")
    stand_in = ThreadingHTTPServer(("127.0.0.1", 0), RangeStandIn)
    thread = threading.Thread(target=stand_in.serve_forever, daemon=True)
    thread.start()
    env = {
        "MAMORI_BREACHED_PASSWORDS_FILE": str(tmp / "leak.bin"),
        "MAMORI_PWNED_PASSWORDS_API": "true",
        "MAMORI_PWNED_PASSWORDS_URL": f"http://127.0.0.1:{stand_in.server_port}/range/",
    }
    try:
        with run_server(tmp, "sqlite", extra_env=env) as live:
            yield live
    finally:
        stand_in.shutdown()
        stand_in.server_close()
        thread.join()


def test_the_operators_corpus_and_the_range_api(operator_server: Server) -> None:
    _, client_id = protected_pool(operator_server, "ENFORCED")
    for password in (OPERATORS, ONLINE_ONLY):
        with pytest.raises(ClientError) as refused:
            sign_up(operator_server, client_id, password)
        assert error(refused) == REFUSED
    # The operator's file replaces the shipped list; the stand-in knows nothing of it.
    sign_up(operator_server, client_id, BREACHED)
    asked = RangeStandIn.paths
    assert f"/range/{range_prefix(sha1_digest(ONLINE_ONLY))}" in asked
    # The local corpus answered for OPERATORS: the range API was not asked about it.
    assert f"/range/{range_prefix(sha1_digest(OPERATORS))}" not in asked
    assert all(len(p) == len("/range/") + 5 for p in asked)
    assert set(RangeStandIn.padding) == {"true"}
