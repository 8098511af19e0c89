"""Both mission scenarios end to end, with real SDKs, against a real STS, S3 and DynamoDB (moto
with IAM checks on).

(1) A user signs up, confirms, signs in and trades the ID token at the identity pool for
    credentials that put and get S3 objects: with boto3, with the AWS JS SDK's
    `fromCognitoIdentityPool`, and with Amplify v6's `fetchAuthSession`.
(2) An admin-created user sets a new password, signs in and reads DynamoDB with the
    credentials. The SMS MFA step of this scenario waits for the sign-in issue (#3); the
    scenario runs without it until then.
"""

from __future__ import annotations

import json
import secrets
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.support.factories import PASSWORD, make_client, make_pool
from tests.support.identity import identity_admin, identity_public, issuer_key, make_identity_pool
from tests.support.live import REGION, Server, run_server
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


def test_scenario_2_admin_created_user_reads_dynamodb(world: World) -> None:
    admin = world.server.admin()
    username = f"bob-{secrets.token_hex(3)}"
    admin.admin_create_user(
        UserPoolId=world.user_pool,
        Username=username,
        TemporaryPassword="Temp-Passw0rd!",
        MessageAction="SUPPRESS",
        UserAttributes=[
            {"Name": "email", "Value": f"{username}@example.com"},
            {"Name": "email_verified", "Value": "true"},
        ],
    )
    idp = world.server.public()
    challenge = idp.initiate_auth(
        ClientId=world.client,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": "Temp-Passw0rd!"},
    )
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    # (SMS MFA would be answered here once the sign-in issue lands.)
    tokens = idp.respond_to_auth_challenge(
        ClientId=world.client,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=challenge["Session"],
        ChallengeResponses={"USERNAME": username, "NEW_PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    _, creds = credentials_for(world, tokens["IdToken"])
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
    with pytest.raises(ClientError) as exc:
        dynamodb.put_item(
            TableName=world.table,
            Item={"customer": {"S": "c-1"}, "order": {"S": "o-3"}, "total": {"N": "1"}},
        )
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert "dynamodb:PutItem" in exc.value.response["Error"]["Message"]
