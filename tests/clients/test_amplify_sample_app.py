"""The Amplify sample app (examples/amplify-app, docs/amplify.md) in Chromium against a live
mamori (TLS: Amplify hard-codes https:// for the hosted login's domain) and moto (STS and S3,
IAM checks on): sign up with the emailed code, sign in, set up an authenticator app, sign in
again with its code, sign in through the hosted login (password and TOTP on mamori's pages),
get the identity pool's AWS credentials and list a bucket with them. The test reads only what
the page shows, and checks mamori's and moto's side with boto3."""

from __future__ import annotations

import importlib.util
import json
import re
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pyotp
import pytest
from playwright.sync_api import Browser, Page, Request, expect
from tests.support.browser import fill_sign_in, new_page
from tests.support.browser_pages import fill_code, new_code
from tests.support.factories import PASSWORD, make_user
from tests.support.hosted import Hosted, TlsServer, tls_server
from tests.support.live import REGION
from tests.support.mfa import STEP, next_step
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

ROOT = Path(__file__).resolve().parents[2]
APP_DIR = ROOT / "examples" / "amplify-app"
SCOPES = ["openid", "email", "profile", "aws.cognito.signin.user.admin"]
KEYS = ["albums/2026/beach.jpg", "albums/2026/hike.jpg", "notes.txt"]


def build_app(out: Path) -> Path:
    """`npm ci` when node_modules is missing or older than the lockfile, then the app's own
    build (build.mjs: esbuild) into `out`; the app's dist/ is left alone."""
    installed = APP_DIR / "node_modules" / ".package-lock.json"
    lock = APP_DIR / "package-lock.json"
    if not installed.exists() or installed.stat().st_mtime < lock.stat().st_mtime:
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=APP_DIR,
            check=True,
            timeout=600,
        )
    subprocess.run(["node", "build.mjs", f"--outdir={out}"], cwd=APP_DIR, check=True, timeout=60)
    return out


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


def load_setup() -> ModuleType:
    """examples/amplify-app/setup_mamori.py, the sample's own set-up of mamori."""
    spec = importlib.util.spec_from_file_location("setup_mamori", APP_DIR / "setup_mamori.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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


@dataclass
class Authenticator:
    """The user's authenticator app, read from the secret the page shows: each code is for a
    later time step than the last (mamori takes a step once), waiting for the clock when the
    steps the server accepts now are used up."""

    secret: str
    last: int | None = None

    def code(self) -> str:
        while True:
            now = time.time()
            try:
                step = next_step(self.last, now)
            except AssertionError:  # every step in the drift window is used: wait for one
                time.sleep(STEP - now % STEP + 0.2)
                continue
            self.last = step
            return str(pyotp.TOTP(self.secret).at(step * STEP))


@dataclass
class Calls:
    """The AWS JSON requests the page sent: (X-Amz-Target, body)."""

    seen: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)

    def record(self, request: Request) -> None:
        self.urls.append(request.url)
        target = request.headers.get("x-amz-target")
        if target:
            self.seen.append((target.split(".")[-1], json.loads(request.post_data or "{}")))

    def ops(self) -> list[str]:
        return [op for op, _ in self.seen]

    def clear(self) -> None:
        self.seen.clear()
        self.urls.clear()


@pytest.fixture()
def page(chromium: Browser) -> Iterator[Page]:
    page = new_page(chromium)
    try:
        yield page
    finally:
        page.context.close()


@dataclass
class Line:
    """One line of the page's #log."""

    step: str
    outcome: str
    text: str


def act(page: Page, form_or_button: str, **fields: str) -> Line:
    """Fill a form's fields and submit it (or click a button); the log line it adds."""
    before = page.locator("#log li").count()
    target = page.locator(f"#{form_or_button}")
    for name, value in fields.items():
        target.locator(f"[name={name}]").fill(value)
    (target.locator("button") if fields else target).click()
    return line(page, before)


def line(page: Page, index: int) -> Line:
    item = page.locator("#log li").nth(index)
    expect(item).to_be_attached()
    return Line(
        item.get_attribute("data-step") or "",
        item.get_attribute("data-outcome") or "",
        item.inner_text(),
    )


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
