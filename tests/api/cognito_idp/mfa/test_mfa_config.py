"""The pool's MFA configuration and users' MFA preferences, boto3 against the live server:
SetUserPoolMfaConfig / GetUserPoolMfaConfig, SetUserMFAPreference / AdminSetUserMFAPreference,
and what GetUser / AdminGetUser report."""

from __future__ import annotations

from typing import Any

import pyotp
import pytest
from botocore.exceptions import ClientError
from sqlalchemy import func, select
from tests.support.cognito import as_dict, error
from tests.support.factories import make_client, make_pool, make_user, sign_in
from tests.support.live import Server

from mamori.adapters.store.sql.connection.engine import make_sync_engine
from mamori.adapters.store.sql.tables import user_mfa

OFF_WITH_FACTOR = (
    "Invalid MFA configuration given, can't turn off MFA and configure an MFA together."
)
ON_WITHOUT_FACTOR = (
    "Invalid MFA configuration given, can't disable all MFAs with a required or optional "
    "configuration."
)


@pytest.fixture(scope="module")
def pool_id(server: Server) -> str:
    return str(make_pool(server)["Id"])


@pytest.fixture(scope="module")
def client_id(server: Server, pool_id: str) -> str:
    return str(make_client(server, pool_id)["ClientId"])


def config_of(server: Server, pool_id: str) -> dict[str, Any]:
    out = dict(server.admin().get_user_pool_mfa_config(UserPoolId=pool_id))
    out.pop("ResponseMetadata")
    return out


def test_a_new_pool_has_mfa_off(server: Server) -> None:
    pool_id = make_pool(server)["Id"]
    assert config_of(server, pool_id) == {
        "MfaConfiguration": "OFF",
        "SoftwareTokenMfaConfiguration": {"Enabled": False},
    }


def test_every_factor_set_and_read_back(server: Server) -> None:
    pool_id = make_pool(server)["Id"]
    sms_configuration = {
        "SnsCallerArn": "arn:aws:iam::123456789012:role/sns-caller",
        "ExternalId": "mamori",
    }
    out = server.admin().set_user_pool_mfa_config(
        UserPoolId=pool_id,
        MfaConfiguration="OPTIONAL",
        SmsMfaConfiguration={
            "SmsAuthenticationMessage": "Code {####} signs you in",
            "SmsConfiguration": sms_configuration,
        },
        SoftwareTokenMfaConfiguration={"Enabled": True},
        EmailMfaConfiguration={"Message": "Your code: {####}", "Subject": "Sign-in code"},
    )
    expected = {
        "MfaConfiguration": "OPTIONAL",
        "SmsMfaConfiguration": {
            "SmsAuthenticationMessage": "Code {####} signs you in",
            "SmsConfiguration": sms_configuration,
        },
        "SoftwareTokenMfaConfiguration": {"Enabled": True},
        "EmailMfaConfiguration": {"Message": "Your code: {####}", "Subject": "Sign-in code"},
    }
    out.pop("ResponseMetadata")
    assert out == expected
    assert config_of(server, pool_id) == expected
    described = server.admin().describe_user_pool(UserPoolId=pool_id)["UserPool"]
    assert described["MfaConfiguration"] == "OPTIONAL"
    assert described["SmsAuthenticationMessage"] == "Code {####} signs you in"
    assert described["SmsConfiguration"] == sms_configuration


def test_a_factor_left_out_is_turned_off(server: Server) -> None:
    pool_id = make_pool(server)["Id"]
    admin = server.admin()
    admin.set_user_pool_mfa_config(
        UserPoolId=pool_id,
        MfaConfiguration="ON",
        SmsMfaConfiguration={"SmsAuthenticationMessage": "Code {####}"},
        SoftwareTokenMfaConfiguration={"Enabled": True},
    )
    admin.set_user_pool_mfa_config(
        UserPoolId=pool_id,
        MfaConfiguration="ON",
        SoftwareTokenMfaConfiguration={"Enabled": True},
    )
    assert config_of(server, pool_id) == {
        "MfaConfiguration": "ON",
        "SoftwareTokenMfaConfiguration": {"Enabled": True},
    }
    admin.set_user_pool_mfa_config(UserPoolId=pool_id, MfaConfiguration="OFF")
    assert config_of(server, pool_id) == {
        "MfaConfiguration": "OFF",
        "SoftwareTokenMfaConfiguration": {"Enabled": False},
    }


@pytest.mark.parametrize(
    ("request_args", "message"),
    [
        ({"MfaConfiguration": "ON"}, ON_WITHOUT_FACTOR),
        ({"MfaConfiguration": "OPTIONAL"}, ON_WITHOUT_FACTOR),
        (
            {"MfaConfiguration": "OPTIONAL", "SoftwareTokenMfaConfiguration": {"Enabled": False}},
            ON_WITHOUT_FACTOR,
        ),
        (
            {"MfaConfiguration": "OFF", "SoftwareTokenMfaConfiguration": {"Enabled": True}},
            OFF_WITH_FACTOR,
        ),
        (
            {"MfaConfiguration": "OFF", "EmailMfaConfiguration": {"Message": "Code {####}"}},
            OFF_WITH_FACTOR,
        ),
        ({"SmsMfaConfiguration": {"SmsAuthenticationMessage": "Code {####}"}}, OFF_WITH_FACTOR),
    ],
)
def test_inconsistent_configurations_are_refused_and_change_nothing(
    server: Server, request_args: dict[str, Any], message: str
) -> None:
    pool_id = make_pool(server)["Id"]
    before = config_of(server, pool_id)
    with pytest.raises(ClientError) as exc:
        server.admin().set_user_pool_mfa_config(UserPoolId=pool_id, **request_args)
    assert error(exc) == ("InvalidParameterException", message)
    assert config_of(server, pool_id) == before


def test_model_validation_of_the_templates(server: Server, pool_id: str) -> None:
    admin = server.admin()
    with pytest.raises(ClientError) as exc:
        admin.set_user_pool_mfa_config(
            UserPoolId=pool_id,
            MfaConfiguration="ON",
            SmsMfaConfiguration={"SmsAuthenticationMessage": "no placeholder here"},
        )
    assert error(exc)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as exc:
        admin.set_user_pool_mfa_config(UserPoolId=pool_id, MfaConfiguration="SOMETIMES")
    assert error(exc)[0] == "InvalidParameterException"


def test_unknown_pool(server: Server) -> None:
    admin = server.admin()
    for call in (
        lambda: admin.get_user_pool_mfa_config(UserPoolId="us-east-1_nothere00"),
        lambda: admin.set_user_pool_mfa_config(
            UserPoolId="us-east-1_nothere00", MfaConfiguration="OFF"
        ),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert error(exc)[0] == "ResourceNotFoundException"


def test_update_user_pool_keeps_the_factors_it_cannot_name(server: Server) -> None:
    pool_id = make_pool(server)["Id"]
    admin = server.admin()
    admin.set_user_pool_mfa_config(
        UserPoolId=pool_id,
        MfaConfiguration="OPTIONAL",
        SoftwareTokenMfaConfiguration={"Enabled": True},
        EmailMfaConfiguration={"Message": "Code {####}"},
    )
    admin.update_user_pool(UserPoolId=pool_id, MfaConfiguration="OPTIONAL")
    config = config_of(server, pool_id)
    assert config["SoftwareTokenMfaConfiguration"] == {"Enabled": True}
    assert config["EmailMfaConfiguration"] == {"Message": "Code {####}"}


def test_a_pool_created_with_mfa_on_offers_sms(server: Server) -> None:
    pool = make_pool(
        server,
        MfaConfiguration="ON",
        SmsConfiguration={"SnsCallerArn": "arn:aws:iam::123456789012:role/sns-caller"},
        SmsAuthenticationMessage="MFA {####}",
    )
    config = config_of(server, pool["Id"])
    assert config["MfaConfiguration"] == "ON"
    assert config["SmsMfaConfiguration"]["SmsAuthenticationMessage"] == "MFA {####}"
    assert config["SoftwareTokenMfaConfiguration"] == {"Enabled": False}


def test_mfa_config_needs_signed_requests(server: Server, pool_id: str) -> None:
    with pytest.raises(ClientError) as exc:
        server.public().get_user_pool_mfa_config(UserPoolId=pool_id)
    assert error(exc)[0] == "MissingAuthenticationTokenException"


# --- users' preferences
def mfa_of(server: Server, pool_id: str, username: str) -> tuple[list[str], str | None]:
    user = server.admin().admin_get_user(UserPoolId=pool_id, Username=username)
    return list(user["UserMFASettingList"]), user.get("PreferredMfaSetting")


def test_admin_sets_sms_and_email_preferences(server: Server, pool_id: str) -> None:
    username = make_user(server, pool_id, attributes={"phone_number": "+15550100001"})
    admin = server.admin()
    assert mfa_of(server, pool_id, username) == ([], None)
    admin.admin_set_user_mfa_preference(
        UserPoolId=pool_id,
        Username=username,
        SMSMfaSettings={"Enabled": True, "PreferredMfa": True},
        EmailMfaSettings={"Enabled": True},
    )
    assert mfa_of(server, pool_id, username) == (["SMS_MFA", "EMAIL_OTP"], "SMS_MFA")
    # Left out: unchanged. The preferred factor no longer preferred: no preference.
    admin.admin_set_user_mfa_preference(
        UserPoolId=pool_id, Username=username, SMSMfaSettings={"Enabled": True}
    )
    assert mfa_of(server, pool_id, username) == (["SMS_MFA", "EMAIL_OTP"], None)
    admin.admin_set_user_mfa_preference(
        UserPoolId=pool_id,
        Username=username,
        EmailMfaSettings={"Enabled": True, "PreferredMfa": True},
    )
    assert mfa_of(server, pool_id, username) == (["SMS_MFA", "EMAIL_OTP"], "EMAIL_OTP")
    # Turning the preferred factor off drops the preference with it.
    admin.admin_set_user_mfa_preference(
        UserPoolId=pool_id, Username=username, EmailMfaSettings={"Enabled": False}
    )
    assert mfa_of(server, pool_id, username) == (["SMS_MFA"], None)


def test_a_factor_needs_somewhere_to_deliver(server: Server, pool_id: str) -> None:
    username = make_user(server, pool_id)  # an email, no phone number, no software token
    admin = server.admin()
    for member, factor in (
        ("SMSMfaSettings", "SMS_MFA"),
        ("SoftwareTokenMfaSettings", "SOFTWARE_TOKEN_MFA"),
    ):
        with pytest.raises(ClientError) as exc:
            admin.admin_set_user_mfa_preference(
                UserPoolId=pool_id, Username=username, **{member: {"Enabled": True}}
            )
        assert error(exc) == (
            "InvalidParameterException",
            f"User does not have delivery config set to turn on {factor}",
        )
    # A refused request changes nothing, not even the factors it could have set.
    with pytest.raises(ClientError):
        admin.admin_set_user_mfa_preference(
            UserPoolId=pool_id,
            Username=username,
            EmailMfaSettings={"Enabled": True},
            SMSMfaSettings={"Enabled": True},
        )
    assert mfa_of(server, pool_id, username) == ([], None)
    # Turning off what is off is fine.
    admin.admin_set_user_mfa_preference(
        UserPoolId=pool_id, Username=username, SMSMfaSettings={"Enabled": False}
    )


def test_preferred_needs_enabled_and_only_one(server: Server, pool_id: str) -> None:
    username = make_user(server, pool_id, attributes={"phone_number": "+15550100002"})
    admin = server.admin()
    with pytest.raises(ClientError) as exc:
        admin.admin_set_user_mfa_preference(
            UserPoolId=pool_id,
            Username=username,
            SMSMfaSettings={"Enabled": False, "PreferredMfa": True},
        )
    assert error(exc)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as exc:
        admin.admin_set_user_mfa_preference(
            UserPoolId=pool_id,
            Username=username,
            SMSMfaSettings={"Enabled": True, "PreferredMfa": True},
            EmailMfaSettings={"Enabled": True, "PreferredMfa": True},
        )
    assert error(exc)[0] == "InvalidParameterException"
    assert mfa_of(server, pool_id, username) == ([], None)


def test_admin_preference_for_unknown_user_or_pool(server: Server, pool_id: str) -> None:
    admin = server.admin()
    with pytest.raises(ClientError) as exc:
        admin.admin_set_user_mfa_preference(
            UserPoolId=pool_id, Username="nobody-here", SMSMfaSettings={"Enabled": False}
        )
    assert error(exc)[0] == "UserNotFoundException"
    with pytest.raises(ClientError) as exc:
        admin.admin_set_user_mfa_preference(
            UserPoolId="us-east-1_nothere00", Username="x", SMSMfaSettings={"Enabled": False}
        )
    assert error(exc)[0] == "ResourceNotFoundException"


def test_user_sets_its_own_preference_and_get_user_reports_it(
    server: Server, pool_id: str, client_id: str
) -> None:
    username = make_user(server, pool_id, attributes={"phone_number": "+15550100003"})
    token = sign_in(server, client_id, username)["AccessToken"]
    public = server.public()
    public.set_user_mfa_preference(
        AccessToken=token, SMSMfaSettings={"Enabled": True, "PreferredMfa": True}
    )
    user = public.get_user(AccessToken=token)
    assert user["UserMFASettingList"] == ["SMS_MFA"]
    assert user["PreferredMfaSetting"] == "SMS_MFA"
    assert mfa_of(server, pool_id, username) == (["SMS_MFA"], "SMS_MFA")

    # A software token must be verified before it can be turned on.
    with pytest.raises(ClientError) as exc:
        public.set_user_mfa_preference(
            AccessToken=token, SoftwareTokenMfaSettings={"Enabled": True}
        )
    assert error(exc)[0] == "InvalidParameterException"
    secret = public.associate_software_token(AccessToken=token)["SecretCode"]
    with pytest.raises(ClientError) as exc:  # associated, not yet verified
        public.set_user_mfa_preference(
            AccessToken=token, SoftwareTokenMfaSettings={"Enabled": True}
        )
    assert error(exc)[0] == "InvalidParameterException"
    public.verify_software_token(AccessToken=token, UserCode=pyotp.TOTP(secret).now())
    assert public.get_user(AccessToken=token)["UserMFASettingList"] == ["SMS_MFA"]
    public.set_user_mfa_preference(
        AccessToken=token, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True}
    )
    user = public.get_user(AccessToken=token)
    assert user["UserMFASettingList"] == ["SMS_MFA", "SOFTWARE_TOKEN_MFA"]
    assert user["PreferredMfaSetting"] == "SOFTWARE_TOKEN_MFA"


def test_set_user_mfa_preference_needs_a_valid_token(server: Server) -> None:
    with pytest.raises(ClientError) as exc:
        server.public().set_user_mfa_preference(
            AccessToken="not.a.token", SMSMfaSettings={"Enabled": True}
        )
    assert error(exc)[0] == "NotAuthorizedException"


def test_deleting_a_user_deletes_its_mfa_settings(server: Server, pool_id: str) -> None:
    username = make_user(server, pool_id, attributes={"phone_number": "+15550100004"})
    admin = server.admin()
    admin.admin_set_user_mfa_preference(
        UserPoolId=pool_id, Username=username, SMSMfaSettings={"Enabled": True}
    )
    user = admin.admin_get_user(UserPoolId=pool_id, Username=username)
    sub = as_dict(user["UserAttributes"])["sub"]
    assert mfa_rows(server, sub) == 1
    admin.admin_delete_user(UserPoolId=pool_id, Username=username)
    assert mfa_rows(server, sub) == 0


def mfa_rows(server: Server, sub: str) -> int:
    engine = make_sync_engine(server.database_url)
    try:
        with engine.connect() as conn:
            count = conn.scalar(
                select(func.count()).select_from(user_mfa).where(user_mfa.c.sub == sub)
            )
    finally:
        engine.dispose()
    return int(count or 0)
