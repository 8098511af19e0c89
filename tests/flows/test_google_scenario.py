"""The mission's first scenario through the user pool: a user signs in with "Google" (panva's
oidc-provider standing in, named by `federation_endpoints`) on the pool's hosted domain, the app
redeems mamori's code for mamori's tokens, trades the ID token at an identity pool whose provider
is the user pool, and reads its own prefix of an S3 bucket (moto, IAM checks on) but no other.
The browser is httpx keeping cookies; tests/clients/test_amplify_google_redirect.py does the
same with Amplify in Chromium."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError
from tests.support.factories import make_code_client, make_google_provider, make_pool
from tests.support.identity import aws_key, identity_admin, identity_public, make_identity_pool
from tests.support.live import Server, federation_env, free_port, run_server
from tests.support.moto import Moto, run_moto
from tests.support.oauth import redeem_code
from tests.support.oidc_stand_in import StandIn, client, google_endpoints, oidc_stand_in
from tests.support.tokens import verify

pytestmark = pytest.mark.node

GOOGLE_APP = "photos-web.apps.googleusercontent.com"  # the app's OAuth client at Google
CALLBACK = "http://localhost:3000/callback"  # the app's callback: never fetched
ROLE_POLICY = "own-prefix"


@dataclass
class World:
    server: Server
    moto: Moto
    google: StandIn
    pool_id: str
    client_id: str
    identity_pool: str
    role: str
    bucket: str

    @property
    def domain(self) -> str:
        return f"{self.server.url}/{self.pool_id}"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("google-scenario")
    google_port = free_port()
    google = f"http://127.0.0.1:{google_port}"
    with run_moto(tmp) as moto:
        suffix = secrets.token_hex(3)
        bucket = f"photos-{suffix}"
        moto.admin("s3").create_bucket(Bucket=bucket)
        # No access until a test names an identity's prefix (grant_own_prefix).
        role = moto.create_role(f"google-user-{suffix}", prefix_policy(bucket, "nobody"))
        env = {**moto.mamori_env(), **federation_env(google_endpoints(google))}
        with run_server(tmp, "sqlite", extra_env=env) as server:
            admin = server.admin()
            pool_id = str(make_pool(server)["Id"])
            admin.create_user_pool_domain(Domain=f"photos-{suffix}", UserPoolId=pool_id)
            secret = secrets.token_urlsafe(24)
            redirect = f"{server.url}/{pool_id}/oauth2/idpresponse"
            with oidc_stand_in(tmp, [client(GOOGLE_APP, secret, [redirect])], google_port) as idp:
                make_google_provider(server, pool_id, GOOGLE_APP, secret)
                client_id = make_code_client(server, pool_id, CALLBACK, ["Google"])
                identity_pool = make_identity_pool(server, pool_id, client_id)["IdentityPoolId"]
                identity_admin(server).set_identity_pool_roles(
                    IdentityPoolId=identity_pool, Roles={"authenticated": role}
                )
                yield World(server, moto, idp, pool_id, client_id, identity_pool, role, bucket)


def prefix_policy(bucket: str, identity_id: str) -> dict[str, Any]:
    """Reading and writing under `<identity id>/` only. On AWS the resource would be
    `arn:aws:s3:::<bucket>/${cognito-identity.amazonaws.com:sub}/*`; moto does not substitute
    IAM policy variables (its matcher takes the pattern literally), so the test writes the
    identity id the variable stands for."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject"],
                "Resource": f"arn:aws:s3:::{bucket}/{identity_id}/*",
            }
        ],
    }


def grant_own_prefix(world: World, identity_id: str) -> None:
    world.moto.admin("iam").put_role_policy(
        RoleName=world.role.rsplit("/", 1)[1],
        PolicyName=ROLE_POLICY,
        PolicyDocument=json.dumps(prefix_policy(world.bucket, identity_id)),
    )


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def query(url: str) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))


def sign_in_with_google(world: World) -> tuple[dict[str, Any], list[str]]:
    """The app's redirect sign-in in a fresh browser: mamori's tokens and every URL visited."""
    verifier, challenge = pkce()
    params = {
        "client_id": world.client_id,
        "response_type": "code",
        "redirect_uri": CALLBACK,
        "scope": "openid email profile",
        "state": "app-state",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "identity_provider": "Google",
    }
    url = f"{world.domain}/oauth2/authorize?{urllib.parse.urlencode(params)}"
    visited = [url]
    with httpx.Client(timeout=15) as browser:
        response = browser.get(url)
        for _ in range(12):
            assert response.status_code in (302, 303), (response.status_code, response.text[:500])
            url = str(response.url.join(response.headers["location"]))
            visited.append(url)
            if url.startswith(CALLBACK):
                break
            response = browser.get(url)
        else:
            raise AssertionError(f"never back at the app: {visited}")
    back = query(url)
    assert back.get("state") == "app-state" and "code" in back, back
    tokens = redeem_code(world.domain, world.client_id, back["code"], CALLBACK, verifier, 15)
    return tokens, visited


def credentials(world: World, id_token: str) -> tuple[str, dict[str, Any]]:
    """GetId and GetCredentialsForIdentity as an AWS SDK does them (unsigned), with the user
    pool's ID token under the user pool's provider name."""
    public = identity_public(world.server)
    logins = {aws_key(world.pool_id): id_token}
    identity = public.get_id(IdentityPoolId=world.identity_pool, Logins=logins)["IdentityId"]
    result = public.get_credentials_for_identity(IdentityId=identity, Logins=logins)
    assert result["IdentityId"] == identity
    return str(identity), dict(result["Credentials"])


def denied(call: Any, **kwargs: Any) -> bool:
    try:
        call(**kwargs)
    except ClientError as exc:
        return exc.response["Error"]["Code"] == "AccessDenied"
    return False


def test_google_to_s3_through_the_user_pool(world: World) -> None:
    sub = "118002345678901234567"
    world.google.sign_in_as(sub, email="ann@gmail.example", email_verified=True, name="Ann")
    tokens, visited = sign_in_with_google(world)

    # app -> mamori's authorize -> "Google" -> mamori's idpresponse -> the app, with mamori's code.
    google = world.google.issuer
    stops = [u.split("?", 1)[0] for u in visited]
    assert stops[0] == f"{world.domain}/oauth2/authorize"
    assert stops[1] == f"{google}/auth"
    assert query(visited[1])["redirect_uri"] == f"{world.domain}/oauth2/idpresponse"
    assert stops[-2] == f"{world.domain}/oauth2/idpresponse" and stops[-1] == CALLBACK

    # mamori's ID token, checked as a resource server would (the pool's JWKS).
    claims = verify(world.server, world.pool_id, tokens["id_token"], audience=world.client_id)
    username = f"Google_{sub}"
    assert claims["cognito:username"] == username
    assert claims["email"] == "ann@gmail.example" and claims["name"] == "Ann"
    assert claims["cognito:groups"] == [f"{world.pool_id}_Google"]
    [identity_entry] = claims["identities"]
    assert identity_entry["userId"] == sub
    assert identity_entry["providerName"] == "Google"
    assert identity_entry["providerType"] == "Google"
    assert identity_entry["issuer"] == google and identity_entry["primary"] == "true"

    admin = world.server.admin()
    user = admin.admin_get_user(UserPoolId=world.pool_id, Username=username)
    assert user["UserStatus"] == "EXTERNAL_PROVIDER" and user["Enabled"]
    groups = admin.admin_list_groups_for_user(UserPoolId=world.pool_id, Username=username)
    assert [g["GroupName"] for g in groups["Groups"]] == [f"{world.pool_id}_Google"]

    # The identity pool trades the user pool's ID token for the authenticated role.
    identity, creds = credentials(world, tokens["id_token"])
    grant_own_prefix(world, identity)
    caller = world.moto.with_credentials("sts", creds).get_caller_identity()
    assert f":assumed-role/{world.role.rsplit('/', 1)[1]}/" in caller["Arn"]

    setup = world.moto.admin("s3")
    setup.put_object(Bucket=world.bucket, Key=f"{identity}/beach.jpg", Body=b"sand")
    setup.put_object(Bucket=world.bucket, Key="us-east-1:someone-else/diary.txt", Body=b"no")
    s3 = world.moto.with_credentials("s3", creds)
    assert s3.get_object(Bucket=world.bucket, Key=f"{identity}/beach.jpg")["Body"].read() == b"sand"
    s3.put_object(Bucket=world.bucket, Key=f"{identity}/new.jpg", Body=b"wave")
    assert denied(s3.get_object, Bucket=world.bucket, Key="us-east-1:someone-else/diary.txt")
    assert denied(s3.put_object, Bucket=world.bucket, Key="us-east-1:someone-else/x", Body=b"x")


def test_the_same_google_user_keeps_one_identity_and_another_is_kept_out(world: World) -> None:
    first_sub, second_sub = "2000000000000000001", "2000000000000000002"
    world.google.sign_in_as(first_sub, email="bo@gmail.example", name="Bo")
    first, _ = sign_in_with_google(world)
    first_identity, _ = credentials(world, first["id_token"])
    # A later sign-in (a new browser, a new Google ID token, new mamori tokens): same user,
    # same identity.
    world.google.sign_in_as(first_sub, email="bo@gmail.example", name="Bo B")
    again, _ = sign_in_with_google(world)
    first_claims = verify(world.server, world.pool_id, first["id_token"], world.client_id)
    again_claims = verify(world.server, world.pool_id, again["id_token"], world.client_id)
    assert again_claims["sub"] == first_claims["sub"] and again_claims["name"] == "Bo B"
    assert credentials(world, again["id_token"])[0] == first_identity

    world.moto.admin("s3").put_object(
        Bucket=world.bucket, Key=f"{first_identity}/secret.txt", Body=b"mine"
    )
    world.google.sign_in_as(second_sub, email="cy@gmail.example", name="Cy")
    other, _ = sign_in_with_google(world)
    other_identity, other_creds = credentials(world, other["id_token"])
    assert other_identity != first_identity
    grant_own_prefix(world, other_identity)
    s3 = world.moto.with_credentials("s3", other_creds)
    s3.put_object(Bucket=world.bucket, Key=f"{other_identity}/hello.txt", Body=b"hi")
    assert denied(s3.get_object, Bucket=world.bucket, Key=f"{first_identity}/secret.txt")
