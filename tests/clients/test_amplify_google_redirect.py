"""The mission's first scenario in a real browser: a web app with Amplify v6 (bundled with
esbuild, in Chromium) calls `signInWithRedirect({ provider: 'Google' })`; the browser goes to
mamori's /oauth2/authorize?identity_provider=Google, to "Google" (panva's oidc-provider standing
in, named by `federation_endpoints`), back to mamori's /oauth2/idpresponse and to the app, which
redeems mamori's code. Amplify's `fetchAuthSession` then gets AWS credentials from the identity
pool (mamori's cognito-identity API, called from the page), and boto3 reads the user's own S3
prefix on moto (IAM checks on) with them. mamori serves TLS: Amplify hard-codes https:// for the
OAuth domain."""

from __future__ import annotations

import json
import secrets
import shutil
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from playwright.sync_api import Browser, Page
from tests.support.browser import new_page
from tests.support.factories import make_code_client, make_google_provider, make_pool
from tests.support.hosted import OAUTH_SCOPES, Hosted, TlsServer, tls_server
from tests.support.identity import aws_key
from tests.support.live import REGION, federation_env, free_port
from tests.support.moto import Moto, run_moto
from tests.support.oidc_stand_in import StandIn, client, google_endpoints, oidc_stand_in
from tests.support.tokens import unverified
from tests.support.webapp import WebApp, bundle, serve_app

pytestmark = [
    pytest.mark.browser,
    pytest.mark.node,
    pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js (esbuild)"),
]

GOOGLE_APP = "photos-spa.apps.googleusercontent.com"


@dataclass
class World:
    hosted: Hosted
    app: WebApp
    google: StandIn
    moto: Moto
    identity_pool: str
    role_name: str
    bucket: str


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("amplify-google")
    google_port = free_port()
    google = f"http://127.0.0.1:{google_port}"
    script = bundle("amplify_redirect_page.mjs", tmp / "app.js")
    with run_moto(tmp) as moto, serve_app(script) as app:
        suffix = secrets.token_hex(3)
        bucket, role_name = f"photos-{suffix}", f"spa-user-{suffix}"
        moto.admin("s3").create_bucket(Bucket=bucket)
        role = moto.create_role(role_name, own_prefix(bucket, "nobody"))
        env = {**moto.mamori_env(), **federation_env(google_endpoints(google))}
        server: TlsServer
        with tls_server(tmp, extra_env=env) as (server, ca):
            admin = server.admin()
            pool_id = str(make_pool(server)["Id"])
            prefix = f"photos-{suffix}"
            admin.create_user_pool_domain(Domain=prefix, UserPoolId=pool_id)
            secret = secrets.token_urlsafe(24)
            hosted = Hosted(
                server,
                pool_id,
                "",
                None,
                prefix,
                f"{app.url}/callback",
                f"{app.url}/signed-out",
                ca,
            )
            # Amplify reaches the domain by Host: mamori names that origin's idpresponse.
            redirects = [f"{hosted.by_host}/oauth2/idpresponse"]
            with oidc_stand_in(tmp, [client(GOOGLE_APP, secret, redirects)], google_port) as idp:
                make_google_provider(server, pool_id, GOOGLE_APP, secret)
                hosted.client_id = make_code_client(
                    server,
                    pool_id,
                    hosted.redirect_uri,
                    ["Google"],
                    scopes=OAUTH_SCOPES,
                    LogoutURLs=[hosted.logout_uri],
                )
                identities = identity_admin_tls(server, ca)
                identity_pool = identities.create_identity_pool(
                    IdentityPoolName=f"photos_{suffix}",
                    AllowUnauthenticatedIdentities=False,
                    # Named AWS's way; Amplify's Logins key is the ID token's issuer.
                    CognitoIdentityProviders=[
                        {"ProviderName": aws_key(pool_id), "ClientId": hosted.client_id}
                    ],
                )["IdentityPoolId"]
                identities.set_identity_pool_roles(
                    IdentityPoolId=identity_pool, Roles={"authenticated": role}
                )
                # Their idle TLS keep-alive connections would hold the server's shutdown.
                admin.close()
                identities.close()
                yield World(hosted, app, idp, moto, identity_pool, role_name, bucket)


def identity_admin_tls(server: TlsServer, ca: Path) -> Any:
    """cognito-identity as the administrator, trusting the server's test CA."""
    return boto3.client(
        "cognito-identity",
        endpoint_url=server.url,
        region_name=REGION,
        aws_access_key_id=server.access_key_id,
        aws_secret_access_key=server.secret_access_key,
        verify=str(ca),
    )


def own_prefix(bucket: str, identity_id: str) -> dict[str, Any]:
    """`<identity id>/` only: what `${cognito-identity.amazonaws.com:sub}/*` means on AWS,
    written out because moto does not substitute IAM policy variables."""
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


def parse_qs(url: str) -> dict[str, list[str]]:
    return urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)


def configure(world: World) -> None:
    hosted = world.hosted
    world.app.config.clear()
    world.app.config.update(
        userPoolId=hosted.pool_id,
        userPoolClientId=hosted.client_id,
        userPoolEndpoint=hosted.server.url,
        domain=hosted.host,  # Amplify prepends https://
        scopes=OAUTH_SCOPES,
        redirectSignIn=[hosted.redirect_uri],
        redirectSignOut=[hosted.logout_uri],
        identityPoolId=world.identity_pool,
        identityPoolEndpoint=hosted.server.url,
    )


@pytest.fixture()
def page(chromium: Browser) -> Iterator[Page]:
    page = new_page(chromium)
    try:
        yield page
    finally:
        page.context.close()


def test_sign_in_with_google_then_read_s3_with_the_identity_pools_credentials(
    world: World, page: Page
) -> None:
    hosted, google = world.hosted, world.google.issuer
    sub = "109876543210987654321"
    world.google.sign_in_as(sub, email="dee@gmail.example", email_verified=True, name="Dee")
    seen: list[str] = []
    targets: list[str] = []  # the AWS JSON operations the page called
    page.on("request", lambda request: seen.append(request.url))
    page.on("request", lambda request: targets.append(request.headers.get("x-amz-target", "")))

    configure(world)
    page.goto(world.app.url + "/")
    page.wait_for_function("window.ready === true")
    page.evaluate("() => { app.signIn('Google'); }")
    page.wait_for_url(f"{hosted.redirect_uri}?**")
    page.wait_for_function("window.authEvents.some(e => e.event.startsWith('signInWithRedirect'))")
    events = page.evaluate("window.authEvents")
    assert "signInWithRedirect" in [e["event"] for e in events], events

    # app -> mamori -> "Google" -> mamori -> app, then the code redeemed at mamori's token URL.
    def first(start: str) -> int:
        return next(i for i, url in enumerate(seen) if url.startswith(start))

    authorize = seen[first(f"{hosted.by_host}/oauth2/authorize?")]
    assert parse_qs(authorize)["identity_provider"] == ["Google"]
    at_google = parse_qs(seen[first(f"{google}/auth?")])
    assert at_google["client_id"] == [GOOGLE_APP]
    assert at_google["redirect_uri"] == [f"{hosted.by_host}/oauth2/idpresponse"]
    assert (
        first(f"{hosted.by_host}/oauth2/authorize?")
        < first(f"{google}/auth?")
        < first(f"{hosted.by_host}/oauth2/idpresponse?")
        < first(f"{hosted.redirect_uri}?")
        < first(f"{hosted.by_host}/oauth2/token")
    ), seen

    user = page.evaluate("app.user()")
    assert user.get("username") == f"Google_{sub}", user

    session = page.evaluate("app.session()")
    claims = unverified(session["idToken"])
    assert claims["iss"] == hosted.issuer and claims["aud"] == hosted.client_id
    assert claims["cognito:username"] == f"Google_{sub}"
    assert claims["email"] == "dee@gmail.example"
    assert claims["cognito:groups"] == [f"{hosted.pool_id}_Google"]
    [identity_entry] = claims["identities"]
    assert identity_entry["providerName"] == "Google" and identity_entry["userId"] == sub
    assert unverified(session["accessToken"])["username"] == f"Google_{sub}"

    # fetchAuthSession asked mamori's identity pool (GetId, GetCredentialsForIdentity) from the
    # page, with the ID token under its issuer, and got moto's STS credentials.
    identity_id, creds = session["identityId"], session["credentials"]
    assert identity_id and identity_id.startswith("us-east-1:"), session
    assert creds and creds["accessKeyId"] and creds["sessionToken"], session
    for operation in ("GetId", "GetCredentialsForIdentity"):
        assert f"AWSCognitoIdentityService.{operation}" in targets, targets
    world.moto.admin("iam").put_role_policy(
        RoleName=world.role_name,
        PolicyName="own-prefix",
        PolicyDocument=json.dumps(own_prefix(world.bucket, identity_id)),
    )
    setup = world.moto.admin("s3")
    setup.put_object(Bucket=world.bucket, Key=f"{identity_id}/album.json", Body=b"[]")
    setup.put_object(Bucket=world.bucket, Key="us-east-1:someone-else/album.json", Body=b"{}")
    s3 = world.moto.with_credentials(
        "s3",
        {
            "AccessKeyId": creds["accessKeyId"],
            "SecretKey": creds["secretAccessKey"],
            "SessionToken": creds["sessionToken"],
        },
    )
    got = s3.get_object(Bucket=world.bucket, Key=f"{identity_id}/album.json")
    assert got["Body"].read() == b"[]"
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=world.bucket, Key="us-east-1:someone-else/album.json")
    assert exc.value.response["Error"]["Code"] == "AccessDenied"
