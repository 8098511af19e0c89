"""Both mission scenarios end to end, with real SDKs, against a real STS, S3 and DynamoDB (moto
with IAM checks on).

(1) A user signs up, confirms, signs in and trades the ID token at the identity pool for
    credentials that put and get S3 objects: with boto3, with the AWS JS SDK's
    `fromCognitoIdentityPool`, and with Amplify v6's `fetchAuthSession`.
(2) An administrator creates a user with a temporary password; the user's first sign-in sets a
    new password and answers an SMS code (read from the outbox) in a pool that requires MFA,
    and trades the ID token for credentials that read DynamoDB but may not write it. With
    boto3; a variant sets up and answers an authenticator app (TOTP) instead.
"""

from __future__ import annotations

import json
import re
import secrets
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.support.factories import PASSWORD, make_client, make_pool
from tests.support.identity import (
    aws_key,
    claims,
    identity_admin,
    identity_public,
    issuer_key,
    make_identity_pool,
)
from tests.support.live import REGION, Server, run_server
from tests.support.mfa import Totp, mfa_pool
from tests.support.moto import Moto, run_moto

NODE = Path(__file__).resolve().parents[1] / "node"


@dataclass
class World:
    server: Server
    moto: Moto
    user_pool: str
    client: str
    identity_pool: str
    bucket: str
    table: str
    auth_role: str
    guest_role: str


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("identity-scenario")
    with run_moto(tmp) as moto:
        suffix = secrets.token_hex(3)
        bucket, table = f"photos-{suffix}", f"orders-{suffix}"
        moto.admin("s3").create_bucket(Bucket=bucket)
        dynamodb = moto.admin("dynamodb")
        dynamodb.create_table(
            TableName=table,
            KeySchema=[
                {"AttributeName": "customer", "KeyType": "HASH"},
                {"AttributeName": "order", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "customer", "AttributeType": "S"},
                {"AttributeName": "order", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        for order in ("o-1", "o-2"):
            dynamodb.put_item(
                TableName=table,
                Item={"customer": {"S": "c-1"}, "order": {"S": order}, "total": {"N": "42"}},
            )
        auth_role = moto.create_role(
            f"app-user-{suffix}",
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": ["s3:PutObject", "s3:GetObject"],
                        "Resource": f"arn:aws:s3:::{bucket}/*",
                    },
                    {
                        "Effect": "Allow",
                        "Action": ["dynamodb:GetItem", "dynamodb:Query"],
                        "Resource": "*",
                    },
                ],
            },
        )
        guest_role = moto.create_role(
            f"app-guest-{suffix}",
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}],
            },
        )
        with run_server(tmp, "sqlite", extra_env=moto.mamori_env()) as server:
            user_pool = make_pool(server)["Id"]
            client = make_client(server, user_pool)["ClientId"]
            identity_pool = make_identity_pool(
                server,
                AllowUnauthenticatedIdentities=True,
                CognitoIdentityProviders=[
                    {
                        # Configured the way Amplify names it; boto3 users may use either form.
                        "ProviderName": issuer_key(server, user_pool),
                        "ClientId": client,
                        "ServerSideTokenCheck": True,
                    }
                ],
            )["IdentityPoolId"]
            identity_admin(server).set_identity_pool_roles(
                IdentityPoolId=identity_pool,
                Roles={"authenticated": auth_role, "unauthenticated": guest_role},
            )
            yield World(
                server,
                moto,
                user_pool,
                client,
                identity_pool,
                bucket,
                table,
                auth_role,
                guest_role,
            )


def credentials_for(world: World, id_token: str) -> tuple[str, dict[str, Any]]:
    """GetId, then GetCredentialsForIdentity, the way the AWS SDKs do it (unsigned)."""
    public = identity_public(world.server)
    logins = {issuer_key(world.server, world.user_pool): id_token}
    identity = public.get_id(IdentityPoolId=world.identity_pool, Logins=logins)["IdentityId"]
    result = public.get_credentials_for_identity(IdentityId=identity, Logins=logins)
    return identity, dict(result["Credentials"])


def sign_up_and_sign_in(world: World) -> tuple[str, dict[str, Any]]:
    idp = world.server.public()
    username = f"alice-{secrets.token_hex(3)}"
    email = f"{username}@example.com"
    idp.sign_up(
        ClientId=world.client,
        Username=username,
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": email}],
    )
    code = world.server.latest_code(world.user_pool, email)
    idp.confirm_sign_up(ClientId=world.client, Username=username, ConfirmationCode=code)
    tokens = idp.initiate_auth(
        ClientId=world.client,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    return username, dict(tokens)


def run_node(script: str, config: dict[str, Any]) -> list[dict[str, Any]]:
    proc = subprocess.run(
        ["node", str(NODE / script), "-"],
        input=json.dumps(config),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=NODE,
        check=False,
    )
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    results = [line for line in lines if "ok" in line]
    assert proc.returncode == 0, f"{script} failed: {results}\n{proc.stderr[-3000:]}"
    return results


def test_scenario_1_sign_up_to_s3_with_boto3(world: World) -> None:
    username, tokens = sign_up_and_sign_in(world)
    identity, creds = credentials_for(world, tokens["IdToken"])
    s3 = world.moto.with_credentials("s3", creds)
    key = f"{identity}/avatar.png"
    s3.put_object(Bucket=world.bucket, Key=key, Body=b"\x89PNG...")
    assert s3.get_object(Bucket=world.bucket, Key=key)["Body"].read() == b"\x89PNG..."
    # A later sign-in of the same user: the same identity.
    again = world.server.public().initiate_auth(
        ClientId=world.client,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    assert credentials_for(world, again["IdToken"])[0] == identity


@pytest.mark.node
def test_scenario_1_with_the_aws_js_sdk(world: World) -> None:
    _, tokens = sign_up_and_sign_in(world)
    identity, _ = credentials_for(world, tokens["IdToken"])
    key = f"{identity}/from-js.txt"
    results = run_node(
        "sdk_identity.mjs",
        {
            "endpoint": world.server.url,
            "region": REGION,
            "identityPoolId": world.identity_pool,
            "logins": {issuer_key(world.server, world.user_pool): tokens["IdToken"]},
            "s3Endpoint": world.moto.url,
            "bucket": world.bucket,
            "key": key,
            "body": "hello from fromCognitoIdentityPool",
        },
    )
    by_step = {r["step"]: r for r in results}
    assert by_step["getCredentials"]["result"]["identityId"] == identity
    assert by_step["getCredentials"]["result"]["sessionToken"] is True
    assert by_step["putObject"]["result"]["httpStatusCode"] == 200
    assert by_step["getObject"]["result"]["body"] == "hello from fromCognitoIdentityPool"
    # Python sees the object the JS SDK wrote: the credentials were real.
    _, creds = credentials_for(world, tokens["IdToken"])
    got = world.moto.with_credentials("s3", creds).get_object(Bucket=world.bucket, Key=key)
    assert got["Body"].read() == b"hello from fromCognitoIdentityPool"


@pytest.mark.node
def test_scenario_1_with_amplify_fetch_auth_session(world: World) -> None:
    username, tokens = sign_up_and_sign_in(world)
    identity, _ = credentials_for(world, tokens["IdToken"])
    results = run_node(
        "amplify.mjs",
        {
            "endpoint": world.server.url,
            "userPoolId": world.user_pool,
            "clientId": world.client,
            "identityPoolId": world.identity_pool,
            "identityPoolEndpoint": world.server.url,
            "allowGuestAccess": True,
            "recordHeaders": True,
            "steps": [
                {"op": "fetchAuthSession", "name": "guest"},
                {"op": "signIn", "username": username, "password": PASSWORD},
                {"op": "fetchAuthSession", "name": "signedIn"},
            ],
        },
    )
    by_step = {r["step"]: r for r in results}
    guest = by_step["guest"]["result"]
    assert guest["identityId"] != identity
    assert guest["credentials"]["accessKeyId"].startswith("ASIA")
    signed_in = by_step["signedIn"]["result"]
    assert signed_in["identityId"] == identity
    assert signed_in["credentials"]["accessKeyId"].startswith("ASIA")
    assert signed_in["credentials"]["sessionToken"] is True
    assert signed_in["credentials"]["expiration"].endswith("Z")
    identity_calls = [
        c for c in by_step["signedIn"]["calls"] if c["op"] in {"GetId", "GetCredentialsForIdentity"}
    ]
    assert identity_calls and all(c["status"] == 200 for c in identity_calls)
    assert all(c["url"].startswith(world.server.url) for c in identity_calls)


TEMPORARY = "Temp-Passw0rd!"


@dataclass
class MfaWorld:
    """Scenario (2)'s user pool (MFA required, SMS or an authenticator app) and an identity pool
    that trusts it, with the AWS form of the Logins key, on the scenario's server and roles."""

    world: World
    user_pool: str
    client: str
    identity_pool: str

    @property
    def login_key(self) -> str:
        return aws_key(self.user_pool)


@pytest.fixture(scope="module")
def mfa_world(world: World) -> MfaWorld:
    user_pool, client = mfa_pool(world.server, "ON", sms=True, totp=True)
    identity_pool = make_identity_pool(
        world.server,
        CognitoIdentityProviders=[
            {"ProviderName": aws_key(user_pool), "ClientId": client, "ServerSideTokenCheck": True}
        ],
    )["IdentityPoolId"]
    identity_admin(world.server).set_identity_pool_roles(
        IdentityPoolId=identity_pool, Roles={"authenticated": world.auth_role}
    )
    return MfaWorld(world, user_pool, client, identity_pool)


def admin_created_user(mfa: MfaWorld, phone: str | None = None) -> str:
    """AdminCreateUser with a temporary password (no invitation sent): the username."""
    username = f"bob-{secrets.token_hex(3)}"
    attributes = [
        {"Name": "email", "Value": f"{username}@example.com"},
        {"Name": "email_verified", "Value": "true"},
    ]
    if phone:
        attributes.append({"Name": "phone_number", "Value": phone})
    mfa.world.server.admin().admin_create_user(
        UserPoolId=mfa.user_pool,
        Username=username,
        TemporaryPassword=TEMPORARY,
        MessageAction="SUPPRESS",
        UserAttributes=attributes,
    )
    return username


def first_sign_in(mfa: MfaWorld, username: str) -> dict[str, Any]:
    """The temporary password, then NEW_PASSWORD_REQUIRED answered: the MFA step that follows."""
    idp = mfa.world.server.public()
    challenge = idp.initiate_auth(
        ClientId=mfa.client,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": TEMPORARY},
    )
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    assert "AuthenticationResult" not in challenge
    return dict(
        idp.respond_to_auth_challenge(
            ClientId=mfa.client,
            ChallengeName="NEW_PASSWORD_REQUIRED",
            Session=challenge["Session"],
            ChallengeResponses={"USERNAME": username, "NEW_PASSWORD": PASSWORD},
        )
    )


def mfa_credentials(mfa: MfaWorld, id_token: str) -> tuple[str, dict[str, Any]]:
    """GetId and GetCredentialsForIdentity with boto3, unsigned, as in scenario (1)."""
    public = identity_public(mfa.world.server)
    logins = {mfa.login_key: id_token}
    identity = public.get_id(IdentityPoolId=mfa.identity_pool, Logins=logins)["IdentityId"]
    result = public.get_credentials_for_identity(IdentityId=identity, Logins=logins)
    assert result["IdentityId"] == identity
    return identity, dict(result["Credentials"])


def reads_dynamodb_but_cannot_write(world: World, creds: dict[str, Any]) -> None:
    dynamodb = world.moto.with_credentials("dynamodb", creds)
    item = dynamodb.get_item(
        TableName=world.table, Key={"customer": {"S": "c-1"}, "order": {"S": "o-1"}}
    )["Item"]
    assert item["total"] == {"N": "42"}
    orders = dynamodb.query(
        TableName=world.table,
        KeyConditionExpression="customer = :c",
        ExpressionAttributeValues={":c": {"S": "c-1"}},
    )
    assert orders["Count"] == 2
    # The role's policy has no dynamodb:PutItem: moto, checking IAM, refuses the write.
    with pytest.raises(ClientError) as exc:
        dynamodb.put_item(
            TableName=world.table,
            Item={"customer": {"S": "c-1"}, "order": {"S": "o-3"}, "total": {"N": "1"}},
        )
    error = exc.value.response["Error"]
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    # moto answers IAM denials in XML even for DynamoDB's JSON protocol, so botocore reports
    # the status as the code and the XML as the message.
    assert "AccessDenied" in (error["Code"], *re.findall(r"<Code>(\w+)</Code>", error["Message"]))
    role = world.auth_role.rsplit("/", 1)[1]
    assert f"assumed-role/{role}/" in error["Message"]
    assert "not authorized to perform: dynamodb:PutItem" in error["Message"]
    # Nothing was written: the setup user still sees two orders.
    count = world.moto.admin("dynamodb").scan(TableName=world.table, Select="COUNT")["Count"]
    assert count == 2


def test_scenario_2_admin_created_user_sms_mfa_reads_dynamodb(mfa_world: MfaWorld) -> None:
    server, idp = mfa_world.world.server, mfa_world.world.server.public()
    phone = f"+1555{secrets.randbelow(10**7):07d}"
    username = admin_created_user(mfa_world, phone)
    challenge = first_sign_in(mfa_world, username)
    assert challenge["ChallengeName"] == "SMS_MFA"
    assert "AuthenticationResult" not in challenge
    assert challenge["ChallengeParameters"]["CODE_DELIVERY_DELIVERY_MEDIUM"] == "SMS"
    code = server.latest_code(mfa_world.user_pool, phone)
    # A wrong code is refused, and the same Session still takes the right one.
    wrong = f"{(int(code) + 1) % 10 ** len(code):0{len(code)}d}"
    with pytest.raises(idp.exceptions.CodeMismatchException):
        idp.respond_to_auth_challenge(
            ClientId=mfa_world.client,
            ChallengeName="SMS_MFA",
            Session=challenge["Session"],
            ChallengeResponses={"USERNAME": username, "SMS_MFA_CODE": wrong},
        )
    tokens = idp.respond_to_auth_challenge(
        ClientId=mfa_world.client,
        ChallengeName="SMS_MFA",
        Session=challenge["Session"],
        ChallengeResponses={"USERNAME": username, "SMS_MFA_CODE": code},
    )["AuthenticationResult"]
    id_claims = claims(tokens["IdToken"])
    assert id_claims["cognito:username"] == username
    assert id_claims["phone_number"] == phone
    user = server.admin().admin_get_user(UserPoolId=mfa_world.user_pool, Username=username)
    assert user["UserStatus"] == "CONFIRMED"

    identity, creds = mfa_credentials(mfa_world, tokens["IdToken"])
    assert identity.startswith(f"{REGION}:")
    assert creds["AccessKeyId"].startswith("ASIA") and creds["SessionToken"]
    reads_dynamodb_but_cannot_write(mfa_world.world, creds)

    # Signing out revokes the tokens; with ServerSideTokenCheck the ID token buys nothing more.
    idp.global_sign_out(AccessToken=tokens["AccessToken"])
    public = identity_public(server)
    with pytest.raises(public.exceptions.NotAuthorizedException):
        public.get_credentials_for_identity(
            IdentityId=identity, Logins={mfa_world.login_key: tokens["IdToken"]}
        )


def test_scenario_2_with_an_authenticator_app(mfa_world: MfaWorld) -> None:
    idp = mfa_world.world.server.public()
    username = admin_created_user(mfa_world)  # no phone: an authenticator app is set up
    setup = first_sign_in(mfa_world, username)
    assert setup["ChallengeName"] == "MFA_SETUP"
    associated = idp.associate_software_token(Session=setup["Session"])
    app = Totp(associated["SecretCode"])
    verified = idp.verify_software_token(
        Session=associated["Session"], UserCode=app.code(), FriendlyDeviceName="phone"
    )
    assert verified["Status"] == "SUCCESS"
    tokens = idp.respond_to_auth_challenge(
        ClientId=mfa_world.client,
        ChallengeName="MFA_SETUP",
        Session=verified["Session"],
        ChallengeResponses={"USERNAME": username},
    )["AuthenticationResult"]
    identity, creds = mfa_credentials(mfa_world, tokens["IdToken"])
    reads_dynamodb_but_cannot_write(mfa_world.world, creds)

    # The next sign-in: new password, then the app's code; the same identity.
    again = idp.initiate_auth(
        ClientId=mfa_world.client,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
    )
    assert again["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    tokens = idp.respond_to_auth_challenge(
        ClientId=mfa_world.client,
        ChallengeName="SOFTWARE_TOKEN_MFA",
        Session=again["Session"],
        ChallengeResponses={"USERNAME": username, "SOFTWARE_TOKEN_MFA_CODE": app.code()},
    )["AuthenticationResult"]
    again_identity, creds = mfa_credentials(mfa_world, tokens["IdToken"])
    assert again_identity == identity
    reads_dynamodb_but_cannot_write(mfa_world.world, creds)
