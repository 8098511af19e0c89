"""The auth-event log with boto3 against the live server: AdminListUserAuthEvents after real
sign-ins (a failed then a successful one: two events, newest first, with their responses,
challenge results and context), its paging, AdminUpdateAuthEventFeedback both ways,
UpdateAuthEventFeedback's token check, and the errors of a pool whose threat protection is OFF."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.support.cognito import error
from tests.support.factories import PASSWORD, make_client, make_pool, make_user, sign_in
from tests.support.live import Server
from tests.support.mfa import enroll_totp, mfa_pool

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)


def audited_pool(server: Server, mode: str = "AUDIT") -> tuple[str, str]:
    pool_id = make_pool(server, UserPoolAddOns={"AdvancedSecurityMode": mode})["Id"]
    return pool_id, make_client(server, pool_id)["ClientId"]


def events(server: Server, pool_id: str, username: str, **more: Any) -> list[dict[str, Any]]:
    out = server.admin().admin_list_user_auth_events(UserPoolId=pool_id, Username=username, **more)
    return list(out["AuthEvents"])


def steps(event: dict[str, Any]) -> list[tuple[str, str]]:
    return [(c["ChallengeName"], c["ChallengeResponse"]) for c in event["ChallengeResponses"]]


def test_a_failed_then_successful_sign_in_shows_two_events(server: Server) -> None:
    pool_id, client_id = audited_pool(server)
    username = make_user(server, pool_id)
    with pytest.raises(ClientError) as exc:
        sign_in(server, client_id, username, "Wr0ng-Password!")
    assert error(exc)[0] == "NotAuthorizedException"
    sign_in(server, client_id, username)
    newest, oldest = events(server, pool_id, username)
    assert newest["CreationDate"] >= oldest["CreationDate"]
    assert (newest["EventType"], newest["EventResponse"]) == ("SignIn", "Pass")
    assert steps(newest) == [("Password", "Success")]
    assert (oldest["EventType"], oldest["EventResponse"]) == ("SignIn", "Fail")
    assert steps(oldest) == [("Password", "Failure")]
    for event in (newest, oldest):
        assert event["EventRisk"] == {
            "RiskDecision": "NoRisk",
            "CompromisedCredentialsDetected": False,
        }
        context = event["EventContextData"]
        assert context["IpAddress"] == "127.0.0.1"
        assert context["DeviceName"] == "Other, Other"  # boto3's User-Agent names no browser
        assert "EventFeedback" not in event
    assert newest["EventId"] != oldest["EventId"]


def test_admin_sign_in_keeps_the_context_data_it_was_given(server: Server) -> None:
    pool_id, client_id = audited_pool(server, "ENFORCED")
    username = make_user(server, pool_id)
    server.admin().admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
        ContextData={
            "IpAddress": "198.51.100.23",
            "ServerName": "app.example.com",
            "ServerPath": "/login",
            "HttpHeaders": [{"headerName": "User-Agent", "headerValue": CHROME}],
            "EncodedData": "opaque",
        },
    )
    (event,) = events(server, pool_id, username)
    assert event["EventResponse"] == "Pass"
    assert event["EventContextData"] == {
        "IpAddress": "198.51.100.23",
        "DeviceName": "Chrome 120, Windows 10",
    }


def test_events_page_newest_first(server: Server) -> None:
    pool_id, client_id = audited_pool(server)
    username = make_user(server, pool_id)
    for _ in range(3):
        sign_in(server, client_id, username)
    every = events(server, pool_id, username)
    assert len(every) == 3
    paged: list[dict[str, Any]] = []
    token: dict[str, str] = {}
    while True:
        page = server.admin().admin_list_user_auth_events(
            UserPoolId=pool_id, Username=username, MaxResults=2, **token
        )
        paged += page["AuthEvents"]
        if "NextToken" not in page:
            break
        token = {"NextToken": page["NextToken"]}
    assert [e["EventId"] for e in paged] == [e["EventId"] for e in every]
    dates = [e["CreationDate"] for e in every]
    assert dates == sorted(dates, reverse=True)


def test_feedback_both_ways(server: Server) -> None:
    pool_id, client_id = audited_pool(server)
    username = make_user(server, pool_id)
    sign_in(server, client_id, username)
    (event,) = events(server, pool_id, username)
    admin = server.admin()
    for value in ("Invalid", "Valid"):
        admin.admin_update_auth_event_feedback(
            UserPoolId=pool_id, Username=username, EventId=event["EventId"], FeedbackValue=value
        )
        (given,) = events(server, pool_id, username)
        assert given["EventFeedback"]["FeedbackValue"] == value
        assert given["EventFeedback"]["Provider"] == "Admin"
        assert "FeedbackDate" in given["EventFeedback"]
    with pytest.raises(ClientError) as exc:
        admin.admin_update_auth_event_feedback(
            UserPoolId=pool_id, Username=username, EventId="no-such-event", FeedbackValue="Valid"
        )
    assert error(exc)[0] == "ResourceNotFoundException"
    # Another user's event is not found through this user.
    other = make_user(server, pool_id)
    with pytest.raises(ClientError) as exc:
        admin.admin_update_auth_event_feedback(
            UserPoolId=pool_id, Username=other, EventId=event["EventId"], FeedbackValue="Valid"
        )
    assert error(exc)[0] == "ResourceNotFoundException"


def test_the_public_feedback_needs_the_events_token(server: Server) -> None:
    pool_id, client_id = audited_pool(server)
    username = make_user(server, pool_id)
    sign_in(server, client_id, username)
    (event,) = events(server, pool_id, username)
    with pytest.raises(ClientError) as exc:
        server.public().update_auth_event_feedback(
            UserPoolId=pool_id,
            Username=username,
            EventId=event["EventId"],
            FeedbackToken="v1.forged.token",
            FeedbackValue="Invalid",
        )
    assert error(exc)[0] == "NotAuthorizedException"
    (unchanged,) = events(server, pool_id, username)
    assert "EventFeedback" not in unchanged


def test_a_pool_with_threat_protection_off_records_and_lists_nothing(server: Server) -> None:
    pool_id = make_pool(server)["Id"]
    client_id = make_client(server, pool_id)["ClientId"]
    username = make_user(server, pool_id)
    sign_in(server, client_id, username)
    admin = server.admin()
    calls = (
        lambda: admin.admin_list_user_auth_events(UserPoolId=pool_id, Username=username),
        lambda: admin.admin_update_auth_event_feedback(
            UserPoolId=pool_id, Username=username, EventId="e-1", FeedbackValue="Valid"
        ),
        lambda: server.public().update_auth_event_feedback(
            UserPoolId=pool_id,
            Username=username,
            EventId="e-1",
            FeedbackToken="token",
            FeedbackValue="Valid",
        ),
    )
    for call in calls:
        with pytest.raises(ClientError) as exc:
            call()
        assert error(exc)[0] == "UserPoolAddOnNotEnabledException"
    # Turned on later: the earlier sign-in left nothing behind.
    admin.update_user_pool(UserPoolId=pool_id, UserPoolAddOns={"AdvancedSecurityMode": "AUDIT"})
    assert events(server, pool_id, username) == []


def test_unknown_user_and_pool(server: Server) -> None:
    pool_id, _ = audited_pool(server)
    admin = server.admin()
    with pytest.raises(ClientError) as exc:
        admin.admin_list_user_auth_events(UserPoolId=pool_id, Username="nobody")
    assert error(exc)[0] == "UserNotFoundException"
    with pytest.raises(ClientError) as exc:
        admin.admin_list_user_auth_events(UserPoolId="us-east-1_Nope12345", Username="x")
    assert error(exc)[0] == "ResourceNotFoundException"


def test_sign_up_resend_forgot_password_and_password_changes_are_events(server: Server) -> None:
    pool_id, client_id = audited_pool(server)
    public = server.public()
    username = f"signup-{secrets.token_hex(4)}"
    email = f"{username}@example.com"
    public.sign_up(
        ClientId=client_id,
        Username=username,
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": email}],
    )
    public.resend_confirmation_code(ClientId=client_id, Username=username)
    public.confirm_sign_up(
        ClientId=client_id,
        Username=username,
        ConfirmationCode=server.latest_code(pool_id, email),
    )
    public.forgot_password(ClientId=client_id, Username=username)
    reset = "Reset-Passw0rd!"
    public.confirm_forgot_password(
        ClientId=client_id,
        Username=username,
        ConfirmationCode=server.latest_code(pool_id, email),
        Password=reset,
    )
    token = sign_in(server, client_id, username, reset)["AccessToken"]
    with pytest.raises(ClientError):
        public.change_password(
            AccessToken=token, PreviousPassword="Wr0ng-Password!", ProposedPassword=PASSWORD
        )
    public.change_password(AccessToken=token, PreviousPassword=reset, ProposedPassword=PASSWORD)
    listed = [(e["EventType"], e["EventResponse"]) for e in events(server, pool_id, username)]
    assert listed == [
        ("PasswordChange", "Pass"),
        ("PasswordChange", "Fail"),
        ("SignIn", "Pass"),
        ("PasswordChange", "Pass"),  # ConfirmForgotPassword: the password changed
        ("ForgotPassword", "Pass"),
        ("ResendCode", "Pass"),
        ("SignUp", "Pass"),
    ]
    for event in events(server, pool_id, username):
        assert event["EventContextData"]["IpAddress"] == "127.0.0.1"


def test_an_mfa_sign_in_is_one_event_in_progress_until_its_code(server: Server) -> None:
    pool_id, client_id = mfa_pool(
        server, "OPTIONAL", sms=False, UserPoolAddOns={"AdvancedSecurityMode": "AUDIT"}
    )
    username = make_user(server, pool_id)
    totp = enroll_totp(server, pool_id, client_id, username)
    before = {e["EventId"] for e in events(server, pool_id, username)}  # enroll's sign-in
    public = server.public()
    started = public.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
    )
    assert started["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    (waiting,) = [e for e in events(server, pool_id, username) if e["EventId"] not in before]
    assert waiting["EventResponse"] == "InProgress"
    assert steps(waiting) == [("Password", "Success")]
    with pytest.raises(ClientError) as exc:
        public.respond_to_auth_challenge(
            ClientId=client_id,
            ChallengeName="SOFTWARE_TOKEN_MFA",
            Session=started["Session"],
            ChallengeResponses={"USERNAME": username, "SOFTWARE_TOKEN_MFA_CODE": "000000"},
        )
    assert error(exc)[0] == "CodeMismatchException"
    (failed,) = [e for e in events(server, pool_id, username) if e["EventId"] not in before]
    assert failed["EventId"] == waiting["EventId"]
    assert failed["EventResponse"] == "Fail"
    assert steps(failed) == [("Password", "Success"), ("Mfa", "Failure")]
    public.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="SOFTWARE_TOKEN_MFA",
        Session=started["Session"],
        ChallengeResponses={"USERNAME": username, "SOFTWARE_TOKEN_MFA_CODE": totp.code()},
    )
    (done,) = [e for e in events(server, pool_id, username) if e["EventId"] not in before]
    assert done["EventResponse"] == "Pass"
    assert steps(done) == [("Password", "Success"), ("Mfa", "Failure"), ("Mfa", "Success")]


def test_a_right_password_of_a_disabled_user_is_a_failed_event(server: Server) -> None:
    pool_id, client_id = audited_pool(server)
    username = make_user(server, pool_id)
    server.admin().admin_disable_user(UserPoolId=pool_id, Username=username)
    with pytest.raises(ClientError) as exc:
        sign_in(server, client_id, username)
    assert error(exc) == ("NotAuthorizedException", "User is disabled.")
    (event,) = events(server, pool_id, username)
    assert (event["EventResponse"], steps(event)) == ("Fail", [("Password", "Success")])


def test_a_new_password_challenge_ends_the_event_pass(server: Server) -> None:
    pool_id, client_id = audited_pool(server)
    username = make_user(server, pool_id, confirmed=False)
    server.admin().admin_set_user_password(
        UserPoolId=pool_id, Username=username, Password="Temp0rary-Pass!", Permanent=False
    )
    public = server.public()
    started = public.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": "Temp0rary-Pass!"},
    )
    assert started["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    (waiting,) = events(server, pool_id, username)
    assert waiting["EventResponse"] == "InProgress"
    public.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=started["Session"],
        ChallengeResponses={"USERNAME": username, "NEW_PASSWORD": PASSWORD},
    )
    (done,) = events(server, pool_id, username)
    assert done["EventId"] == waiting["EventId"]
    assert (done["EventResponse"], steps(done)) == ("Pass", [("Password", "Success")])
