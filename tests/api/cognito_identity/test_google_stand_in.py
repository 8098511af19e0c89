"""The mission's first scenario through SupportedLoginProviders directly: a mobile app signs its
user in with "Google" (panva's oidc-provider, OpenID Certified, standing in: tests/support/
oidc_stand_in.py), hands the ID token it got to the identity pool (boto3's GetId and
GetCredentialsForIdentity against a real `mamori serve`, pointed at the stand-in by
`federation_endpoints`) and reads from S3 (moto, IAM checks on) with the credentials."""

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
from tests.support.identity import claims, identity_admin, identity_public, make_identity_pool
from tests.support.live import Server, run_server
from tests.support.moto import Moto, run_moto
from tests.support.oidc_stand_in import StandIn, client, oidc_stand_in

pytestmark = pytest.mark.node

APP = "photos-app.apps.googleusercontent.com"
OTHER_APP = "other-app.apps.googleusercontent.com"
REDIRECT = "http://127.0.0.1:9/photos/callback"  # where the app takes the code: never fetched


@dataclass
class World:
    server: Server
    moto: Moto
    google: StandIn
    secret: str
    pool: str
    bucket: str


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("google-stand-in")
    secret = secrets.token_urlsafe(24)
    clients = [client(APP, secret, [REDIRECT]), client(OTHER_APP, secret, [REDIRECT])]
    with oidc_stand_in(tmp, clients) as google, run_moto(tmp) as moto:
        bucket = f"photos-{secrets.token_hex(3)}"
        s3 = moto.admin("s3")
        s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key="beach.jpg", Body=b"sand")
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{bucket}/*",
                }
            ],
        }
        role = moto.create_role(f"photos-{secrets.token_hex(3)}", policy)
        endpoints = f"google.jwks_uri={google.issuer}/jwks,google.issuer={google.issuer}"
        extra = {**moto.mamori_env(), "MAMORI_FEDERATION_ENDPOINTS": endpoints}
        with run_server(tmp, extra_env=extra) as server:
            pool = make_identity_pool(server, SupportedLoginProviders={"accounts.google.com": APP})[
                "IdentityPoolId"
            ]
            identity_admin(server).set_identity_pool_roles(
                IdentityPoolId=pool, Roles={"authenticated": role}
            )
            yield World(server, moto, google, secret, pool, bucket)


def google_id_token(world: World, client_id: str = APP) -> str:
    """What the app's Google sign-in does: authorization code with PKCE, then the token."""
    verifier = secrets.token_urlsafe(48)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    params = {
        "client_id": client_id,
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": "openid email",
        "state": secrets.token_urlsafe(8),
        "nonce": secrets.token_urlsafe(8),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    with httpx.Client(timeout=10) as browser:
        response = browser.get(f"{world.google.issuer}/auth?{urllib.parse.urlencode(params)}")
        for _ in range(10):
            location = response.headers.get("location", "")
            if location.startswith(REDIRECT):
                break
            assert response.status_code in (302, 303), response.text[:300]
            response = browser.get(str(response.url.join(location)))
        else:
            raise AssertionError("the provider never redirected back to the app")
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
    assert "code" in query, query
    token = httpx.post(
        f"{world.google.issuer}/token",
        data={
            "grant_type": "authorization_code",
            "code": query["code"],
            "redirect_uri": REDIRECT,
            "client_id": client_id,
            "client_secret": world.secret,
            "code_verifier": verifier,
        },
        timeout=10,
    )
    assert token.status_code == 200, token.text
    return str(json.loads(token.content)["id_token"])


def credentials(world: World, token: str) -> tuple[str, dict[str, Any]]:
    public = identity_public(world.server)
    logins = {"accounts.google.com": token}
    identity = public.get_id(IdentityPoolId=world.pool, Logins=logins)["IdentityId"]
    result = public.get_credentials_for_identity(IdentityId=identity, Logins=logins)
    return identity, dict(result["Credentials"])


def test_a_google_user_reads_s3_with_the_identity_pools_credentials(world: World) -> None:
    world.google.sign_in_as("google-user-1", email="ann@example.com", email_verified=True)
    token = google_id_token(world)
    assert claims(token)["aud"] == APP
    identity, creds = credentials(world, token)
    s3 = world.moto.with_credentials("s3", creds)
    assert s3.get_object(Bucket=world.bucket, Key="beach.jpg")["Body"].read() == b"sand"
    # Signing in again with Google: a new ID token, the same identity.
    assert credentials(world, google_id_token(world))[0] == identity
    world.google.sign_in_as("google-user-2", email="bob@example.com")
    assert credentials(world, google_id_token(world))[0] != identity


def test_another_apps_google_token_is_refused(world: World) -> None:
    world.google.sign_in_as("google-user-3", email="cy@example.com")
    token = google_id_token(world, OTHER_APP)
    with pytest.raises(ClientError) as exc:
        credentials(world, token)
    error = exc.value.response["Error"]
    assert error["Code"] == "NotAuthorizedException"
    assert "Incorrect token audience" in error["Message"]
