"""mamori.contrib.cognito_migration against a live mamori standing in for Cognito (the old pool):
the password proven by the old pool's AdminInitiateAuth (with SECRET_HASH), attributes mapped,
refusals for a wrong password, an unknown or disabled user and (by default) MFA users; forgot
password without a password; the PostAuthentication step copying groups into a second server."""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pyotp
import pytest
from tests.support.factories import PASSWORD, make_client, make_pool, make_user
from tests.support.live import REGION, Server, run_server

from mamori.contrib import cognito_migration
from mamori.contrib.cognito_migration import MigrationRefused, handler


@dataclass(frozen=True)
class Old:
    server: Server
    pool_id: str
    client_id: str
    secret_client_id: str
    secret: str
    alice: str
    alice_sub: str


@pytest.fixture(scope="module")
def old(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Old]:
    with run_server(tmp_path_factory.mktemp("old-cognito")) as server:
        admin = server.admin()
        pool_id = str(
            make_pool(
                server,
                Schema=[{"Name": "tier", "AttributeDataType": "String", "Mutable": True}],
            )["Id"]
        )
        admin.set_user_pool_mfa_config(
            UserPoolId=pool_id,
            MfaConfiguration="OPTIONAL",
            SoftwareTokenMfaConfiguration={"Enabled": True},
        )
        flows = ["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_USER_PASSWORD_AUTH"]
        client_id = str(make_client(server, pool_id, ExplicitAuthFlows=flows)["ClientId"])
        with_secret = make_client(server, pool_id, ExplicitAuthFlows=flows, GenerateSecret=True)
        alice = make_user(server, pool_id, "alice", attributes={"custom:tier": "gold"})
        got = admin.admin_get_user(UserPoolId=pool_id, Username=alice)
        sub = next(a["Value"] for a in got["UserAttributes"] if a["Name"] == "sub")
        yield Old(
            server,
            pool_id,
            client_id,
            str(with_secret["ClientId"]),
            str(with_secret["ClientSecret"]),
            alice,
            sub,
        )


@pytest.fixture
def env(old: Old, monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name, value in {
        "OLD_USER_POOL_ID": old.pool_id,
        "OLD_CLIENT_ID": old.client_id,
        "OLD_ENDPOINT": old.server.url,
        "OLD_REGION": REGION,
        "OLD_ACCESS_KEY_ID": old.server.access_key_id,
        "OLD_SECRET_ACCESS_KEY": old.server.secret_access_key,
        "LEGACY_SUB_ATTRIBUTE": "custom:legacy_sub",
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("OLD_CLIENT_SECRET", "MFA_USERS"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def event(source: str, username: str, password: str | None = None) -> dict[str, Any]:
    request: dict[str, Any] = {"validationData": None, "clientMetadata": None}
    if password is not None:
        request["password"] = password
    return {
        "version": "1",
        "triggerSource": source,
        "region": REGION,
        "userPoolId": "us-east-1_NewPool00",
        "userName": username,
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": "new-client"},
        "request": request,
        "response": {
            "userAttributes": None,
            "forceAliasCreation": None,
            "enableSMSMFA": None,
            "finalUserStatus": None,
            "messageAction": None,
            "desiredDeliveryMediums": None,
        },
    }


def test_sign_in_proves_the_password_and_answers_the_attributes(
    old: Old, env: pytest.MonkeyPatch
) -> None:
    answer = handler(event("UserMigration_Authentication", "alice", PASSWORD), None)
    response = answer["response"]
    assert response["finalUserStatus"] == "CONFIRMED"
    assert response["messageAction"] == "SUPPRESS"
    assert response["userAttributes"] == {
        "email": "alice@example.com",
        "email_verified": "true",
        "custom:tier": "gold",
        "custom:legacy_sub": old.alice_sub,
    }
    assert (
        answer["userName"] == "alice" and answer["triggerSource"] == "UserMigration_Authentication"
    )


def test_without_legacy_sub_attribute_the_old_sub_is_dropped(
    old: Old, env: pytest.MonkeyPatch
) -> None:
    env.delenv("LEGACY_SUB_ATTRIBUTE")
    answer = handler(event("UserMigration_Authentication", "alice", PASSWORD))
    assert set(answer["response"]["userAttributes"]) == {"email", "email_verified", "custom:tier"}


@pytest.mark.parametrize(
    ("username", "password"),
    [("alice", "Wrong-Horse-9!"), ("nobody", PASSWORD), ("alice", "")],
)
def test_a_wrong_password_or_unknown_user_is_refused(
    old: Old, env: pytest.MonkeyPatch, username: str, password: str
) -> None:
    with pytest.raises(MigrationRefused, match=r"^Incorrect username or password\.$"):
        handler(event("UserMigration_Authentication", username, password))


def test_a_client_with_a_secret_signs_with_secret_hash(old: Old, env: pytest.MonkeyPatch) -> None:
    env.setenv("OLD_CLIENT_ID", old.secret_client_id)
    env.setenv("OLD_CLIENT_SECRET", old.secret)
    ok = handler(event("UserMigration_Authentication", "alice", PASSWORD))
    assert ok["response"]["finalUserStatus"] == "CONFIRMED"
    env.setenv("OLD_CLIENT_SECRET", old.secret[:-2] + "xx")  # the hash is really checked
    with pytest.raises(MigrationRefused):
        handler(event("UserMigration_Authentication", "alice", PASSWORD))


def test_forgot_password_needs_no_password(old: Old, env: pytest.MonkeyPatch) -> None:
    answer = handler(event("UserMigration_ForgotPassword", "alice"))
    response = answer["response"]
    assert response["userAttributes"]["email_verified"] == "true"
    assert response["messageAction"] == "SUPPRESS"
    assert response["finalUserStatus"] is None  # Cognito's default for this source stands
    with pytest.raises(MigrationRefused, match="User does not exist"):
        handler(event("UserMigration_ForgotPassword", "nobody"))


def test_a_disabled_user_is_not_migrated(old: Old, env: pytest.MonkeyPatch) -> None:
    make_user(old.server, old.pool_id, "dora")
    assert handler(event("UserMigration_ForgotPassword", "dora"))["response"]["userAttributes"]
    old.server.admin().admin_disable_user(UserPoolId=old.pool_id, Username="dora")
    with pytest.raises(MigrationRefused):
        handler(event("UserMigration_Authentication", "dora", PASSWORD))
    with pytest.raises(MigrationRefused, match="disabled"):
        handler(event("UserMigration_ForgotPassword", "dora"))


def test_a_temporary_password_migrates_as_reset_required(old: Old, env: pytest.MonkeyPatch) -> None:
    old.server.admin().admin_create_user(
        UserPoolId=old.pool_id,
        Username="tom",
        TemporaryPassword="Temp0rary-Pass!",
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": "tom@example.com"}],
    )
    answer = handler(event("UserMigration_Authentication", "tom", "Temp0rary-Pass!"))
    assert answer["response"]["finalUserStatus"] == "RESET_REQUIRED"


def test_an_mfa_user_is_refused_unless_told_to_migrate(old: Old, env: pytest.MonkeyPatch) -> None:
    make_user(old.server, old.pool_id, "maya")
    public = old.server.public()
    tokens = public.initiate_auth(
        ClientId=old.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "maya", "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    secret = public.associate_software_token(AccessToken=tokens["AccessToken"])["SecretCode"]
    public.verify_software_token(
        AccessToken=tokens["AccessToken"], UserCode=pyotp.TOTP(secret).now()
    )
    public.set_user_mfa_preference(
        AccessToken=tokens["AccessToken"],
        SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True},
    )
    with pytest.raises(MigrationRefused, match="MFA in the old user pool"):
        handler(event("UserMigration_Authentication", "maya", PASSWORD))
    # The challenge comes only after a right password: a wrong one is still just refused.
    with pytest.raises(MigrationRefused, match="Incorrect"):
        handler(event("UserMigration_Authentication", "maya", "Wrong-Horse-9!"))
    env.setenv("MFA_USERS", "migrate")
    answer = handler(event("UserMigration_Authentication", "maya", PASSWORD))
    assert answer["response"]["finalUserStatus"] == "CONFIRMED"
    assert "enableSMSMFA" not in answer["response"] or not answer["response"]["enableSMSMFA"]


def test_settings_are_checked(old: Old, env: pytest.MonkeyPatch) -> None:
    env.delenv("OLD_CLIENT_ID")
    with pytest.raises(MigrationRefused, match="OLD_CLIENT_ID is not set"):
        handler(event("UserMigration_Authentication", "alice", PASSWORD))
    env.setenv("OLD_CLIENT_ID", old.client_id)
    env.setenv("MFA_USERS", "sometimes")
    with pytest.raises(MigrationRefused, match="MFA_USERS"):
        handler(event("UserMigration_Authentication", "alice", PASSWORD))
    env.delenv("MFA_USERS")
    with pytest.raises(MigrationRefused, match="Not a UserMigration event"):
        handler(event("CustomMessage_SignUp", "alice"))


def test_the_module_loads_without_botocore() -> None:
    code = (
        "import sys; sys.modules['botocore'] = None; sys.modules['boto3'] = None\n"
        "import mamori.contrib.cognito_migration as m; print(m.handler.__name__)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "handler"


def test_post_authentication_copies_the_old_groups(
    old: Old, env: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    admin = old.server.admin()
    for group in ("admins", "staff"):
        admin.create_group(UserPoolId=old.pool_id, GroupName=group)
        admin.admin_add_user_to_group(UserPoolId=old.pool_id, Username="alice", GroupName=group)
    with run_server(tmp_path_factory.mktemp("new-mamori")) as new:
        new_pool = str(
            make_pool(
                new,
                Schema=[{"Name": "legacy_sub", "AttributeDataType": "String", "Mutable": False}],
            )["Id"]
        )
        new.admin().create_group(UserPoolId=new_pool, GroupName="admins")  # staff not imported
        # The new pool names the user differently (as email-as-username pools do): the old
        # name is found by the legacy sub.
        make_user(new, new_pool, "alice-new", attributes={"custom:legacy_sub": old.alice_sub})
        env.setenv("NEW_ENDPOINT", new.url)
        env.setenv("NEW_ACCESS_KEY_ID", new.access_key_id)
        env.setenv("NEW_SECRET_ACCESS_KEY", new.secret_access_key)

        def groups() -> list[str]:
            got = new.admin().admin_list_groups_for_user(UserPoolId=new_pool, Username="alice-new")
            return [g["GroupName"] for g in got["Groups"]]

        assert groups() == []
        post = {
            **event("PostAuthentication_Authentication", "alice-new"),
            "userPoolId": new_pool,
            "request": {"userAttributes": {"custom:legacy_sub": old.alice_sub}},
            "response": {},
        }
        assert handler(post) == post
        assert groups() == ["admins"]
        handler(post)  # again: nothing to add, nothing fails
        assert groups() == ["admins"]
        # Someone who signed up here as "alice" (no legacy sub: never migrated) gets nothing,
        # though the old pool has an alice in admins.
        make_user(new, new_pool, "alice")
        impostor = {**post, "userName": "alice", "request": {"userAttributes": {}}}
        handler(impostor)
        got = new.admin().admin_list_groups_for_user(UserPoolId=new_pool, Username="alice")
        assert got["Groups"] == []
        forged = {**impostor, "request": {"userAttributes": {"custom:legacy_sub": '" or sub ^= "'}}}
        handler(forged)  # not a sub: no filter is built from it
        got = new.admin().admin_list_groups_for_user(UserPoolId=new_pool, Username="alice")
        assert got["Groups"] == []
    cognito_migration.client.cache_clear()


def test_outcomes_are_logged_never_the_password(
    old: Old, env: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="mamori.contrib.cognito_migration")
    with pytest.raises(MigrationRefused):
        handler(event("UserMigration_Authentication", "alice", "Wrong-Horse-9!"))
    handler(event("UserMigration_Authentication", "alice", PASSWORD))
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "UserMigration_Authentication: refused: Incorrect username or password.",
        "UserMigration_Authentication: migrated (CONFIRMED)",
    ]
    assert not any(PASSWORD in line or "Wrong-Horse" in line for line in lines)


def test_sign_up_guard_keeps_the_old_pools_names(old: Old, env: pytest.MonkeyPatch) -> None:
    def sign_up(source: str, username: str, **attributes: str) -> dict[str, Any]:
        return {
            **event(source, username),
            "request": {"userAttributes": attributes, "validationData": None},
            "response": {"autoConfirmUser": False},
        }

    fresh = sign_up("PreSignUp_SignUp", "newcomer", email="newcomer@example.com")
    assert handler(fresh) == fresh  # positive control: a name the old pool does not have
    for taken in (
        sign_up("PreSignUp_SignUp", "alice", email="someone@example.com"),
        sign_up("PreSignUp_SignUp", "alice2", email="alice@example.com"),
    ):
        with pytest.raises(MigrationRefused, match="exists: sign in with its password"):
            handler(taken)
    # The sweep's AdminCreateUser and federated sign-ups are not this guard's business.
    admin_made = sign_up("PreSignUp_AdminCreateUser", "alice", email="alice@example.com")
    assert handler(admin_made) == admin_made
