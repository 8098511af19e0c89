"""GetCredentialsForIdentity against a real STS, S3 and DynamoDB (moto, IAM checks on), on both
databases: the credentials work, and only as far as the chosen role's policy allows."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.support.factories import PASSWORD, make_client, make_pool, make_user, sign_in
from tests.support.identity import (
    aws_key,
    expired,
    forged,
    identity_admin,
    identity_public,
    issuer_key,
    make_identity_pool,
    pool_signing_key,
)
from tests.support.live import Server, run_server
from tests.support.moto import Moto, run_moto

from mamori.adapters.http import OutboundHttp
from mamori.adapters.sts import StsClient, StsConfig
from mamori.services.identity.ports import TemporaryCredentials


def s3_policy(*statements: dict[str, Any]) -> dict[str, Any]:
    whoami = {"Effect": "Allow", "Action": "sts:GetCallerIdentity", "Resource": "*"}
    return {"Version": "2012-10-17", "Statement": [whoami, *statements]}


@dataclass
class Cloud:
    moto: Moto
    photos: str
    other: str
    public: str
    table: str
    auth: str
    guest: str
    admins: str
    ops: str


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cloud]:
    with run_moto(tmp_path_factory.mktemp("moto")) as moto:
        suffix = secrets.token_hex(3)
        photos, other, public = f"photos-{suffix}", f"other-{suffix}", f"public-{suffix}"
        s3 = moto.admin("s3")
        for bucket in (photos, other, public):
            s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=public, Key="hello.txt", Body=b"hello guests")
        s3.put_object(Bucket=other, Key="secret.txt", Body=b"not for users")
        dynamodb = moto.admin("dynamodb")
        table = f"notes-{suffix}"
        dynamodb.create_table(
            TableName=table,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        dynamodb.put_item(TableName=table, Item={"pk": {"S": "note-1"}, "text": {"S": "hi"}})
        auth = moto.create_role(
            f"auth-{suffix}",
            s3_policy(
                {
                    "Effect": "Allow",
                    "Action": ["s3:PutObject", "s3:GetObject"],
                    "Resource": f"arn:aws:s3:::{photos}/*",
                },
                {
                    "Effect": "Allow",
                    "Action": ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan"],
                    "Resource": "*",
                },
            ),
        )
        guest = moto.create_role(
            f"guest-{suffix}",
            s3_policy(
                {
                    "Effect": "Allow",
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{public}/*",
                }
            ),
        )
        admins = moto.create_role(
            f"admins-{suffix}",
            s3_policy({"Effect": "Allow", "Action": "s3:*", "Resource": f"arn:aws:s3:::{other}/*"}),
        )
        ops = moto.create_role(f"ops-{suffix}", s3_policy())
        yield Cloud(moto, photos, other, public, table, auth, guest, admins, ops)


@dataclass
class Env:
    server: Server
    cloud: Cloud
    user_pool: str
    client: str
    identity_pool: str  # default roles, ServerSideTokenCheck, guests allowed

    def user(self, **attributes: str) -> tuple[str, dict[str, Any]]:
        username = make_user(self.server, self.user_pool, attributes=attributes)
        return username, sign_in(self.server, self.client, username)

    def credentials(
        self, logins: dict[str, str] | None, pool: str | None = None, **extra: Any
    ) -> dict[str, Any]:
        public = identity_public(self.server)
        pool = pool or self.identity_pool
        params = {"Logins": logins} if logins else {}
        identity = public.get_id(IdentityPoolId=pool, **params)["IdentityId"]
        result = public.get_credentials_for_identity(IdentityId=identity, **params, **extra)
        assert result["IdentityId"] == identity
        return dict(result["Credentials"])

    def role_of(self, credentials: dict[str, Any]) -> str:
        arn = self.cloud.moto.with_credentials("sts", credentials).get_caller_identity()["Arn"]
        # arn:aws:sts::<account>:assumed-role/<role name>/<session name>
        _, role, session = arn.rsplit(":", 1)[1].split("/")
        assert session == "CognitoIdentityCredentials"
        return f"arn:aws:iam::123456789012:role/{role}"


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def env(
    request: pytest.FixtureRequest, cloud: Cloud, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Env]:
    tmp: Path = tmp_path_factory.mktemp(f"identity-{request.param}")
    with run_server(tmp, request.param, extra_env=cloud.moto.mamori_env()) as server:
        user_pool = make_pool(server)["Id"]
        client = make_client(server, user_pool)["ClientId"]
        identity_pool = make_identity_pool(
            server,
            AllowUnauthenticatedIdentities=True,
            DeveloperProviderName="login.mamori.test",
            CognitoIdentityProviders=[
                {
                    "ProviderName": aws_key(user_pool),
                    "ClientId": client,
                    "ServerSideTokenCheck": True,
                }
            ],
        )["IdentityPoolId"]
        identity_admin(server).set_identity_pool_roles(
            IdentityPoolId=identity_pool,
            Roles={"authenticated": cloud.auth, "unauthenticated": cloud.guest},
        )
        yield Env(server, cloud, user_pool, client, identity_pool)


def code_of(call: Any, **params: Any) -> str:
    with pytest.raises(ClientError) as exc:
        call(**params)
    return str(exc.value.response["Error"]["Code"])


def dynamodb_denied(call: Any, action: str, **params: Any) -> None:
    """moto answers a DynamoDB denial with IAM's XML error, which botocore's JSON parser
    reports as code "403" with the XML as message."""
    with pytest.raises(ClientError) as exc:
        call(**params)
    error = exc.value.response["Error"]
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert "AccessDenied" in error["Code"] + error["Message"]
    assert f"not authorized to perform: dynamodb:{action}" in error["Message"]


def test_authenticated_credentials_reach_only_what_the_role_allows(env: Env) -> None:
    _, tokens = env.user()
    creds = env.credentials({issuer_key(env.server, env.user_pool): tokens["IdToken"]})
    assert creds["AccessKeyId"] and creds["SecretKey"] and creds["SessionToken"]
    remaining = (creds["Expiration"] - datetime.now(UTC)).total_seconds()
    assert 3500 < remaining <= 3600
    assert env.role_of(creds) == env.cloud.auth

    s3 = env.cloud.moto.with_credentials("s3", creds)
    s3.put_object(Bucket=env.cloud.photos, Key="mine.txt", Body=b"my photo")
    got = s3.get_object(Bucket=env.cloud.photos, Key="mine.txt")["Body"].read()
    assert got == b"my photo"
    assert code_of(s3.put_object, Bucket=env.cloud.other, Key="x.txt", Body=b"x") == "AccessDenied"
    assert code_of(s3.get_object, Bucket=env.cloud.other, Key="secret.txt") == "AccessDenied"

    dynamodb = env.cloud.moto.with_credentials("dynamodb", creds)
    item = dynamodb.get_item(TableName=env.cloud.table, Key={"pk": {"S": "note-1"}})["Item"]
    assert item["text"] == {"S": "hi"}
    assert dynamodb.scan(TableName=env.cloud.table)["Count"] >= 1
    dynamodb_denied(
        dynamodb.put_item,
        "PutItem",
        TableName=env.cloud.table,
        Item={"pk": {"S": "x"}, "text": {"S": "y"}},
    )
    dynamodb_denied(dynamodb.delete_table, "DeleteTable", TableName=env.cloud.table)

    wrong = env.cloud.moto.client(
        "s3", creds["AccessKeyId"], creds["SecretKey"][:-2] + "xx", creds["SessionToken"]
    )
    assert code_of(wrong.get_object, Bucket=env.cloud.photos, Key="mine.txt") == (
        "SignatureDoesNotMatch"
    )


def test_expiration_is_epoch_seconds_on_the_wire(env: Env) -> None:
    _, tokens = env.user()
    logins = {aws_key(env.user_pool): tokens["IdToken"]}
    identity = identity_public(env.server).get_id(IdentityPoolId=env.identity_pool, Logins=logins)
    headers = {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "AWSCognitoIdentityService.GetCredentialsForIdentity",
    }
    body = json.dumps({"IdentityId": identity["IdentityId"], "Logins": logins}).encode()
    status, _, raw = env.server.post(body, headers)
    assert status == 200, raw
    expiration = json.loads(raw)["Credentials"]["Expiration"]
    assert isinstance(expiration, int)  # Amplify: new Date(Expiration * 1000)
    assert 3500 < expiration - time.time() <= 3600


def test_guests_get_only_the_unauthenticated_role(env: Env) -> None:
    creds = env.credentials(None)
    assert env.role_of(creds) == env.cloud.guest
    s3 = env.cloud.moto.with_credentials("s3", creds)
    hello = s3.get_object(Bucket=env.cloud.public, Key="hello.txt")["Body"].read()
    assert hello == b"hello guests"
    assert code_of(s3.put_object, Bucket=env.cloud.photos, Key="g.txt", Body=b"x") == (
        "AccessDenied"
    )
    dynamodb = env.cloud.moto.with_credentials("dynamodb", creds)
    dynamodb_denied(
        dynamodb.get_item, "GetItem", TableName=env.cloud.table, Key={"pk": {"S": "note-1"}}
    )


@pytest.mark.parametrize("case", ["forged", "expired", "foreign"])
def test_bad_tokens_get_no_credentials(env: Env, case: str) -> None:
    _, tokens = env.user()
    key = aws_key(env.user_pool)
    identity = identity_public(env.server).get_id(
        IdentityPoolId=env.identity_pool, Logins={key: tokens["IdToken"]}
    )["IdentityId"]
    if case == "forged":
        token = forged(tokens["IdToken"])
    elif case == "expired":
        token = expired(pool_signing_key(env.server, env.user_pool), tokens["IdToken"])
    else:
        stranger_pool = make_pool(env.server)["Id"]
        stranger_client = make_client(env.server, stranger_pool)["ClientId"]
        stranger = make_user(env.server, stranger_pool)
        token = sign_in(env.server, stranger_client, stranger)["IdToken"]
    code = code_of(
        identity_public(env.server).get_credentials_for_identity,
        IdentityId=identity,
        Logins={key: token},
    )
    assert code == "NotAuthorizedException"


def test_signed_out_user_gets_no_credentials(env: Env) -> None:
    username, tokens = env.user()
    logins = {aws_key(env.user_pool): tokens["IdToken"]}
    public = identity_public(env.server)
    identity = public.get_id(IdentityPoolId=env.identity_pool, Logins=logins)["IdentityId"]
    assert public.get_credentials_for_identity(IdentityId=identity, Logins=logins)["Credentials"]
    env.server.admin().admin_user_global_sign_out(UserPoolId=env.user_pool, Username=username)
    assert (
        code_of(public.get_credentials_for_identity, IdentityId=identity, Logins=logins)
        == "NotAuthorizedException"
    )
    fresh = sign_in(env.server, env.client, username, PASSWORD)
    again = {aws_key(env.user_pool): fresh["IdToken"]}
    assert public.get_credentials_for_identity(IdentityId=identity, Logins=again)["Credentials"]


def test_token_role_mapping_follows_groups(env: Env) -> None:
    pool = make_identity_pool(env.server, env.user_pool, env.client)["IdentityPoolId"]
    identity_admin(env.server).set_identity_pool_roles(
        IdentityPoolId=pool,
        Roles={"authenticated": env.cloud.auth},
        RoleMappings={
            f"{aws_key(env.user_pool)}:{env.client}": {
                "Type": "Token",
                "AmbiguousRoleResolution": "Deny",
            }
        },
    )
    idp = env.server.admin()
    suffix = secrets.token_hex(3)
    admins, ops = f"admins-{suffix}", f"ops-{suffix}"
    idp.create_group(
        UserPoolId=env.user_pool, GroupName=admins, RoleArn=env.cloud.admins, Precedence=1
    )
    idp.create_group(UserPoolId=env.user_pool, GroupName=ops, RoleArn=env.cloud.ops, Precedence=2)
    username = make_user(env.server, env.user_pool)
    for group in (admins, ops):
        idp.admin_add_user_to_group(UserPoolId=env.user_pool, Username=username, GroupName=group)
    logins = {aws_key(env.user_pool): sign_in(env.server, env.client, username)["IdToken"]}

    preferred = env.credentials(logins, pool)
    assert env.role_of(preferred) == env.cloud.admins
    s3 = env.cloud.moto.with_credentials("s3", preferred)
    assert s3.get_object(Bucket=env.cloud.other, Key="secret.txt")["Body"].read()
    assert code_of(s3.put_object, Bucket=env.cloud.photos, Key="a.txt", Body=b"x") == (
        "AccessDenied"
    )
    custom = env.credentials(logins, pool, CustomRoleArn=env.cloud.ops)
    assert env.role_of(custom) == env.cloud.ops
    with pytest.raises(ClientError) as exc:
        env.credentials(logins, pool, CustomRoleArn=env.cloud.auth)
    assert exc.value.response["Error"]["Code"] == "NotAuthorizedException"

    _, loner = env.user()  # in no group: ambiguous, and the mapping denies
    with pytest.raises(ClientError) as exc:
        env.credentials({aws_key(env.user_pool): loner["IdToken"]}, pool)
    assert exc.value.response["Error"]["Code"] == "NotAuthorizedException"
    assert "ambiguous role mapping" in exc.value.response["Error"]["Message"]


def test_rules_role_mapping(env: Env) -> None:
    pool = make_identity_pool(env.server, env.user_pool, env.client)["IdentityPoolId"]
    identity_admin(env.server).set_identity_pool_roles(
        IdentityPoolId=pool,
        Roles={"authenticated": env.cloud.auth},
        RoleMappings={
            aws_key(env.user_pool): {
                "Type": "Rules",
                "AmbiguousRoleResolution": "AuthenticatedRole",
                "RulesConfiguration": {
                    "Rules": [
                        {
                            "Claim": "email",
                            "MatchType": "StartsWith",
                            "Value": "ops-",
                            "RoleARN": env.cloud.ops,
                        }
                    ]
                },
            }
        },
    )
    username = f"ops-{secrets.token_hex(3)}"
    make_user(env.server, env.user_pool, username)
    ops_token = sign_in(env.server, env.client, username)["IdToken"]
    assert env.role_of(env.credentials({aws_key(env.user_pool): ops_token}, pool)) == env.cloud.ops
    _, other = env.user()
    default = env.credentials({aws_key(env.user_pool): other["IdToken"]}, pool)
    assert env.role_of(default) == env.cloud.auth


def test_developer_identity_enhanced_flow(env: Env) -> None:
    admin = identity_admin(env.server)
    issued = admin.get_open_id_token_for_developer_identity(
        IdentityPoolId=env.identity_pool,
        Logins={"login.mamori.test": f"dev-{secrets.token_hex(3)}"},
    )
    creds = identity_public(env.server).get_credentials_for_identity(
        IdentityId=issued["IdentityId"],
        Logins={"cognito-identity.amazonaws.com": issued["Token"]},
    )["Credentials"]
    assert env.role_of(creds) == env.cloud.auth


def test_basic_flow_token_is_accepted_by_sts(env: Env) -> None:
    """The basic flow: GetOpenIdToken, then the client calls STS itself (signed, as moto with
    IAM checks needs)."""
    _, tokens = env.user()
    logins = {aws_key(env.user_pool): tokens["IdToken"]}
    public = identity_public(env.server)
    identity = public.get_id(IdentityPoolId=env.identity_pool, Logins=logins)["IdentityId"]
    token = public.get_open_id_token(IdentityId=identity, Logins=logins)["Token"]
    moto = env.cloud.moto
    config = StsConfig(moto.url, "us-east-1", moto.access_key_id, moto.secret_access_key)

    async def assume() -> TemporaryCredentials:
        http = OutboundHttp()
        try:
            sts = StsClient(config, http.client())
            return await sts.assume_role_with_web_identity(env.cloud.auth, "basic-flow", token, 900)
        finally:
            await http.aclose()

    creds = asyncio.run(assume())
    s3 = moto.client("s3", creds.access_key_id, creds.secret_access_key, creds.session_token)
    s3.put_object(Bucket=env.cloud.photos, Key="basic.txt", Body=b"basic")
    assert s3.get_object(Bucket=env.cloud.photos, Key="basic.txt")["Body"].read() == b"basic"
