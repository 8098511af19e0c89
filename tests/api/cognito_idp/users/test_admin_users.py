"""Admin user operations with boto3 against the live server: create, get, delete, enable,
attributes, passwords and confirmation."""

from __future__ import annotations

import re
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.support.cognito import as_dict, attrs, error, unique
from tests.support.factories import PASSWORD, make_client, make_pool, make_user, sign_in
from tests.support.live import Server

INVITE = "Hello {username}, your temporary password is {####}."
NEW_PASSWORD = "N3w-Passw0rd!"


@pytest.fixture(scope="module")
def pool(server: Server) -> dict[str, Any]:
    return make_pool(
        server,
        Schema=[
            {"Name": "badge", "AttributeDataType": "String", "Mutable": False},
            {"Name": "team", "AttributeDataType": "String", "Mutable": True},
        ],
        AdminCreateUserConfig={
            "InviteMessageTemplate": {
                "EmailMessage": INVITE,
                "EmailSubject": "Welcome aboard",
                "SMSMessage": "{username} / {####}",
            }
        },
    )


@pytest.fixture(scope="module")
def pool_id(pool: dict[str, Any]) -> str:
    return str(pool["Id"])


@pytest.fixture(scope="module")
def client_id(server: Server, pool_id: str) -> str:
    return str(make_client(server, pool_id)["ClientId"])


def password_from(body: str) -> str:
    match = re.search(r"temporary password is (\S+)\.$", body)
    assert match, body
    return match.group(1)


def start_sign_in(server: Server, client_id: str, username: str, password: str) -> dict[str, Any]:
    return dict(
        server.public().initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password},
        )
    )


def set_new_password(server: Server, client_id: str, username: str, temporary: str) -> None:
    challenge = start_sign_in(server, client_id, username, temporary)
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    out = server.public().respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=challenge["Session"],
        ChallengeResponses={"USERNAME": username, "NEW_PASSWORD": NEW_PASSWORD},
    )
    assert out["AuthenticationResult"]["AccessToken"]


# --- AdminCreateUser
def test_create_user_with_temporary_password(server: Server, pool_id: str, client_id: str) -> None:
    username = unique()
    email = f"{username}@example.com"
    out = server.admin().admin_create_user(
        UserPoolId=pool_id,
        Username=username,
        TemporaryPassword="Temp-Passw0rd!",
        UserAttributes=attrs(email=email, email_verified="true", custom__badge="B-1"),
        DesiredDeliveryMediums=["EMAIL"],
    )["User"]
    assert out["Username"] == username
    assert out["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    assert out["Enabled"] is True
    assert out["UserCreateDate"] == out["UserLastModifiedDate"]
    got = as_dict(out["Attributes"])
    assert got["email"] == email
    assert got["custom:badge"] == "B-1"
    assert got["sub"]

    [message] = server.outbox(pool_id, email)
    assert message["kind"] == "invitation"
    assert message["channel"] == "EMAIL"
    assert message["subject"] == "Welcome aboard"
    assert message["body"] == INVITE.replace("{username}", username).replace(
        "{####}", "Temp-Passw0rd!"
    )
    with pytest.raises(ClientError) as exc:
        sign_in(server, client_id, username, "Wrong-Passw0rd!")
    assert error(exc)[0] == "NotAuthorizedException"
    set_new_password(server, client_id, username, "Temp-Passw0rd!")
    user = server.admin().admin_get_user(UserPoolId=pool_id, Username=username)
    assert user["UserStatus"] == "CONFIRMED"
    assert sign_in(server, client_id, username, NEW_PASSWORD)["AccessToken"]


def test_create_user_with_generated_password(server: Server, pool_id: str, client_id: str) -> None:
    username = unique()
    email = f"{username}@example.com"
    server.admin().admin_create_user(
        UserPoolId=pool_id, Username=username, UserAttributes=attrs(email=email)
    )
    # Cognito: the default medium is SMS; a user without a phone number is invited by email.
    [message] = server.outbox(pool_id, email)
    temporary = password_from(message["body"])
    assert len(temporary) >= 8
    set_new_password(server, client_id, username, temporary)


def test_invitation_by_sms(server: Server, pool_id: str) -> None:
    username = unique()
    phone = "+15550001234"
    server.admin().admin_create_user(
        UserPoolId=pool_id,
        Username=username,
        TemporaryPassword="Temp-Passw0rd!",
        UserAttributes=attrs(email=f"{username}@example.com", phone_number=phone),
    )
    sms = [m for m in server.outbox(pool_id, phone) if username in m["body"]]
    assert [(m["channel"], m["body"]) for m in sms] == [("SMS", f"{username} / Temp-Passw0rd!")]
    assert server.outbox(pool_id, f"{username}@example.com") == []


def test_invitation_by_both_mediums(server: Server, pool_id: str) -> None:
    username = unique()
    phone = "+15550005678"
    server.admin().admin_create_user(
        UserPoolId=pool_id,
        Username=username,
        UserAttributes=attrs(email=f"{username}@example.com", phone_number=phone),
        DesiredDeliveryMediums=["SMS", "EMAIL"],
    )
    [email] = server.outbox(pool_id, f"{username}@example.com")
    sms = [m for m in server.outbox(pool_id, phone) if username in m["body"]]
    assert len(sms) == 1
    assert password_from(email["body"]) == sms[0]["body"].split(" / ")[1]


def test_suppress_sends_nothing(server: Server, pool_id: str) -> None:
    username = unique()
    server.admin().admin_create_user(
        UserPoolId=pool_id,
        Username=username,
        MessageAction="SUPPRESS",
        UserAttributes=attrs(email=f"{username}@example.com"),
        DesiredDeliveryMediums=["EMAIL"],
    )
    assert server.outbox(pool_id, f"{username}@example.com") == []


def test_resend_sets_a_new_temporary_password(server: Server, pool_id: str, client_id: str) -> None:
    admin = server.admin()
    username = unique()
    email = f"{username}@example.com"
    admin.admin_create_user(
        UserPoolId=pool_id,
        Username=username,
        TemporaryPassword="First-Passw0rd!",
        UserAttributes=attrs(email=email),
        DesiredDeliveryMediums=["EMAIL"],
    )
    out = admin.admin_create_user(
        UserPoolId=pool_id,
        Username=username,
        MessageAction="RESEND",
        DesiredDeliveryMediums=["EMAIL"],
    )["User"]
    assert out["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    first, second = server.outbox(pool_id, email)
    assert password_from(first["body"]) == "First-Passw0rd!"
    temporary = password_from(second["body"])
    assert temporary != "First-Passw0rd!"
    with pytest.raises(ClientError) as exc:
        start_sign_in(server, client_id, username, "First-Passw0rd!")
    assert error(exc)[0] == "NotAuthorizedException"
    set_new_password(server, client_id, username, temporary)
    # Only users still waiting for their first password get an invitation again.
    with pytest.raises(ClientError) as exc:
        admin.admin_create_user(UserPoolId=pool_id, Username=username, MessageAction="RESEND")
    assert error(exc)[0] == "UnsupportedUserStateException"
    with pytest.raises(ClientError) as exc:
        admin.admin_create_user(UserPoolId=pool_id, Username=unique(), MessageAction="RESEND")
    assert error(exc) == ("UserNotFoundException", "User does not exist.")


def test_create_existing_user(server: Server, pool_id: str) -> None:
    username = make_user(server, pool_id)
    with pytest.raises(ClientError) as exc:
        server.admin().admin_create_user(
            UserPoolId=pool_id, Username=username, MessageAction="SUPPRESS"
        )
    assert error(exc) == ("UsernameExistsException", "User account already exists")


def test_temporary_password_must_meet_the_policy(server: Server, pool_id: str) -> None:
    username = unique()
    with pytest.raises(ClientError) as exc:
        server.admin().admin_create_user(
            UserPoolId=pool_id, Username=username, TemporaryPassword="weak"
        )
    assert error(exc)[0] == "InvalidPasswordException"
    with pytest.raises(ClientError):
        server.admin().admin_get_user(UserPoolId=pool_id, Username=username)


def test_create_user_schema_checks(server: Server, pool_id: str) -> None:
    admin = server.admin()
    for bad in (attrs(nickname="x" * 2049), attrs(custom__nope="x"), attrs(sub="mine")):
        with pytest.raises(ClientError) as exc:
            admin.admin_create_user(
                UserPoolId=pool_id, Username=unique(), UserAttributes=bad, MessageAction="SUPPRESS"
            )
        assert error(exc)[0] == "InvalidParameterException", bad


def test_email_as_username_pool(server: Server) -> None:
    pool_id = make_pool(server, UsernameAttributes=["email"])["Id"]
    admin = server.admin()
    email = f"{unique()}@example.com"
    out = admin.admin_create_user(UserPoolId=pool_id, Username=email, MessageAction="SUPPRESS")
    user = out["User"]
    assert user["Username"] == as_dict(user["Attributes"])["sub"]
    assert admin.admin_get_user(UserPoolId=pool_id, Username=email)["Username"] == user["Username"]
    with pytest.raises(ClientError) as exc:
        admin.admin_create_user(UserPoolId=pool_id, Username=email, MessageAction="SUPPRESS")
    assert error(exc) == (
        "UsernameExistsException",
        "An account with the given email already exists.",
    )


def test_force_alias_creation(server: Server) -> None:
    pool_id = make_pool(server, AliasAttributes=["email"])["Id"]
    cid = make_client(server, pool_id, PreventUserExistenceErrors="LEGACY")["ClientId"]
    admin = server.admin()
    email = f"{unique()}@example.com"
    first = make_user(server, pool_id, attributes={"email": email})
    with pytest.raises(ClientError) as exc:
        make_user(server, pool_id, attributes={"email": email})
    assert error(exc) == ("AliasExistsException", "An account with the given email already exists.")
    # A create that fails takes nothing from the alias's owner.
    with pytest.raises(ClientError) as exc:
        admin.admin_create_user(
            UserPoolId=pool_id,
            Username=first,
            MessageAction="SUPPRESS",
            ForceAliasCreation=True,
            UserAttributes=attrs(email=email, email_verified="true"),
        )
    assert error(exc)[0] == "UsernameExistsException"
    assert sign_in(server, cid, email)["AccessToken"]
    second = unique()
    admin.admin_create_user(
        UserPoolId=pool_id,
        Username=second,
        MessageAction="SUPPRESS",
        ForceAliasCreation=True,
        UserAttributes=attrs(email=email, email_verified="true"),
    )
    admin.admin_set_user_password(
        UserPoolId=pool_id, Username=second, Password=PASSWORD, Permanent=True
    )
    tokens = sign_in(server, cid, email)
    assert server.public().get_user(AccessToken=tokens["AccessToken"])["Username"] == second
    old = as_dict(admin.admin_get_user(UserPoolId=pool_id, Username=first)["UserAttributes"])
    assert old["email_verified"] == "false"
    assert sign_in(server, cid, first)["AccessToken"]


def test_invitation_template_without_password_placeholder_is_not_sent(server: Server) -> None:
    pool_id = make_pool(
        server,
        AdminCreateUserConfig={
            "InviteMessageTemplate": {"EmailMessage": "Welcome {username}!", "EmailSubject": "Hi"}
        },
    )["Id"]
    username = unique()
    server.admin().admin_create_user(
        UserPoolId=pool_id,
        Username=username,
        UserAttributes=attrs(email=f"{username}@example.com"),
        DesiredDeliveryMediums=["EMAIL"],
    )
    assert server.outbox(pool_id, f"{username}@example.com") == []


# --- AdminGetUser / AdminDeleteUser
def test_get_user(server: Server, pool_id: str) -> None:
    username = make_user(server, pool_id, attributes={"custom:team": "red"})
    user = server.admin().admin_get_user(UserPoolId=pool_id, Username=username)
    assert user["Username"] == username
    assert user["UserStatus"] == "CONFIRMED"
    assert user["Enabled"] is True
    got = as_dict(user["UserAttributes"])
    assert got["custom:team"] == "red"
    assert got["email_verified"] == "true"
    assert {"UserCreateDate", "UserLastModifiedDate"} <= set(user)


def test_unknown_user_and_pool(server: Server, pool_id: str) -> None:
    admin = server.admin()
    with pytest.raises(ClientError) as exc:
        admin.admin_get_user(UserPoolId=pool_id, Username=unique())
    assert error(exc) == ("UserNotFoundException", "User does not exist.")
    with pytest.raises(ClientError) as exc:
        admin.admin_get_user(UserPoolId="us-east-1_NoSuchPool", Username=unique())
    assert error(exc)[0] == "ResourceNotFoundException"


def test_pools_are_isolated(server: Server, pool_id: str) -> None:
    other = make_pool(server)["Id"]
    username = make_user(server, pool_id)
    admin = server.admin()
    for call in (
        lambda: admin.admin_get_user(UserPoolId=other, Username=username),
        lambda: admin.admin_delete_user(UserPoolId=other, Username=username),
        lambda: admin.admin_disable_user(UserPoolId=other, Username=username),
        lambda: admin.admin_set_user_password(
            UserPoolId=other, Username=username, Password=PASSWORD, Permanent=True
        ),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert error(exc)[0] == "UserNotFoundException"
    assert admin.admin_get_user(UserPoolId=pool_id, Username=username)["Enabled"] is True
    # The same username can exist in both pools, as two users.
    make_user(server, other, username=username)
    subs = {
        as_dict(admin.admin_get_user(UserPoolId=p, Username=username)["UserAttributes"])["sub"]
        for p in (pool_id, other)
    }
    assert len(subs) == 2


def test_delete_user(server: Server, pool_id: str, client_id: str) -> None:
    admin = server.admin()
    username = make_user(server, pool_id)
    tokens = sign_in(server, client_id, username)
    admin.admin_delete_user(UserPoolId=pool_id, Username=username)
    with pytest.raises(ClientError) as exc:
        admin.admin_get_user(UserPoolId=pool_id, Username=username)
    assert error(exc)[0] == "UserNotFoundException"
    with pytest.raises(ClientError) as exc:
        admin.admin_delete_user(UserPoolId=pool_id, Username=username)
    assert error(exc)[0] == "UserNotFoundException"
    with pytest.raises(ClientError) as exc:
        server.public().get_user(AccessToken=tokens["AccessToken"])
    assert error(exc)[0] in {"NotAuthorizedException", "UserNotFoundException"}
    # The name and the email are free again.
    make_user(server, pool_id, username=username)


# --- AdminDisableUser / AdminEnableUser
def test_disable_and_enable(server: Server, pool_id: str, client_id: str) -> None:
    admin = server.admin()
    username = make_user(server, pool_id)
    tokens = sign_in(server, client_id, username)
    admin.admin_disable_user(UserPoolId=pool_id, Username=username)
    assert admin.admin_get_user(UserPoolId=pool_id, Username=username)["Enabled"] is False
    with pytest.raises(ClientError) as exc:
        sign_in(server, client_id, username)
    assert error(exc) == ("NotAuthorizedException", "User is disabled.")
    with pytest.raises(ClientError) as exc:
        server.public().get_user(AccessToken=tokens["AccessToken"])
    assert error(exc)[0] == "NotAuthorizedException"
    with pytest.raises(ClientError) as exc:
        server.public().initiate_auth(
            ClientId=client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
        )
    assert error(exc)[0] == "NotAuthorizedException"
    admin.admin_disable_user(UserPoolId=pool_id, Username=username)  # idempotent
    admin.admin_enable_user(UserPoolId=pool_id, Username=username)
    assert admin.admin_get_user(UserPoolId=pool_id, Username=username)["Enabled"] is True
    assert sign_in(server, client_id, username)["AccessToken"]


# --- AdminUpdateUserAttributes / AdminDeleteUserAttributes
def test_update_attributes(server: Server, pool_id: str) -> None:
    admin = server.admin()
    username = make_user(server, pool_id)
    admin.admin_update_user_attributes(
        UserPoolId=pool_id,
        Username=username,
        UserAttributes=attrs(given_name="Ada", custom__team="blue"),
    )
    got = as_dict(admin.admin_get_user(UserPoolId=pool_id, Username=username)["UserAttributes"])
    assert (got["given_name"], got["custom:team"], got["email_verified"]) == ("Ada", "blue", "true")


def test_changing_email_resets_verification(server: Server, pool_id: str) -> None:
    admin = server.admin()
    username = make_user(server, pool_id)
    new_email = f"new-{username}@example.com"
    admin.admin_update_user_attributes(
        UserPoolId=pool_id, Username=username, UserAttributes=attrs(email=new_email)
    )
    got = as_dict(admin.admin_get_user(UserPoolId=pool_id, Username=username)["UserAttributes"])
    assert (got["email"], got["email_verified"]) == (new_email, "false")
    [message] = server.outbox(pool_id, new_email)
    assert message["kind"] == "verification"
    assert message["code"]
    # With email_verified in the same call the new address counts as verified: no code.
    newer = f"newer-{username}@example.com"
    admin.admin_update_user_attributes(
        UserPoolId=pool_id,
        Username=username,
        UserAttributes=attrs(email=newer, email_verified="true"),
    )
    got = as_dict(admin.admin_get_user(UserPoolId=pool_id, Username=username)["UserAttributes"])
    assert (got["email"], got["email_verified"]) == (newer, "true")
    assert server.outbox(pool_id, newer) == []


def test_update_refuses_immutable_and_unknown(server: Server, pool_id: str) -> None:
    admin = server.admin()
    username = make_user(server, pool_id, attributes={"custom:badge": "B-7"})
    for bad, message in (
        (attrs(custom__badge="B-8"), "Cannot modify the non-mutable attribute custom:badge"),
        (attrs(sub="0000"), "Cannot modify the non-mutable attribute sub"),
        (attrs(custom__nope="x"), "Attribute does not exist in the schema"),
    ):
        with pytest.raises(ClientError) as exc:
            admin.admin_update_user_attributes(
                UserPoolId=pool_id, Username=username, UserAttributes=bad
            )
        assert error(exc)[0] == "InvalidParameterException"
        assert message in error(exc)[1]
    got = as_dict(admin.admin_get_user(UserPoolId=pool_id, Username=username)["UserAttributes"])
    assert got["custom:badge"] == "B-7"


def test_update_to_an_email_alias_in_use(server: Server) -> None:
    pool_id = make_pool(server, UsernameAttributes=["email"])["Id"]
    admin = server.admin()
    taken = f"{unique()}@example.com"
    admin.admin_create_user(UserPoolId=pool_id, Username=taken, MessageAction="SUPPRESS")
    mine = f"{unique()}@example.com"
    admin.admin_create_user(UserPoolId=pool_id, Username=mine, MessageAction="SUPPRESS")
    with pytest.raises(ClientError) as exc:
        admin.admin_update_user_attributes(
            UserPoolId=pool_id, Username=mine, UserAttributes=attrs(email=taken.upper())
        )
    assert error(exc) == ("AliasExistsException", "An account with the given email already exists.")
    got = as_dict(admin.admin_get_user(UserPoolId=pool_id, Username=mine)["UserAttributes"])
    assert got["email"] == mine


def test_delete_attributes(server: Server) -> None:
    pool_id = make_pool(
        server, Schema=[{"Name": "name", "AttributeDataType": "String", "Required": True}]
    )["Id"]
    admin = server.admin()
    username = make_user(server, pool_id, attributes={"name": "Ada", "given_name": "Ada"})
    admin.admin_delete_user_attributes(
        UserPoolId=pool_id, Username=username, UserAttributeNames=["given_name", "email"]
    )
    got = as_dict(admin.admin_get_user(UserPoolId=pool_id, Username=username)["UserAttributes"])
    assert "given_name" not in got
    assert "email" not in got
    assert "email_verified" not in got
    for name in ("name", "sub"):
        with pytest.raises(ClientError) as exc:
            admin.admin_delete_user_attributes(
                UserPoolId=pool_id, Username=username, UserAttributeNames=[name]
            )
        assert error(exc)[0] == "InvalidParameterException"
    assert as_dict(admin.admin_get_user(UserPoolId=pool_id, Username=username)["UserAttributes"])[
        "name"
    ] == ("Ada")


# --- passwords
def test_set_user_password(server: Server, pool_id: str, client_id: str) -> None:
    admin = server.admin()
    username = make_user(server, pool_id)
    admin.admin_set_user_password(
        UserPoolId=pool_id, Username=username, Password="Temp-Passw0rd!", Permanent=False
    )
    user = admin.admin_get_user(UserPoolId=pool_id, Username=username)
    assert user["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    with pytest.raises(ClientError):
        sign_in(server, client_id, username)
    set_new_password(server, client_id, username, "Temp-Passw0rd!")
    admin.admin_set_user_password(
        UserPoolId=pool_id, Username=username, Password="Perm-Passw0rd!", Permanent=True
    )
    assert admin.admin_get_user(UserPoolId=pool_id, Username=username)["UserStatus"] == (
        "CONFIRMED"
    )
    assert sign_in(server, client_id, username, "Perm-Passw0rd!")["AccessToken"]
    with pytest.raises(ClientError) as exc:
        admin.admin_set_user_password(
            UserPoolId=pool_id, Username=username, Password="alllowercase", Permanent=True
        )
    assert error(exc)[0] == "InvalidPasswordException"
    assert sign_in(server, client_id, username, "Perm-Passw0rd!")["AccessToken"]


def test_reset_user_password(server: Server, pool_id: str, client_id: str) -> None:
    admin = server.admin()
    username = make_user(server, pool_id)
    admin.admin_reset_user_password(UserPoolId=pool_id, Username=username)
    assert admin.admin_get_user(UserPoolId=pool_id, Username=username)["UserStatus"] == (
        "RESET_REQUIRED"
    )
    [message] = server.outbox(pool_id, f"{username}@example.com")
    assert message["kind"] == "password-reset"
    assert re.fullmatch(r"\d{6}", message["code"])
    with pytest.raises(ClientError) as exc:
        sign_in(server, client_id, username)
    assert error(exc) == ("PasswordResetRequiredException", "Password reset required for the user")


def test_reset_needs_a_verified_contact(server: Server, pool_id: str) -> None:
    username = make_user(server, pool_id, attributes={"email_verified": "false"})
    with pytest.raises(ClientError) as exc:
        server.admin().admin_reset_user_password(UserPoolId=pool_id, Username=username)
    assert error(exc)[0] == "InvalidParameterException"
    user = server.admin().admin_get_user(UserPoolId=pool_id, Username=username)
    assert user["UserStatus"] == "CONFIRMED"


# --- AdminConfirmSignUp
def test_admin_confirm_sign_up(server: Server, pool_id: str, client_id: str) -> None:
    username = unique()
    server.public().sign_up(
        ClientId=client_id,
        Username=username,
        Password=PASSWORD,
        UserAttributes=attrs(email=f"{username}@example.com"),
    )
    admin = server.admin()
    admin.admin_confirm_sign_up(UserPoolId=pool_id, Username=username)
    user = admin.admin_get_user(UserPoolId=pool_id, Username=username)
    assert user["UserStatus"] == "CONFIRMED"
    # Confirming the account does not verify the email address.
    assert as_dict(user["UserAttributes"]).get("email_verified") != "true"
    assert sign_in(server, client_id, username)["AccessToken"]
    with pytest.raises(ClientError) as exc:
        admin.admin_confirm_sign_up(UserPoolId=pool_id, Username=username)
    assert error(exc) == (
        "NotAuthorizedException",
        "User cannot be confirmed. Current status is CONFIRMED",
    )


# --- large values never break the store
def test_long_multibyte_values(server: Server, pool_id: str) -> None:
    admin = server.admin()
    username = unique()
    long_name = "\u00e9\U0001f600" * 1024  # 2048 characters, 6 kB of UTF-8
    long_email = "\U0001f600" * 2000 + "@example.com"
    admin.admin_create_user(
        UserPoolId=pool_id,
        Username=username,
        MessageAction="SUPPRESS",
        UserAttributes=attrs(name=long_name, email=long_email, email_verified="true"),
    )
    got = as_dict(admin.admin_get_user(UserPoolId=pool_id, Username=username)["UserAttributes"])
    assert (got["name"], got["email"]) == (long_name, long_email)
    listed = admin.list_users(UserPoolId=pool_id, Filter=f'name ^= "{long_name[:100]}"')["Users"]
    assert [u["Username"] for u in listed] == [username]
