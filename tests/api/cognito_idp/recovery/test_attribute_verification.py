"""Verifying email and phone_number with boto3 against the live server:
GetUserAttributeVerificationCode / VerifyUserAttribute, and changes that wait for verification
(AttributesRequireVerificationBeforeUpdate): the old value stays in effect until then."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.support.cognito import (
    EXPIRED,
    LIMIT,
    MISMATCH,
    as_dict,
    attrs,
    error,
    phone,
    unique,
    wrong,
)
from tests.support.factories import PASSWORD, make_client, make_pool, make_user, sign_in
from tests.support.live import Server, run_server
from tests.support.tokens import unverified
from tests.support.webhook import Webhook


@pytest.fixture(scope="module")
def pool_id(server: Server) -> str:
    """Email and phone verified automatically; changes apply at once."""
    return str(make_pool(server, AutoVerifiedAttributes=["email", "phone_number"])["Id"])


@pytest.fixture(scope="module")
def client_id(server: Server, pool_id: str) -> str:
    return str(make_client(server, pool_id)["ClientId"])


@pytest.fixture(scope="module")
def keeping(server: Server) -> tuple[str, str]:
    """A pool that keeps email and phone until a new value is verified; email is an alias."""
    pool = make_pool(
        server,
        AutoVerifiedAttributes=["email", "phone_number"],
        AliasAttributes=["email", "phone_number"],
        UserAttributeUpdateSettings={
            "AttributesRequireVerificationBeforeUpdate": ["email", "phone_number"]
        },
    )
    return pool["Id"], make_client(server, pool["Id"])["ClientId"]


def token(server: Server, client_id: str, username: str) -> str:
    return str(sign_in(server, client_id, username)["AccessToken"])


def user_attrs(server: Server, access_token: str) -> dict[str, str]:
    return as_dict(server.public().get_user(AccessToken=access_token)["UserAttributes"])


def admin_attrs(server: Server, pool_id: str, username: str) -> dict[str, str]:
    user = server.admin().admin_get_user(UserPoolId=pool_id, Username=username)
    return as_dict(user["UserAttributes"])


def send(server: Server, access_token: str, attribute: str) -> dict[str, str]:
    out = server.public().get_user_attribute_verification_code(
        AccessToken=access_token, AttributeName=attribute
    )
    return dict(out["CodeDeliveryDetails"])


def verify(server: Server, access_token: str, attribute: str, code: str) -> None:
    server.public().verify_user_attribute(
        AccessToken=access_token, AttributeName=attribute, Code=code
    )


def code_to(server: Server, pool_id: str, to: str) -> str:
    messages = [m for m in server.outbox(pool_id, to) if m["kind"] == "verification"]
    assert messages, f"no verification code sent to {to}"
    return str(messages[-1]["code"])


def update(server: Server, access_token: str, **values: str) -> list[dict[str, str]]:
    out = server.public().update_user_attributes(
        AccessToken=access_token, UserAttributes=attrs(values)
    )
    return list(out["CodeDeliveryDetailsList"])


# --- GetUserAttributeVerificationCode / VerifyUserAttribute
def test_verify_email(server: Server, pool_id: str, client_id: str) -> None:
    username = make_user(server, pool_id, attributes={"email_verified": "false"})
    email = f"{username}@example.com"
    access = token(server, client_id, username)
    assert send(server, access, "email") == {
        "Destination": f"{username[0]}***@e***",
        "DeliveryMedium": "EMAIL",
        "AttributeName": "email",
    }
    code = code_to(server, pool_id, email)
    with pytest.raises(ClientError) as exc:
        verify(server, access, "email", wrong(code))
    assert error(exc) == MISMATCH
    assert user_attrs(server, access)["email_verified"] == "false"
    verify(server, access, "email", code)
    assert user_attrs(server, access)["email_verified"] == "true"
    # Single use.
    with pytest.raises(ClientError) as exc:
        verify(server, access, "email", code)
    assert error(exc) == EXPIRED


def test_verify_phone_number(server: Server, pool_id: str, client_id: str) -> None:
    number = phone()
    username = make_user(server, pool_id, attributes={"phone_number": number})
    access = token(server, client_id, username)
    details = send(server, access, "phone_number")
    assert details == {
        "Destination": "+*******" + number[-4:],
        "DeliveryMedium": "SMS",
        "AttributeName": "phone_number",
    }
    [message] = [m for m in server.outbox(pool_id, number) if m["kind"] == "verification"]
    assert message["channel"] == "SMS"
    verify(server, access, "phone_number", message["code"])
    assert user_attrs(server, access)["phone_number_verified"] == "true"


def test_attempt_limit(server: Server, pool_id: str, client_id: str) -> None:
    username = make_user(server, pool_id, attributes={"email_verified": "false"})
    access = token(server, client_id, username)
    send(server, access, "email")
    code = code_to(server, pool_id, f"{username}@example.com")
    for _ in range(5):
        with pytest.raises(ClientError) as exc:
            verify(server, access, "email", wrong(code))
        assert error(exc) == MISMATCH
    with pytest.raises(ClientError) as exc:
        verify(server, access, "email", code)
    assert error(exc) == LIMIT
    send(server, access, "email")
    verify(server, access, "email", code_to(server, pool_id, f"{username}@example.com"))
    assert user_attrs(server, access)["email_verified"] == "true"


def test_what_cannot_be_verified(server: Server, pool_id: str, client_id: str) -> None:
    username = make_user(server, pool_id)
    access = token(server, client_id, username)
    for attribute in ("name", "phone_number"):  # not verifiable; the user has none
        with pytest.raises(ClientError) as exc:
            send(server, access, attribute)
        assert error(exc)[0] == "InvalidParameterException"
        with pytest.raises(ClientError) as exc:
            verify(server, access, attribute, "123456")
        assert error(exc)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as exc:
        send(server, "not-a-token", "email")
    assert error(exc)[0] == "NotAuthorizedException"


def test_a_code_verifies_only_the_value_it_was_sent_to(server: Server) -> None:
    pool = make_pool(server, AutoVerifiedAttributes=[])  # changes send no code of their own
    cid = make_client(server, pool["Id"])["ClientId"]
    username = make_user(server, pool["Id"], attributes={"email_verified": "false"})
    access = token(server, cid, username)
    send(server, access, "email")
    code = code_to(server, pool["Id"], f"{username}@example.com")
    update(server, access, email="someone-else@example.org")
    with pytest.raises(ClientError) as exc:
        verify(server, access, "email", code)
    assert error(exc) == MISMATCH
    assert user_attrs(server, access)["email_verified"] == "false"


# --- changes that apply at once
def test_changed_email_is_unverified_until_verified(
    server: Server, pool_id: str, client_id: str
) -> None:
    username = make_user(server, pool_id)
    access = token(server, client_id, username)
    new = f"new-{username}@example.org"
    [details] = update(server, access, email=new)
    assert details["Destination"] == "n***@e***"
    got = user_attrs(server, access)
    assert (got["email"], got["email_verified"]) == (new, "false")
    verify(server, access, "email", code_to(server, pool_id, new))
    got = user_attrs(server, access)
    assert (got["email"], got["email_verified"]) == (new, "true")


# --- changes that wait for verification
def test_new_email_waits_for_verification(server: Server, keeping: tuple[str, str]) -> None:
    pool_id, cid = keeping
    username = make_user(server, pool_id)
    old, new = f"{username}@example.com", f"new-{username}@example.org"
    access = token(server, cid, username)
    [details] = update(server, access, email=new)
    assert details == {
        "Destination": "n***@e***",
        "DeliveryMedium": "EMAIL",
        "AttributeName": "email",
    }
    code = code_to(server, pool_id, new)
    # The old address stays in effect everywhere until the new one is verified.
    for got in (user_attrs(server, access), admin_attrs(server, pool_id, username)):
        assert (got["email"], got["email_verified"]) == (old, "true")
    assert sign_in(server, cid, old)["AccessToken"]
    with pytest.raises(ClientError) as exc:
        sign_in(server, cid, new)
    assert error(exc)[0] in {"NotAuthorizedException", "UserNotFoundException"}
    id_token = sign_in(server, cid, username)["IdToken"]
    assert unverified(id_token)["email"] == old
    listed = server.admin().list_users(UserPoolId=pool_id, Filter=f'email = "{new}"')["Users"]
    assert listed == []
    # Asking again sends to the new address.
    assert send(server, access, "email")["Destination"] == "n***@e***"
    fresh = code_to(server, pool_id, new)
    # Only the latest code works.
    if fresh != code:
        with pytest.raises(ClientError) as exc:
            verify(server, access, "email", code)
        assert error(exc) == MISMATCH
    verify(server, access, "email", fresh)
    got = user_attrs(server, access)
    assert (got["email"], got["email_verified"]) == (new, "true")
    assert sign_in(server, cid, new)["AccessToken"]
    with pytest.raises(ClientError) as exc:
        sign_in(server, cid, old)
    assert error(exc)[0] in {"NotAuthorizedException", "UserNotFoundException"}


def test_new_phone_waits_for_verification(server: Server, keeping: tuple[str, str]) -> None:
    pool_id, cid = keeping
    old, new = phone(), phone()
    username = make_user(
        server, pool_id, attributes={"phone_number": old, "phone_number_verified": "true"}
    )
    access = token(server, cid, username)
    [details] = update(server, access, phone_number=new, name="Ada")
    assert (details["DeliveryMedium"], details["AttributeName"]) == ("SMS", "phone_number")
    got = user_attrs(server, access)
    # Other attributes of the same request apply at once.
    assert (got["phone_number"], got["phone_number_verified"], got["name"]) == (old, "true", "Ada")
    [message] = server.outbox(pool_id, new)
    verify(server, access, "phone_number", message["code"])
    got = user_attrs(server, access)
    assert (got["phone_number"], got["phone_number_verified"]) == (new, "true")


def test_a_later_change_replaces_the_pending_one(server: Server, keeping: tuple[str, str]) -> None:
    pool_id, cid = keeping
    username = make_user(server, pool_id)
    access = token(server, cid, username)
    first, second = f"a-{username}@example.org", f"b-{username}@example.org"
    update(server, access, email=first)
    first_code = code_to(server, pool_id, first)
    update(server, access, email=second)
    with pytest.raises(ClientError) as exc:
        verify(server, access, "email", first_code)
    assert error(exc)[0] in {"CodeMismatchException", "ExpiredCodeException"}
    verify(server, access, "email", code_to(server, pool_id, second))
    assert user_attrs(server, access)["email"] == second
    # Changing back to the value in effect cancels what was pending.
    update(server, access, email=f"c-{username}@example.org")
    assert update(server, access, email=second) == []
    send(server, access, "email")
    assert server.outbox(pool_id, second)[-1]["kind"] == "verification"


def test_an_unverified_value_is_not_kept(server: Server, keeping: tuple[str, str]) -> None:
    pool_id, cid = keeping
    username = make_user(server, pool_id, attributes={"email_verified": "false"})
    access = token(server, cid, username)
    new = f"new-{username}@example.org"
    update(server, access, email=new)
    got = user_attrs(server, access)
    assert (got["email"], got["email_verified"]) == (new, "false")


def test_admin_changes(server: Server, keeping: tuple[str, str]) -> None:
    pool_id, cid = keeping
    admin = server.admin()
    username = make_user(server, pool_id)
    old, new = f"{username}@example.com", f"new-{username}@example.org"
    admin.admin_update_user_attributes(
        UserPoolId=pool_id, Username=username, UserAttributes=attrs(email=new)
    )
    assert admin_attrs(server, pool_id, username)["email"] == old
    assert code_to(server, pool_id, new)
    # Setting the flag verifies the pending value.
    admin.admin_update_user_attributes(
        UserPoolId=pool_id, Username=username, UserAttributes=attrs(email_verified="true")
    )
    got = admin_attrs(server, pool_id, username)
    assert (got["email"], got["email_verified"]) == (new, "true")
    # A new value with the flag set applies at once, and sends nothing.
    newer = f"newer-{username}@example.org"
    admin.admin_update_user_attributes(
        UserPoolId=pool_id,
        Username=username,
        UserAttributes=attrs(email=newer, email_verified="true"),
    )
    got = admin_attrs(server, pool_id, username)
    assert (got["email"], got["email_verified"]) == (newer, "true")
    assert not server.outbox(pool_id, newer)
    assert sign_in(server, cid, newer)["AccessToken"]


def test_verifying_an_alias_someone_else_holds(server: Server, keeping: tuple[str, str]) -> None:
    pool_id, cid = keeping
    holder = make_user(server, pool_id)
    taken = f"{holder}@example.com"
    username = make_user(server, pool_id)
    access = token(server, cid, username)
    update(server, access, email=taken)
    code = code_to(server, pool_id, taken)
    with pytest.raises(ClientError) as exc:
        verify(server, access, "email", code)
    assert error(exc) == ("AliasExistsException", "An account with the given email already exists.")
    assert user_attrs(server, access)["email"] == f"{username}@example.com"
    assert sign_in(server, cid, taken)["AccessToken"]  # still the holder's
    # The refusal did not spend the code: once the holder moves on, it works.
    server.admin().admin_update_user_attributes(
        UserPoolId=pool_id,
        Username=holder,
        UserAttributes=attrs(email=f"moved-{holder}@example.org", email_verified="true"),
    )
    verify(server, access, "email", code)
    assert user_attrs(server, access)["email"] == taken


def test_email_as_username_refuses_a_taken_value_at_once(server: Server) -> None:
    pool = make_pool(
        server,
        UsernameAttributes=["email"],
        AutoVerifiedAttributes=["email"],
        UserAttributeUpdateSettings={"AttributesRequireVerificationBeforeUpdate": ["email"]},
    )
    cid = make_client(server, pool["Id"])["ClientId"]
    first, second = f"{unique()}@example.com", f"{unique()}@example.com"
    for email in (first, second):
        server.admin().admin_create_user(
            UserPoolId=pool["Id"],
            Username=email,
            MessageAction="SUPPRESS",
            UserAttributes=attrs(email_verified="true"),
        )
        server.admin().admin_set_user_password(
            UserPoolId=pool["Id"], Username=email, Password=PASSWORD, Permanent=True
        )
    access = token(server, cid, second)
    with pytest.raises(ClientError) as exc:
        update(server, access, email=first)
    assert error(exc)[0] == "AliasExistsException"
    assert not server.outbox(pool["Id"], first)


# --- a failed delivery changes nothing
@pytest.fixture(scope="module")
def hooked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Webhook]]:
    hook = Webhook()
    try:
        with run_server(
            tmp_path_factory.mktemp("verify-hook"), "sqlite", extra_env=hook.env()
        ) as live:
            yield live, hook
    finally:
        hook.close()


def test_undeliverable_change_is_not_kept(hooked: tuple[Server, Webhook]) -> None:
    server, hook = hooked
    pool: dict[str, Any] = make_pool(
        server,
        AutoVerifiedAttributes=["email"],
        UserAttributeUpdateSettings={"AttributesRequireVerificationBeforeUpdate": ["email"]},
    )
    cid = make_client(server, pool["Id"])["ClientId"]
    username = make_user(server, pool["Id"])
    access = token(server, cid, username)
    hook.fail = True
    try:
        for value in ("new@example.org", "other@example.org"):
            with pytest.raises(ClientError) as exc:
                update(server, access, email=value)
            assert error(exc)[0] == "CodeDeliveryFailureException"
    finally:
        hook.fail = False
    # Nothing is pending: asking for a code sends it to the address in effect.
    send(server, access, "email")
    assert hook.messages[-1]["to"] == f"{username}@example.com"
    got = user_attrs(server, access)
    assert (got["email"], got["email_verified"]) == (f"{username}@example.com", "true")
