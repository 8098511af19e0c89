"""Moving a user pool off Cognito, end to end (docs/migrating.md): a live mamori stands in for
Cognito (the old pool, threat protection on so it logs every sign-in), `mamori import-cognito`
copies the pool into a second mamori with the UserMigration and PostAuthentication triggers set
to mamori.contrib.cognito_migration, run in-process. A user signs in once with the old password
through the trigger, then again (SRP too) without it: the old pool saw exactly one sign-in. A
wrong password is refused and creates nothing; forgot password migrates without a password."""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError
from pycognito import Cognito
from tests.support.factories import PASSWORD, make_client, make_pool, make_user
from tests.support.hosted import make_hosted
from tests.support.hosted_pages import page_url, submit
from tests.support.lambda_stand_in import LambdaStandIn
from tests.support.live import REGION, Server, free_port, run_server

from mamori.contrib.cognito_migration import handler

MIGRATION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:cognito-migration"
GROUPS_ARN = "arn:aws:lambda:us-east-1:123456789012:function:cognito-groups"
TARGET = "python:mamori.contrib.cognito_migration:handler"


@dataclass(frozen=True)
class Migration:
    old: Server
    new: Server
    old_pool: str
    new_pool: str
    web_client: str  # the new pool's copy of the old "web" client
    function_env: dict[str, str]  # the function's settings (OLD_*, LEGACY_SUB_ATTRIBUTE)


@pytest.fixture(scope="module")
def migration(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Migration]:
    tmp = tmp_path_factory.mktemp("migration")
    with run_server(tmp) as old:
        admin = old.admin()
        old_pool = str(
            make_pool(
                old,
                PoolName="shop-users",
                UserPoolAddOns={"AdvancedSecurityMode": "AUDIT"},
                Schema=[{"Name": "tier", "AttributeDataType": "String", "Mutable": True}],
            )["Id"]
        )
        # The migration function's own client: ADMIN_USER_PASSWORD_AUTH, with a secret.
        fn_client = make_client(
            old,
            old_pool,
            ClientName="migration",
            GenerateSecret=True,
            ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH"],
        )
        make_client(old, old_pool, ClientName="web")
        admin.create_group(UserPoolId=old_pool, GroupName="admins")
        for name in ("alice", "bob", "carol", "dave", "erin", "hank"):
            make_user(old, old_pool, name, attributes={"custom:tier": "gold"})
        admin.admin_add_user_to_group(UserPoolId=old_pool, Username="alice", GroupName="admins")

        port = free_port()
        akid, secret = "AKIDNEWMAMORI" + secrets.token_hex(3).upper(), secrets.token_urlsafe(24)
        function_env = {
            "OLD_USER_POOL_ID": old_pool,
            "OLD_CLIENT_ID": str(fn_client["ClientId"]),
            "OLD_CLIENT_SECRET": str(fn_client["ClientSecret"]),
            "OLD_ENDPOINT": old.url,
            "OLD_ACCESS_KEY_ID": old.access_key_id,
            "OLD_SECRET_ACCESS_KEY": old.secret_access_key,
            "LEGACY_SUB_ATTRIBUTE": "custom:legacy_sub",
        }
        env = {
            **function_env,
            "MAMORI_ADMIN_ACCESS_KEY_ID": akid,
            "MAMORI_ADMIN_SECRET_ACCESS_KEY": secret,
            "MAMORI_TRIGGER_TARGETS": f"{MIGRATION_ARN}={TARGET},{GROUPS_ARN}={TARGET}",
            "NEW_ENDPOINT": f"http://127.0.0.1:{port}",
            "NEW_ACCESS_KEY_ID": akid,
            "NEW_SECRET_ACCESS_KEY": secret,
        }
        with run_server(tmp, extra_env=env, port=port) as started:
            new = dataclasses.replace(started, access_key_id=akid, secret_access_key=secret)
            ids = import_pool(old, new, old_pool, tmp)
            new_pool = ids["UserPoolId"][old_pool]
            yield Migration(old, new, old_pool, new_pool, web_client(new, new_pool), function_env)


def web_client(new: Server, pool_id: str) -> str:
    clients = new.admin().list_user_pool_clients(UserPoolId=pool_id)["UserPoolClients"]
    return str(next(c["ClientId"] for c in clients if c["ClientName"] == "web"))


def import_pool(
    old: Server,
    new: Server,
    old_pool: str,
    tmp: Path,
    migration_arn: str = MIGRATION_ARN,
    groups_arn: str = GROUPS_ARN,
) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAMORI_", "AWS_"))}
    env |= {
        "AWS_ACCESS_KEY_ID": old.access_key_id,
        "AWS_SECRET_ACCESS_KEY": old.secret_access_key,
        "MAMORI_ADMIN_ACCESS_KEY_ID": new.access_key_id,
        "MAMORI_ADMIN_SECRET_ACCESS_KEY": new.secret_access_key,
    }
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mamori.cli",
            "import-cognito",
            "--pool",
            old_pool,
            "--source-endpoint",
            old.url,
            "--target-endpoint",
            new.url,
            "--migration-function",
            migration_arn,
            "--groups-function",
            groups_arn,
            "--sign-up-function",
            groups_arn,
            "--legacy-sub-attribute",
            "custom:legacy_sub",
            "--data-dir",
            str(tmp / "cli"),
            "--json",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def old_sign_ins(m: Migration, username: str) -> list[str]:
    """The old pool's sign-in events for `username`, oldest first: Pass or Fail."""
    got = m.old.admin().admin_list_user_auth_events(UserPoolId=m.old_pool, Username=username)
    return [e["EventResponse"] for e in reversed(got["AuthEvents"]) if e["EventType"] == "SignIn"]


def new_user(m: Migration, username: str) -> dict[str, Any] | None:
    try:
        return dict(m.new.admin().admin_get_user(UserPoolId=m.new_pool, Username=username))
    except ClientError as exc:
        assert exc.response["Error"]["Code"] == "UserNotFoundException"
        return None


def sign_in(
    m: Migration, username: str, password: str, on: tuple[Server, str] | None = None
) -> dict[str, Any]:
    """USER_PASSWORD_AUTH on the new pool's web client (or `on`'s server and client)."""
    server, client_id = on or (m.new, m.web_client)
    result = server.public().initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )
    return dict(result["AuthenticationResult"])


def claims(token: str) -> dict[str, Any]:
    return dict(jwt.decode(token, options={"verify_signature": False}))


def test_a_user_signs_in_once_through_the_trigger_then_without_it(migration: Migration) -> None:
    m = migration
    assert new_user(m, "alice") is None
    assert old_sign_ins(m, "alice") == []

    first = sign_in(m, "alice", PASSWORD)
    user = new_user(m, "alice")
    assert user is not None and user["UserStatus"] == "CONFIRMED"
    attrs = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    old_attrs = {
        a["Name"]: a["Value"]
        for a in m.old.admin().admin_get_user(UserPoolId=m.old_pool, Username="alice")[
            "UserAttributes"
        ]
    }
    assert attrs["email"] == "alice@example.com" and attrs["custom:tier"] == "gold"
    assert attrs["custom:legacy_sub"] == old_attrs["sub"] != attrs["sub"]
    assert claims(first["IdToken"])["sub"] == attrs["sub"]
    assert old_sign_ins(m, "alice") == ["Pass"]  # the function's AdminInitiateAuth
    # PostAuthentication copied the groups before the tokens were made: they are in the first.
    assert claims(first["AccessToken"]).get("cognito:groups") == ["admins"]

    # Again, by password and by SRP (the migrated user has a verifier): the old pool is not asked.
    again = sign_in(m, "alice", PASSWORD)
    srp = Cognito(
        m.new_pool,
        m.web_client,
        username="alice",
        botocore_config=Config(signature_version=UNSIGNED),
        boto3_client_kwargs={"endpoint_url": m.new.url, "region_name": REGION},
    )
    srp.authenticate(PASSWORD)
    assert claims(srp.id_token)["sub"] == attrs["sub"]
    assert old_sign_ins(m, "alice") == ["Pass"]
    # Group memberships followed through PostAuthentication.
    got = m.new.admin().admin_list_groups_for_user(UserPoolId=m.new_pool, Username="alice")
    assert [g["GroupName"] for g in got["Groups"]] == ["admins"]
    assert claims(again["AccessToken"]).get("cognito:groups") == ["admins"]


def test_a_wrong_password_is_refused_and_creates_nothing(migration: Migration) -> None:
    m = migration
    with pytest.raises(ClientError) as refused:
        sign_in(m, "bob", "Wr0ng-Password!")
    assert refused.value.response["Error"]["Code"] in (
        "NotAuthorizedException",
        "UserNotFoundException",
    )
    assert new_user(m, "bob") is None
    assert old_sign_ins(m, "bob") == ["Fail"]
    # Positive control: the right password moves bob in.
    assert sign_in(m, "bob", PASSWORD)["AccessToken"]
    assert new_user(m, "bob") is not None
    assert old_sign_ins(m, "bob") == ["Fail", "Pass"]


def test_someone_unknown_to_both_is_refused(migration: Migration) -> None:
    with pytest.raises(ClientError):
        sign_in(migration, "mallory", PASSWORD)
    assert new_user(migration, "mallory") is None


def test_forgot_password_migrates_without_the_password(migration: Migration) -> None:
    m = migration
    public = m.new.public()
    sent = public.forgot_password(ClientId=m.web_client, Username="carol")
    assert sent["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    user = new_user(m, "carol")
    assert user is not None and user["UserStatus"] == "RESET_REQUIRED"
    code = m.new.latest_code(m.new_pool, "carol@example.com")
    public.confirm_forgot_password(
        ClientId=m.web_client, Username="carol", ConfirmationCode=code, Password="N3w-Passw0rd!"
    )
    assert sign_in(m, "carol", "N3w-Passw0rd!")["AccessToken"]
    with pytest.raises(ClientError):
        sign_in(m, "carol", PASSWORD)  # the old password is not taken any more
    assert old_sign_ins(m, "carol") == []  # the old pool was only read (AdminGetUser)


def test_the_hosted_login_migrates_too(migration: Migration) -> None:
    m = migration
    # Domains are not copied by the import: the new pool gets its own (docs/migrating.md).
    hosted = make_hosted(m.new, pool_id=m.new_pool)
    assert new_user(m, "dave") is None
    with hosted.http() as http:
        page = http.get(page_url(hosted, "/login"))
        assert page.status_code == 200, page.text[:2000]
        wrong = submit(
            http, page, "login-form", username="dave", password="Wr0ng-Password!", action="password"
        )
        assert wrong.status_code == 400 and "Incorrect username or password." in wrong.text
        assert new_user(m, "dave") is None
        answer = submit(
            http, wrong, "login-form", username="dave", password=PASSWORD, action="password"
        )
    assert answer.status_code == 303, answer.text[:2000]
    assert answer.headers["location"].startswith(hosted.redirect_uri + "?code=")
    user = new_user(m, "dave")
    assert user is not None and user["UserStatus"] == "CONFIRMED"
    assert old_sign_ins(m, "dave") == ["Fail", "Pass"]


def test_the_function_behind_lambdas_invoke_api(
    migration: Migration, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """mamori invoking the function as an AWS Lambda (its `lambda_*` settings pointing at the
    stand-in, which runs handler(event, context) with the function's environment)."""
    m = migration
    for name, value in m.function_env.items():
        monkeypatch.setenv(name, value)
    arn = "arn:aws:lambda:us-east-1:123456789012:function:cognito-migration-on-lambda"
    with (
        LambdaStandIn({"cognito-migration-on-lambda": handler}) as stand_in,
        run_server(tmp_path, extra_env=stand_in.env()) as started,
    ):
        monkeypatch.setenv("NEW_ENDPOINT", started.url)
        monkeypatch.setenv("NEW_ACCESS_KEY_ID", started.access_key_id)
        monkeypatch.setenv("NEW_SECRET_ACCESS_KEY", started.secret_access_key)
        ids = import_pool(m.old, started, m.old_pool, tmp_path, arn, arn)
        pool_id = ids["UserPoolId"][m.old_pool]
        on = (started, web_client(started, pool_id))
        with pytest.raises(ClientError):
            sign_in(m, "erin", "Wr0ng-Password!", on)
        first = sign_in(m, "erin", PASSWORD, on)
        again = sign_in(m, "erin", PASSWORD, on)
        assert claims(first["IdToken"])["sub"] == claims(again["IdToken"])["sub"]
        sources = [c.event["triggerSource"] for c in stand_in.calls()]
    assert sources == [
        "UserMigration_Authentication",  # refused: nothing created
        "UserMigration_Authentication",
        "PostAuthentication_Authentication",
        "PostAuthentication_Authentication",  # the second sign-in: no migration
    ]
    assert old_sign_ins(m, "erin") == ["Fail", "Pass"]


def test_sign_up_cannot_take_an_old_pools_name(migration: Migration) -> None:
    m = migration
    public = m.new.public()

    def sign_up(username: str, email: str) -> None:
        public.sign_up(
            ClientId=m.web_client,
            Username=username,
            Password=PASSWORD,
            UserAttributes=[{"Name": "email", "Value": email}],
        )

    for username, email in (("hank", "x@example.com"), ("hank2", "hank@example.com")):
        with pytest.raises(ClientError) as refused:
            sign_up(username, email)
        assert refused.value.response["Error"]["Code"] == "UserLambdaValidationException"
        assert "sign in with its password" in refused.value.response["Error"]["Message"]
        assert new_user(m, username) is None
    sign_up("newcomer", "newcomer@example.com")  # positive control: a name nobody had
    assert new_user(m, "newcomer") is not None
    # hank himself moves in by signing in, and his name is his.
    assert sign_in(m, "hank", PASSWORD)["AccessToken"]
    assert old_sign_ins(m, "hank") == ["Pass"]
