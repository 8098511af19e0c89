"""The Amplify sample app (examples/amplify-app, docs/amplify.md) in Chromium against a live
mamori (TLS: Amplify hard-codes https:// for the hosted login's domain) and moto (STS and S3,
IAM checks on): sign up with the emailed code, sign in, set up an authenticator app, sign in
again with its code, sign in through the hosted login (password and TOTP on mamori's pages),
get the identity pool's AWS credentials and list a bucket with them. The test reads only what
the page shows, and checks mamori's and moto's side with boto3."""

from __future__ import annotations

import re
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pyotp
import pytest
from playwright.sync_api import Browser, Page, expect
from tests.support.amplify_app import Authenticator, Calls, act, build_app, line, load_setup
from tests.support.browser import fill_sign_in, new_page
from tests.support.browser_pages import fill_code, new_code
from tests.support.factories import PASSWORD, make_user
from tests.support.hosted import Hosted, TlsServer, tls_server
from tests.support.live import REGION
from tests.support.moto import run_moto
from tests.support.s3_front import s3_front
from tests.support.webapp import WebApp, serve_app

pytestmark = [
    pytest.mark.browser,
    pytest.mark.node,
    pytest.mark.skipif(
        shutil.which("node") is None or shutil.which("npm") is None,
        reason="needs Node.js and npm (the sample app is built with esbuild)",
    ),
]

KEYS = ["albums/2026/beach.jpg", "albums/2026/hike.jpg", "notes.txt"]


@dataclass
class World:
    server: TlsServer
    hosted: Hosted
    app: WebApp
    config: dict[str, str]  # the app's config.json, but for the pool
    identity_pool: str
    bucket: str
    other_bucket: str


def list_only(bucket: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{bucket}"}
        ],
    }


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("amplify-sample")
    dist = build_app(tmp / "dist")
    page = (dist / "index.html").read_text()
    with (
        serve_app(dist / "app.js", page=page) as app,
        run_moto(tmp) as moto,
        s3_front(moto) as s3_url,
    ):
        suffix = secrets.token_hex(3)
        bucket, other_bucket = f"photos-{suffix}", f"payroll-{suffix}"
        s3 = moto.admin("s3")
        for name in (bucket, other_bucket):
            s3.create_bucket(Bucket=name)
            # A browser reads S3 only where the bucket's CORS lets the app's origin in (the
            # front answers preflights from these rules, as S3 does).
            s3.put_bucket_cors(
                Bucket=name,
                CORSConfiguration={
                    "CORSRules": [
                        {
                            "AllowedOrigins": [app.url],
                            "AllowedMethods": ["GET"],
                            "AllowedHeaders": ["*"],
                        }
                    ]
                },
            )
        for key in KEYS:
            s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
        s3.put_object(Bucket=other_bucket, Key="salaries.csv", Body=b"secret")
        role = moto.create_role(f"sample-user-{suffix}", list_only(bucket))

        # The app's origin is the one mamori's API answers browsers from (cors_origins).
        env = {**moto.mamori_env(), "MAMORI_CORS_ORIGINS": app.url}
        with tls_server(tmp, extra_env=env) as (server, _ca):
            hosted, identity_pool = sample_pool(server, app.url, role_arn=role)
            assert identity_pool
            config = {
                "endpoint": server.url,
                "identityPoolId": identity_pool,
                "region": REGION,
                "bucket": bucket,
                "s3Endpoint": s3_url,
            }
            yield World(server, hosted, app, config, identity_pool, bucket, other_bucket)


SETUP = load_setup()


def sample_pool(
    server: TlsServer, app_url: str, mfa: str = "OPTIONAL", role_arn: str | None = None
) -> tuple[Hosted, str | None]:
    """mamori set up by the sample's setup_mamori.set_up: the pool and client as `Hosted`, and
    the identity pool's id when a role is given."""
    idp = server.admin()
    identity = identity_client(server)
    made = SETUP.set_up(idp, identity, app_url, role_arn=role_arn, mfa=mfa)
    idp.close()  # an idle TLS keep-alive connection would hold the server's shutdown
    identity.close()
    pool_id, client_id = made["userPoolId"], made["userPoolClientId"]
    app = f"{app_url}/"
    hosted = Hosted(server, pool_id, client_id, None, made["domainPrefix"], app, app, server.ca)
    assert SETUP.hosted_domain(server.url, hosted.prefix) == hosted.host
    return hosted, made.get("identityPoolId")


def configure(world: World, hosted: Hosted, identity_pool: bool = True) -> None:
    """The app's config.json (read at each page load) for `hosted`'s pool, with the identity
    pool (which trusts only the first pool's client) or without."""
    world.app.config.clear()
    world.app.config.update(
        world.config,
        userPoolId=hosted.pool_id,
        userPoolClientId=hosted.client_id,
        hostedDomain=hosted.host,
    )
    if not identity_pool:
        del world.app.config["identityPoolId"]


def identity_client(server: TlsServer) -> Any:
    return boto3.client(
        "cognito-identity",
        endpoint_url=server.url,
        region_name=REGION,
        aws_access_key_id=server.access_key_id,
        aws_secret_access_key=server.secret_access_key,
        verify=str(server.ca),
    )


@pytest.fixture()
def page(chromium: Browser) -> Iterator[Page]:
    page = new_page(chromium)
    try:
        yield page
    finally:
        page.context.close()


def test_sign_up_mfa_hosted_login_credentials_and_s3(world: World, page: Page) -> None:
    server, hosted, admin = world.server, world.hosted, world.server.admin()
    calls = Calls()
    page.on("request", calls.record)
    username, email = f"mika-{secrets.token_hex(3)}", f"mika-{secrets.token_hex(3)}@example.com"

    def mamori_user() -> dict[str, Any]:
        return dict(admin.admin_get_user(UserPoolId=hosted.pool_id, Username=username))

    configure(world, hosted)
    page.goto(world.app.url + "/")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    expect(page.locator("#status")).to_have_text("Signed out")

    # Sign up; the code comes by email (mamori's outbox).
    signed_up = act(page, "sign-up", username=username, email=email, password=PASSWORD)
    assert signed_up.step == "signUp" and signed_up.outcome == "ok", signed_up
    assert "CONFIRM_SIGN_UP (code sent by EMAIL to " in signed_up.text
    assert mamori_user()["UserStatus"] == "UNCONFIRMED"
    code = new_code(server, hosted.pool_id, email)
    assert act(page, "confirm-sign-up", code=code).text == "confirmSignUp: confirmed"
    user = mamori_user()
    assert user["UserStatus"] == "CONFIRMED"
    assert {"Name": "email_verified", "Value": "true"} in user["UserAttributes"]

    # Sign in (SRP), then set up an authenticator app from the secret the page shows.
    assert act(page, "sign-in", username=username, password=PASSWORD).text == "signIn: DONE"
    expect(page.locator("#status")).to_have_text(f"Signed in as {username} (password)")
    expect(page.locator("#mfa-preference")).to_have_text("MFA: none")
    flows = [body["AuthFlow"] for op, body in calls.seen if op == "InitiateAuth"]
    assert flows == ["USER_SRP_AUTH"], calls.seen
    assert act(page, "set-up-totp").step == "setUpTOTP"
    secret = page.locator("#totp-secret").inner_text()
    assert re.fullmatch("[A-Z2-7]{16,}=*", secret), secret
    uri = page.locator("#totp-uri").inner_text()
    assert uri.startswith("otpauth://totp/") and f"secret={secret}" in uri, uri
    authenticator = Authenticator(secret)
    verified = act(page, "verify-totp", code=authenticator.code())
    assert verified.text == "verifyTOTPSetup: authenticator app verified, TOTP preferred"
    expect(page.locator("#mfa-preference")).to_have_text("MFA: TOTP (preferred: TOTP)")
    user = mamori_user()
    assert user["UserMFASettingList"] == ["SOFTWARE_TOKEN_MFA"]
    assert user["PreferredMfaSetting"] == "SOFTWARE_TOKEN_MFA"

    # Sign out, sign in again: now the app asks for the authenticator's code. A wrong one is
    # refused; the right one signs in.
    assert act(page, "sign-out").text == "signOut: signed out"
    expect(page.locator("#status")).to_have_text("Signed out")
    calls.clear()
    challenged = act(page, "sign-in", username=username, password=PASSWORD)
    assert challenged.text == "signIn: CONFIRM_SIGN_IN_WITH_TOTP_CODE"
    expect(page.locator("#confirm-sign-in")).to_be_visible()
    wrong = f"{(int(pyotp.TOTP(secret).now()) + 1) % 1_000_000:06d}"
    refused = act(page, "confirm-sign-in", code=wrong)
    assert refused.outcome == "error" and "CodeMismatchException" in refused.text, refused
    expect(page.locator("#status")).to_have_text("Signed out")
    assert act(page, "confirm-sign-in", code=authenticator.code()).text == "confirmSignIn: DONE"
    expect(page.locator("#status")).to_have_text(f"Signed in as {username} (password)")
    answers = [body["ChallengeName"] for op, body in calls.seen if op == "RespondToAuthChallenge"]
    assert answers[-1] == "SOFTWARE_TOKEN_MFA", answers

    # Sign out and sign in through mamori's hosted login: password, then the TOTP page.
    act(page, "sign-out")
    expect(page.locator("#status")).to_have_text("Signed out")
    calls.clear()
    page.locator("#hosted-sign-in").click()
    page.wait_for_url(f"{hosted.by_host}/login?**")
    assert any(u.startswith(f"{hosted.by_host}/oauth2/authorize?") for u in calls.urls)
    fill_sign_in(page, username, PASSWORD)
    expect(page.locator("#code")).to_be_visible()
    fill_code(page, authenticator.code())
    page.wait_for_url(f"{world.app.url}/?**")
    back = line(page, 0)
    assert back.text == "signInWithRedirect: back from the hosted login", back
    expect(page.locator("#status")).to_have_text(f"Signed in as {username} (hosted login)")
    assert f"{hosted.by_host}/oauth2/token" in calls.urls, calls.urls

    # The identity pool's credentials (GetId, GetCredentialsForIdentity from the page).
    fetched = act(page, "fetch-credentials")
    assert fetched.outcome == "ok" and "credentials for us-east-1:" in fetched.text, fetched
    identity_id = page.locator("#identity-id").inner_text()
    assert page.locator("#access-key-id").inner_text().startswith("ASIA")
    for op in ("GetId", "GetCredentialsForIdentity"):
        assert op in calls.ops(), calls.ops()
    identities = identity_client(server)
    listed = identities.list_identities(IdentityPoolId=world.identity_pool, MaxResults=10)
    assert [i["IdentityId"] for i in listed["Identities"]] == [identity_id]
    identities.close()

    # List the bucket with them: the objects put there. Another bucket the role may not list
    # is refused by moto's IAM check.
    listing = act(page, "list-bucket", bucket=world.bucket, prefix="")
    assert listing.text == f"listBucket: {len(KEYS)} object(s) in {world.bucket}", listing
    assert page.locator("#objects li").all_inner_texts() == KEYS
    denied = act(page, "list-bucket", bucket=world.other_bucket, prefix="")
    assert denied.outcome == "error" and "AccessDenied" in denied.text, denied
    expect(page.locator("#objects li")).to_have_count(0)
    albums = act(page, "list-bucket", bucket=world.bucket, prefix="albums/")
    assert albums.text == f"listBucket: 2 object(s) in {world.bucket}", albums
    assert page.locator("#objects li").all_inner_texts() == KEYS[:2]

    # Signing out of a hosted sign-in goes through the domain's /logout, back to the app, and
    # ends mamori's session there: the hosted login asks for the password again.
    calls.clear()
    with page.expect_navigation(url=lambda url: url.startswith(world.app.url)):
        page.locator("#sign-out").click()
    assert any(u.startswith(f"{hosted.by_host}/logout?") for u in calls.urls), calls.urls
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    expect(page.locator("#status")).to_have_text("Signed out")
    page.locator("#hosted-sign-in").click()
    page.wait_for_url(f"{hosted.by_host}/login?**")
    admin.close()


def test_a_pool_with_mfa_on_sets_up_the_authenticator_while_signing_in(
    world: World, page: Page
) -> None:
    """MFA ON: the first sign-in goes on to CONTINUE_SIGN_IN_WITH_TOTP_SETUP; the app shows the
    secret and answers with the first code, and the user is signed in with TOTP turned on."""
    hosted, _ = sample_pool(world.server, world.app.url, mfa="ON")
    username = make_user(world.server, hosted.pool_id)
    configure(world, hosted, identity_pool=False)
    page.goto(world.app.url + "/")
    expect(page.locator("#status")).to_have_text("Signed out")

    asked = act(page, "sign-in", username=username, password=PASSWORD)
    assert asked.text == "signIn: CONTINUE_SIGN_IN_WITH_TOTP_SETUP", asked
    expect(page.locator("#status")).to_have_text("Signed out")
    authenticator = Authenticator(page.locator("#totp-secret").inner_text())
    done = act(page, "verify-totp", code=authenticator.code())
    assert done.text == "confirmSignIn: DONE", done
    expect(page.locator("#status")).to_have_text(f"Signed in as {username} (password)")
    expect(page.locator("#mfa-preference")).to_have_text("MFA: TOTP (preferred: TOTP)")
    admin = world.server.admin()
    user = admin.admin_get_user(UserPoolId=hosted.pool_id, Username=username)
    admin.close()
    assert user["UserMFASettingList"] == ["SOFTWARE_TOKEN_MFA"]
