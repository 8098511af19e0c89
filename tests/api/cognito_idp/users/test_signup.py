"""SignUp, ConfirmSignUp and ResendConfirmationCode with boto3 against the live server."""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.support.cognito import as_dict, attrs, error, secret_hash, unique
from tests.support.factories import PASSWORD, make_client, make_pool, sign_in
from tests.support.live import Server, run_server


def name() -> str:
    return unique()


@pytest.fixture(scope="module")
def pool(server: Server) -> dict[str, Any]:
    return make_pool(
        server,
        Schema=[
            {"Name": "team", "AttributeDataType": "String", "Mutable": True},
            {"Name": "level", "AttributeDataType": "Number", "Mutable": True},
        ],
    )


@pytest.fixture(scope="module")
def client_id(server: Server, pool: dict[str, Any]) -> str:
    return str(make_client(server, pool["Id"], PreventUserExistenceErrors="LEGACY")["ClientId"])


@pytest.fixture(scope="module")
def quiet_client_id(server: Server, pool: dict[str, Any]) -> str:
    return str(make_client(server, pool["Id"], PreventUserExistenceErrors="ENABLED")["ClientId"])


def sign_up(server: Server, client_id: str, username: str, **extra: Any) -> dict[str, Any]:
    email = extra.pop("email", f"{username}@example.com")
    params: dict[str, Any] = {
        "ClientId": client_id,
        "Username": username,
        "Password": extra.pop("Password", PASSWORD),
        "UserAttributes": extra.pop("UserAttributes", attrs(email=email)),
        **extra,
    }
    return dict(server.public().sign_up(**params))


# --- the happy path
def test_sign_up_sends_a_code_and_confirm_sign_up_confirms(
    server: Server, pool: dict[str, Any], client_id: str
) -> None:
    username = name()
    email = f"{username}@example.com"
    out = sign_up(server, client_id, username)
    assert out["UserConfirmed"] is False
    assert uuid.UUID(out["UserSub"])
    assert out["CodeDeliveryDetails"] == {
        "Destination": f"{username[0]}***@e***",
        "DeliveryMedium": "EMAIL",
        "AttributeName": "email",
    }
    admin = server.admin()
    user = admin.admin_get_user(UserPoolId=pool["Id"], Username=username)
    assert user["UserStatus"] == "UNCONFIRMED"
    assert as_dict(user["UserAttributes"])["sub"] == out["UserSub"]
    assert as_dict(user["UserAttributes"]).get("email_verified") != "true"
    with pytest.raises(ClientError) as exc:
        sign_in(server, client_id, username)
    assert error(exc)[0] == "UserNotConfirmedException"

    messages = server.outbox(pool["Id"], email)
    assert [m["kind"] for m in messages] == ["confirmation"]
    code = server.latest_code(pool["Id"], email)
    assert code in messages[0]["body"]
    server.public().confirm_sign_up(ClientId=client_id, Username=username, ConfirmationCode=code)
    user = admin.admin_get_user(UserPoolId=pool["Id"], Username=username)
    assert user["UserStatus"] == "CONFIRMED"
    assert as_dict(user["UserAttributes"])["email_verified"] == "true"
    assert sign_in(server, client_id, username)["AccessToken"]


def test_sign_up_without_auto_verification_sends_nothing(server: Server) -> None:
    pool_id = make_pool(server, AutoVerifiedAttributes=[])["Id"]
    cid = make_client(server, pool_id)["ClientId"]
    username = name()
    out = sign_up(server, cid, username)
    assert out["UserConfirmed"] is False
    assert "CodeDeliveryDetails" not in out
    assert server.outbox(pool_id) == []
    server.admin().admin_confirm_sign_up(UserPoolId=pool_id, Username=username)
    assert sign_in(server, cid, username)["IdToken"]


def test_sign_up_unknown_client(server: Server) -> None:
    with pytest.raises(ClientError) as exc:
        sign_up(server, "1234567890abcdefghijklmnop", name())
    assert error(exc)[0] == "ResourceNotFoundException"


def test_sign_up_existing_username(server: Server, client_id: str) -> None:
    username = name()
    sign_up(server, client_id, username)
    with pytest.raises(ClientError) as exc:
        sign_up(server, client_id, username)
    assert error(exc) == ("UsernameExistsException", "User already exists")


# --- client secret
def test_secret_hash_is_required_and_checked(server: Server, pool: dict[str, Any]) -> None:
    client = make_client(server, pool["Id"], GenerateSecret=True)
    cid, secret = client["ClientId"], client["ClientSecret"]
    username = name()
    with pytest.raises(ClientError) as exc:
        sign_up(server, cid, username)
    assert error(exc)[0] == "NotAuthorizedException"
    assert "SECRET_HASH was not received" in error(exc)[1]
    with pytest.raises(ClientError) as exc:
        sign_up(server, cid, username, SecretHash=secret_hash(username + "x", cid, secret))
    assert error(exc) == (
        "NotAuthorizedException",
        f"Unable to verify secret hash for client {cid}",
    )
    out = sign_up(server, cid, username, SecretHash=secret_hash(username, cid, secret))
    assert out["UserSub"]
    code = server.latest_code(pool["Id"], f"{username}@example.com")
    with pytest.raises(ClientError) as exc:
        server.public().confirm_sign_up(ClientId=cid, Username=username, ConfirmationCode=code)
    assert error(exc)[0] == "NotAuthorizedException"
    server.public().confirm_sign_up(
        ClientId=cid,
        Username=username,
        ConfirmationCode=code,
        SecretHash=secret_hash(username, cid, secret),
    )
    user = server.admin().admin_get_user(UserPoolId=pool["Id"], Username=username)
    assert user["UserStatus"] == "CONFIRMED"


def test_admin_create_user_only_pool_refuses_sign_up(server: Server) -> None:
    pool_id = make_pool(server, AdminCreateUserConfig={"AllowAdminCreateUserOnly": True})["Id"]
    cid = make_client(server, pool_id)["ClientId"]
    with pytest.raises(ClientError) as exc:
        sign_up(server, cid, name())
    assert error(exc) == ("NotAuthorizedException", "SignUp is not permitted for this user pool")


# --- password policy
@pytest.mark.parametrize(
    ("password", "rule"),
    [
        ("Sh0rt!", "Password not long enough"),
        ("NOLOWER123!", "Password must have lowercase characters"),
        ("noupper123!", "Password must have uppercase characters"),
        ("NoNumbers!!", "Password must have numeric characters"),
        ("NoSymbols123", "Password must have symbol characters"),
    ],
)
def test_password_policy(
    server: Server, pool: dict[str, Any], client_id: str, password: str, rule: str
) -> None:
    username = name()
    with pytest.raises(ClientError) as exc:
        sign_up(server, client_id, username, Password=password)
    assert error(exc) == (
        "InvalidPasswordException",
        f"Password did not conform with policy: {rule}",
    )
    with pytest.raises(ClientError) as exc:
        server.admin().admin_get_user(UserPoolId=pool["Id"], Username=username)
    assert error(exc)[0] == "UserNotFoundException"


def test_relaxed_password_policy(server: Server) -> None:
    pool_id = make_pool(
        server,
        Policies={
            "PasswordPolicy": {
                "MinimumLength": 6,
                "RequireUppercase": False,
                "RequireLowercase": True,
                "RequireNumbers": False,
                "RequireSymbols": False,
            }
        },
    )["Id"]
    cid = make_client(server, pool_id)["ClientId"]
    assert sign_up(server, cid, name(), Password="simple")["UserSub"]
    with pytest.raises(ClientError) as exc:
        sign_up(server, cid, name(), Password="short")
    assert error(exc)[0] == "InvalidPasswordException"


# --- schema
def test_unknown_attribute_is_refused(server: Server, pool: dict[str, Any], client_id: str) -> None:
    username = name()
    for bad in (attrs(custom__nope="x"), attrs(favourite_colour="blue")):
        with pytest.raises(ClientError) as exc:
            sign_up(server, client_id, username, UserAttributes=bad)
        code, message = error(exc)
        assert code == "InvalidParameterException"
        assert "Attribute does not exist in the schema" in message
    with pytest.raises(ClientError):
        server.admin().admin_get_user(UserPoolId=pool["Id"], Username=username)


def test_bad_attribute_values_are_refused(server: Server, client_id: str) -> None:
    for bad in (
        attrs(email="not-an-email"),
        attrs(custom__level="high"),
        attrs(phone_number="0123"),
        attrs(updated_at="soon"),
    ):
        with pytest.raises(ClientError) as exc:
            sign_up(server, client_id, name(), UserAttributes=bad)
        assert error(exc)[0] == "InvalidParameterException", bad


def test_users_cannot_verify_their_own_email(
    server: Server, pool: dict[str, Any], client_id: str
) -> None:
    username = name()
    with pytest.raises(ClientError) as exc:
        sign_up(
            server,
            client_id,
            username,
            UserAttributes=attrs(email=f"{username}@example.com", email_verified="true"),
        )
    assert error(exc) == (
        "NotAuthorizedException",
        "A client attempted to write unauthorized attribute",
    )
    with pytest.raises(ClientError):
        server.admin().admin_get_user(UserPoolId=pool["Id"], Username=username)


def test_custom_attributes_are_stored(server: Server, pool: dict[str, Any], client_id: str) -> None:
    username = name()
    sign_up(
        server,
        client_id,
        username,
        UserAttributes=attrs(
            email=f"{username}@example.com", custom__team="red", custom__level="3"
        ),
    )
    user = server.admin().admin_get_user(UserPoolId=pool["Id"], Username=username)
    got = as_dict(user["UserAttributes"])
    assert got["custom:team"] == "red"
    assert got["custom:level"] == "3"


def test_required_attributes(server: Server) -> None:
    pool_id = make_pool(
        server,
        Schema=[{"Name": "name", "AttributeDataType": "String", "Required": True}],
    )["Id"]
    cid = make_client(server, pool_id)["ClientId"]
    username = name()
    with pytest.raises(ClientError) as exc:
        sign_up(server, cid, username)
    code, message = error(exc)
    assert code == "InvalidParameterException"
    assert "name: The attribute name is required" in message
    sign_up(
        server,
        cid,
        username,
        UserAttributes=attrs(email=f"{username}@example.com", name="Ada Lovelace"),
    )


def test_client_write_attributes(server: Server, pool: dict[str, Any]) -> None:
    cid = make_client(server, pool["Id"], WriteAttributes=["email", "custom:team"])["ClientId"]
    username = name()
    with pytest.raises(ClientError) as exc:
        sign_up(
            server,
            cid,
            username,
            UserAttributes=attrs(email=f"{username}@example.com", given_name="Ada"),
        )
    assert error(exc) == (
        "NotAuthorizedException",
        "A client attempted to write unauthorized attribute",
    )
    sign_up(
        server,
        cid,
        username,
        UserAttributes=attrs(email=f"{username}@example.com", custom__team="blue"),
    )


# --- username and alias attributes
def test_email_as_username(server: Server) -> None:
    pool_id = make_pool(server, UsernameAttributes=["email"])["Id"]
    cid = make_client(server, pool_id, PreventUserExistenceErrors="LEGACY")["ClientId"]
    email = f"{name()}@example.com"
    out = sign_up(server, cid, email, UserAttributes=[])
    admin = server.admin()
    user = admin.admin_get_user(UserPoolId=pool_id, Username=email)
    # Cognito: the stored username is a UUID (the sub), the email an attribute.
    assert user["Username"] == out["UserSub"]
    assert as_dict(user["UserAttributes"])["email"] == email
    with pytest.raises(ClientError) as exc:
        sign_up(server, cid, email.upper(), UserAttributes=[])
    assert error(exc)[0] == "UsernameExistsException"
    with pytest.raises(ClientError) as exc:
        sign_up(server, cid, "plain-name", UserAttributes=[])
    assert error(exc) == ("InvalidParameterException", "Username should be an email.")
    with pytest.raises(ClientError) as exc:
        sign_up(server, cid, f"other-{email}", UserAttributes=attrs(email=email))
    assert error(exc)[0] == "InvalidParameterException"
    server.public().confirm_sign_up(
        ClientId=cid, Username=email, ConfirmationCode=server.latest_code(pool_id, email)
    )
    tokens = sign_in(server, cid, email)
    assert server.public().get_user(AccessToken=tokens["AccessToken"])["Username"] == out["UserSub"]
    listed = admin.list_users(UserPoolId=pool_id)["Users"]
    assert [u["Username"] for u in listed] == [out["UserSub"]]


def test_email_or_phone_as_username(server: Server) -> None:
    pool_id = make_pool(
        server, UsernameAttributes=["email", "phone_number"], AutoVerifiedAttributes=[]
    )["Id"]
    cid = make_client(server, pool_id)["ClientId"]
    phone = "+1555" + str(secrets.randbelow(10**7)).zfill(7)
    sign_up(server, cid, phone, UserAttributes=[])
    sign_up(server, cid, f"{name()}@example.com", UserAttributes=[])
    with pytest.raises(ClientError) as exc:
        sign_up(server, cid, phone, UserAttributes=[])
    assert error(exc)[0] == "UsernameExistsException"
    with pytest.raises(ClientError) as exc:
        sign_up(server, cid, "someone", UserAttributes=[])
    assert error(exc) == (
        "InvalidParameterException",
        "Username should be either an email or a phone number.",
    )


def test_email_alias(server: Server) -> None:
    pool_id = make_pool(server, AliasAttributes=["email", "preferred_username"])["Id"]
    cid = make_client(server, pool_id, PreventUserExistenceErrors="LEGACY")["ClientId"]
    admin = server.admin()
    with pytest.raises(ClientError) as exc:
        sign_up(server, cid, f"{name()}@example.com")
    assert error(exc) == (
        "InvalidParameterException",
        "Username cannot be of email format, since user pool is configured for email alias.",
    )
    first, second = name(), name()
    email = f"shared-{first}@example.com"
    sign_up(server, cid, first, email=email)
    first_code = server.latest_code(pool_id, email)
    # An unverified email is no alias yet: a second user may sign up with it.
    sign_up(server, cid, second, email=email)
    with pytest.raises(ClientError) as exc:
        sign_in(server, cid, email)
    assert error(exc)[0] == "UserNotFoundException"
    server.public().confirm_sign_up(ClientId=cid, Username=first, ConfirmationCode=first_code)
    assert sign_in(server, cid, email.upper())["AccessToken"]

    # Confirming the second user would take the alias: refused unless forced.
    server.public().resend_confirmation_code(ClientId=cid, Username=second)
    code = server.latest_code(pool_id, email)
    with pytest.raises(ClientError) as exc:
        server.public().confirm_sign_up(ClientId=cid, Username=second, ConfirmationCode=code)
    assert error(exc) == (
        "AliasExistsException",
        "An account with the given email already exists.",
    )
    assert admin.admin_get_user(UserPoolId=pool_id, Username=second)["UserStatus"] == (
        "UNCONFIRMED"
    )
    server.public().confirm_sign_up(
        ClientId=cid, Username=second, ConfirmationCode=code, ForceAliasCreation=True
    )
    tokens = sign_in(server, cid, email)
    assert server.public().get_user(AccessToken=tokens["AccessToken"])["Username"] == second
    moved = as_dict(admin.admin_get_user(UserPoolId=pool_id, Username=first)["UserAttributes"])
    assert moved["email_verified"] == "false"


def test_preferred_username_alias_is_unique(server: Server) -> None:
    pool_id = make_pool(
        server,
        AliasAttributes=["preferred_username"],
        UsernameConfiguration={"CaseSensitive": False},
    )["Id"]
    cid = make_client(server, pool_id)["ClientId"]
    first = name()
    sign_up(
        server,
        cid,
        first,
        UserAttributes=attrs(email=f"{first}@example.com", preferred_username="the-ace"),
    )
    second = name()
    with pytest.raises(ClientError) as exc:
        sign_up(
            server,
            cid,
            second,
            UserAttributes=attrs(email=f"{second}@example.com", preferred_username="The-Ace"),
        )
    assert error(exc)[0] == "AliasExistsException"
    with pytest.raises(ClientError):
        server.admin().admin_get_user(UserPoolId=pool_id, Username=second)
    server.admin().admin_confirm_sign_up(UserPoolId=pool_id, Username=first)
    assert sign_in(server, cid, "the-ace")["AccessToken"]


def test_case_insensitive_usernames(server: Server) -> None:
    pool_id = make_pool(server, UsernameConfiguration={"CaseSensitive": False})["Id"]
    cid = make_client(server, pool_id)["ClientId"]
    base = name()
    out = sign_up(server, cid, base.capitalize(), email=f"{base}@example.com")
    with pytest.raises(ClientError) as exc:
        sign_up(server, cid, base)
    assert error(exc)[0] == "UsernameExistsException"
    user = server.admin().admin_get_user(UserPoolId=pool_id, Username=base.upper())
    assert user["Username"] == base.capitalize()
    assert as_dict(user["UserAttributes"])["sub"] == out["UserSub"]
    server.public().confirm_sign_up(
        ClientId=cid,
        Username=base.upper(),
        ConfirmationCode=server.latest_code(pool_id, f"{base}@example.com"),
    )
    assert sign_in(server, cid, base)["AccessToken"]


def test_case_sensitive_usernames(server: Server) -> None:
    pool_id = make_pool(server, UsernameConfiguration={"CaseSensitive": True})["Id"]
    cid = make_client(server, pool_id)["ClientId"]
    base = name()
    upper = sign_up(server, cid, base.capitalize(), email=f"a-{base}@example.com")
    lower = sign_up(server, cid, base, email=f"b-{base}@example.com")
    assert upper["UserSub"] != lower["UserSub"]
    with pytest.raises(ClientError) as exc:
        server.admin().admin_get_user(UserPoolId=pool_id, Username=base.upper())
    assert error(exc)[0] == "UserNotFoundException"


# --- confirmation codes
def test_wrong_code_then_right_code_then_again(
    server: Server, pool: dict[str, Any], client_id: str
) -> None:
    username = name()
    sign_up(server, client_id, username)
    code = server.latest_code(pool["Id"], f"{username}@example.com")
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(ClientError) as exc:
        server.public().confirm_sign_up(
            ClientId=client_id, Username=username, ConfirmationCode=wrong
        )
    assert error(exc) == (
        "CodeMismatchException",
        "Invalid verification code provided, please try again.",
    )
    server.public().confirm_sign_up(ClientId=client_id, Username=username, ConfirmationCode=code)
    with pytest.raises(ClientError) as exc:
        server.public().confirm_sign_up(
            ClientId=client_id, Username=username, ConfirmationCode=code
        )
    assert error(exc) == (
        "NotAuthorizedException",
        "User cannot be confirmed. Current status is CONFIRMED",
    )


def test_attempt_limit(server: Server, pool: dict[str, Any], client_id: str) -> None:
    username = name()
    email = f"{username}@example.com"
    sign_up(server, client_id, username)
    code = server.latest_code(pool["Id"], email)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        with pytest.raises(ClientError) as exc:
            server.public().confirm_sign_up(
                ClientId=client_id, Username=username, ConfirmationCode=wrong
            )
        assert error(exc)[0] == "CodeMismatchException"
    # Past the limit even the right code is refused.
    with pytest.raises(ClientError) as exc:
        server.public().confirm_sign_up(
            ClientId=client_id, Username=username, ConfirmationCode=code
        )
    assert error(exc)[0] == "LimitExceededException"
    # The lock holds (SDKs retry LimitExceededException as throttling and must see it again).
    with pytest.raises(ClientError) as exc:
        server.public().confirm_sign_up(
            ClientId=client_id, Username=username, ConfirmationCode=code
        )
    assert error(exc) == (
        "LimitExceededException",
        "Attempt limit exceeded, please try after some time.",
    )
    server.public().resend_confirmation_code(ClientId=client_id, Username=username)
    fresh = server.latest_code(pool["Id"], email)
    server.public().confirm_sign_up(ClientId=client_id, Username=username, ConfirmationCode=fresh)


def test_resend_replaces_the_code(server: Server, pool: dict[str, Any], client_id: str) -> None:
    username = name()
    email = f"{username}@example.com"
    sign_up(server, client_id, username)
    old = server.latest_code(pool["Id"], email)
    out = server.public().resend_confirmation_code(ClientId=client_id, Username=username)
    assert out["CodeDeliveryDetails"] == {
        "Destination": f"{username[0]}***@e***",
        "DeliveryMedium": "EMAIL",
        "AttributeName": "email",
    }
    new = server.latest_code(pool["Id"], email)
    assert len(server.outbox(pool["Id"], email)) == 2
    if new != old:
        with pytest.raises(ClientError) as exc:
            server.public().confirm_sign_up(
                ClientId=client_id, Username=username, ConfirmationCode=old
            )
        assert error(exc)[0] == "CodeMismatchException"
    server.public().confirm_sign_up(ClientId=client_id, Username=username, ConfirmationCode=new)
    with pytest.raises(ClientError) as exc:
        server.public().resend_confirmation_code(ClientId=client_id, Username=username)
    assert error(exc) == ("InvalidParameterException", "User is already confirmed.")


def test_unknown_user_legacy_errors(server: Server, client_id: str) -> None:
    with pytest.raises(ClientError) as exc:
        server.public().confirm_sign_up(
            ClientId=client_id, Username=name(), ConfirmationCode="123456"
        )
    assert error(exc) == ("UserNotFoundException", "Username/client id combination not found.")
    with pytest.raises(ClientError) as exc:
        server.public().resend_confirmation_code(ClientId=client_id, Username=name())
    assert error(exc) == ("UserNotFoundException", "Username/client id combination not found.")


def test_unknown_user_existence_hidden(
    server: Server, pool: dict[str, Any], quiet_client_id: str
) -> None:
    known = name()
    sign_up(server, quiet_client_id, known)
    unknown = name()
    # Same answers for a user that exists (with a wrong code) and one that doesn't.
    for username in (known, unknown):
        with pytest.raises(ClientError) as exc:
            server.public().confirm_sign_up(
                ClientId=quiet_client_id, Username=username, ConfirmationCode="000000"
            )
        assert error(exc) == (
            "CodeMismatchException",
            "Invalid verification code provided, please try again.",
        )
    out = server.public().resend_confirmation_code(ClientId=quiet_client_id, Username=unknown)
    details = out["CodeDeliveryDetails"]
    assert details["DeliveryMedium"] == "EMAIL"
    assert details["AttributeName"] == "email"
    assert "***" in details["Destination"]
    assert server.outbox(pool["Id"], f"{unknown}@example.com") == []


def test_code_for_one_user_does_not_confirm_another(
    server: Server, pool: dict[str, Any], client_id: str
) -> None:
    first, second = name(), name()
    sign_up(server, client_id, first)
    sign_up(server, client_id, second)
    code = server.latest_code(pool["Id"], f"{first}@example.com")
    other = server.latest_code(pool["Id"], f"{second}@example.com")
    if code != other:
        with pytest.raises(ClientError) as exc:
            server.public().confirm_sign_up(
                ClientId=client_id, Username=second, ConfirmationCode=code
            )
        assert error(exc)[0] == "CodeMismatchException"


# --- expiry, on a server whose codes live one second
@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def short_codes(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    tmp: Path = tmp_path_factory.mktemp(f"short-codes-{request.param}")
    with run_server(tmp, request.param, extra_env={"MAMORI_CODE_TTL_SECONDS": "1"}) as live:
        yield live


def test_expired_code(short_codes: Server) -> None:
    pool_id = make_pool(short_codes)["Id"]
    cid = make_client(short_codes, pool_id)["ClientId"]
    username = name()
    email = f"{username}@example.com"
    sign_up(short_codes, cid, username)
    code = short_codes.latest_code(pool_id, email)
    time.sleep(1.5)
    with pytest.raises(ClientError) as exc:
        short_codes.public().confirm_sign_up(ClientId=cid, Username=username, ConfirmationCode=code)
    assert error(exc) == (
        "ExpiredCodeException",
        "Invalid code provided, please request a code again.",
    )
    short_codes.public().resend_confirmation_code(ClientId=cid, Username=username)
    fresh = short_codes.latest_code(pool_id, email)
    short_codes.public().confirm_sign_up(ClientId=cid, Username=username, ConfirmationCode=fresh)
    user = short_codes.admin().admin_get_user(UserPoolId=pool_id, Username=username)
    assert user["UserStatus"] == "CONFIRMED"
