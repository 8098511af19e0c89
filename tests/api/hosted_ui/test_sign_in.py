"""The sign-in pages over HTTP (httpx against a live server): /login and every challenge page
after it (new password, MFA codes by SMS, app and email, MFA choice, authenticator set-up,
first-factor choice), the refusals (wrong password, unknown user, lockout, CSRF, a spent
Session, a breached password under threat protection), the headers, and Japanese by `lang` and
by Accept-Language."""

from __future__ import annotations

import dataclasses
import re
import secrets
import urllib.parse

import httpx
import pyotp
import pytest
from tests.support.factories import PASSWORD, make_client, make_code_client, make_user
from tests.support.guard import PER_IP, fresh_ip, limited_server
from tests.support.hosted_pages import Hosted, forms_of, hosted_client, page_url, submit
from tests.support.live import Server
from tests.support.mfa import Totp, enroll_totp

WRONG = "Incorrect username or password."
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"  # RFC 7636 appendix B
NEW_PASSWORD = "Brand-New-Passw0rd!"


def login_page(http: httpx.Client, hosted: Hosted, **extra: str) -> httpx.Response:
    page = http.get(page_url(hosted, "/login", **extra))
    assert page.status_code == 200, page.text[:3000]
    return page


def log_in(
    http: httpx.Client, hosted: Hosted, username: str, password: str = PASSWORD, **extra: str
) -> httpx.Response:
    page = login_page(http, hosted, **extra)
    return submit(http, page, "login-form", username=username, password=password, action="password")


def callback(hosted: Hosted, answer: httpx.Response) -> dict[str, str]:
    """The authorization response the sign-in ended with (a 303 to the client's callback)."""
    assert answer.status_code == 303, answer.text[:3000]
    location = answer.headers["location"]
    assert location.startswith(hosted.redirect_uri + "?"), location
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))


def error_of(page: httpx.Response) -> str:
    found = re.search(r'<div id="form-error"[^>]*role="alert">(.*?)</div>', page.text, re.S)
    assert found, page.text[:3000]
    return found.group(1).strip()


def test_the_login_page_its_fields_and_headers(http: httpx.Client, hosted: Hosted) -> None:
    page = login_page(http, hosted, login_hint="ann@example.com")
    form = forms_of(page.text)[0]
    assert set(form.fields) == {"_csrf", "username", "password"}
    assert form.fields["username"] == "ann@example.com"  # login_hint
    assert form.autocomplete == {
        "_csrf": "",
        "username": "username",
        "password": "current-password",
    }
    assert '<label for="username"' in page.text and '<label for="password"' in page.text
    assert '<html lang="en">' in page.text and "<script" not in page.text
    assert " style=" not in page.text and "<style" not in page.text
    assert 'id="forgot-password-link"' in page.text and 'id="sign-up-link"' in page.text
    # No passwordless factor in this pool: no other way to sign in offered.
    assert 'id="other-options-button"' not in page.text
    headers = page.headers
    csp = headers["content-security-policy"]
    assert "default-src 'none'" in csp and "style-src 'self'" in csp
    assert "img-src 'self' data:" in csp and "frame-ancestors 'none'" in csp
    assert "base-uri 'none'" in csp
    # The sign-in's last answer redirects to the client: its origin may end a form post.
    assert "form-action 'self' http://localhost:3000" in csp
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["cache-control"] == "no-store"
    assert headers["x-content-type-options"] == "nosniff"
    assert "mamori-csrf" in headers["set-cookie"] and "HttpOnly" in headers["set-cookie"]
    # The stylesheet: from the domain, fingerprinted, cached for a year.
    href = re.search(r'<link rel="stylesheet" href="([^"]+mamori\.css[^"]*)"', page.text)
    assert href
    css = http.get(urllib.parse.urljoin(str(page.url), href.group(1).replace("&amp;", "&")))
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert "immutable" in css.headers["cache-control"]


def test_a_sign_in_redirects_with_a_code_and_the_session_skips_the_form(
    http: httpx.Client, hosted: Hosted
) -> None:
    user = make_user(hosted.server, hosted.pool_id)
    params = callback(hosted, log_in(http, hosted, user))
    assert params["state"] == "st" and params["code"]
    assert "mamori_session" in http.cookies
    # A second authorization with the session: straight back to the client.
    again = http.get(page_url(hosted, "/oauth2/authorize"))
    assert again.status_code == 302, again.text[:2000]
    assert again.headers["location"].startswith(hosted.redirect_uri + "?code=")
    # The code is good at the token endpoint (PKCE verifier of the page's challenge).
    tokens = http.post(
        f"{hosted.by_path}/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "client_id": hosted.client_id,
            "code": params["code"],
            "redirect_uri": hosted.redirect_uri,
            "code_verifier": VERIFIER,
        },
    )
    assert tokens.status_code == 200, tokens.text
    assert {"id_token", "access_token", "refresh_token"} <= set(tokens.json())


def test_a_wrong_password_and_an_unknown_user_read_the_same(
    http: httpx.Client, hosted: Hosted
) -> None:
    user = make_user(hosted.server, hosted.pool_id)
    wrong = log_in(http, hosted, user, "Not-the-passw0rd!")
    unknown = log_in(http, hosted, f"nobody-{secrets.token_hex(3)}", PASSWORD)
    assert wrong.status_code == unknown.status_code == 400
    assert error_of(wrong) == error_of(unknown) == WRONG
    # The page keeps the username, never the password; focus goes to the password.
    form = forms_of(wrong.text)[0]
    assert form.fields["username"] == user and form.fields["password"] == ""
    assert 'aria-describedby="form-error"' in wrong.text
    # Empty fields are named, not sent.
    empty = submit(http, login_page(http, hosted), "login-form", username=user, action="password")
    assert empty.status_code == 400 and 'id="password-error"' in empty.text


def test_lockout_reads_the_same_for_known_and_unknown_users(
    http: httpx.Client, hosted: Hosted
) -> None:
    def lock(username: str) -> int:
        for attempt in range(1, 12):
            answer = log_in(http, hosted, username, "Wr0ng-Password!")
            assert answer.status_code == 400
            if error_of(answer) != WRONG:
                assert error_of(answer).startswith("Password attempts exceeded")
                return attempt
        raise AssertionError("never locked out")

    user = make_user(hosted.server, hosted.pool_id)
    known = lock(user)
    unknown = lock(f"nobody-{secrets.token_hex(3)}")
    assert known == unknown
    # Locked out, the right password is refused too.
    right = log_in(http, hosted, user, PASSWORD)
    assert error_of(right).startswith("Password attempts exceeded")


def test_a_form_without_its_csrf_token_is_shown_again(http: httpx.Client, hosted: Hosted) -> None:
    user = make_user(hosted.server, hosted.pool_id)
    page = login_page(http, hosted)
    forged = http.post(
        page_url(hosted, "/login"),
        data={"username": user, "password": PASSWORD, "_csrf": "forged"},
    )
    assert forged.status_code == 403
    assert "sent from elsewhere" in error_of(forged)
    assert forms_of(forged.text)[0].fields["username"] == user
    assert "mamori_session" not in http.cookies
    # Another browser (no cookie) posting this page's token: refused as well.
    with hosted.http() as other:
        token = forms_of(page.text)[0].fields["_csrf"]
        stolen = other.post(
            page_url(hosted, "/login"),
            data={"username": user, "password": PASSWORD, "_csrf": token},
        )
        assert stolen.status_code == 403
    # The page shown again carries a good token: sending it works.
    done = submit(http, forged, "login-form", password=PASSWORD, action="password")
    callback(hosted, done)


def test_unreadable_forms_get_the_error_page(http: httpx.Client, hosted: Hosted) -> None:
    login_page(http, hosted)
    url = page_url(hosted, "/login")
    repeated = http.post(
        url,
        content=b"username=a&username=b&password=x",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert repeated.status_code == 400 and 'id="error-code"' in repeated.text
    huge = http.post(url, data={"username": "a" * 20_000, "password": "x"})
    assert huge.status_code == 413
    as_json = http.post(url, json={"username": "a"})
    assert as_json.status_code == 415
    for answer in (repeated, huge, as_json):
        assert answer.headers["content-security-policy"].startswith("default-src 'none'")
    # A page with a bad authorization request says so, without a form.
    unknown = http.get(page_url(hosted, "/login", client_id="nosuchclient"))
    assert unknown.status_code in (400, 401) and "<form" not in unknown.text


def test_new_password_required(sqlite_server: Server) -> None:
    hosted = hosted_client(sqlite_server)
    admin = sqlite_server.admin()
    user = f"temp-{secrets.token_hex(3)}"
    admin.admin_create_user(
        UserPoolId=hosted.pool_id,
        Username=user,
        TemporaryPassword="Temp0rary-Pass!",
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": f"{user}@example.com"}],
    )
    with hosted.http() as http:
        page = log_in(http, hosted, user, "Temp0rary-Pass!")
        assert page.status_code == 200 and 'id="new-password-form"' in page.text
        form = forms_of(page.text)[0]
        assert {"password", "confirm_password", "session", "_csrf"} <= set(form.fields)
        assert form.autocomplete["password"] == "new-password"
        differ = submit(
            http, page, "new-password-form", password=NEW_PASSWORD, confirm_password="other"
        )
        assert differ.status_code == 400 and 'id="confirm_password-error"' in differ.text
        weak = submit(http, differ, "new-password-form", password="short", confirm_password="short")
        assert weak.status_code == 400 and "not valid" in error_of(weak)
        done = submit(
            http, weak, "new-password-form", password=NEW_PASSWORD, confirm_password=NEW_PASSWORD
        )
        callback(hosted, done)
    got = admin.admin_get_user(UserPoolId=hosted.pool_id, Username=user)
    assert got["UserStatus"] == "CONFIRMED"


def _mfa_pool(server: Server, mode: str = "OPTIONAL", sms: bool = True) -> Hosted:
    hosted = hosted_client(server)
    config: dict[str, object] = {
        "UserPoolId": hosted.pool_id,
        "MfaConfiguration": mode,
        "SoftwareTokenMfaConfiguration": {"Enabled": True},
    }
    if sms:
        config["SmsMfaConfiguration"] = {"SmsAuthenticationMessage": "Your code is {####}"}
    server.admin().set_user_pool_mfa_config(**config)
    return hosted


def test_mfa_by_authenticator_app_and_by_text_and_the_choice(sqlite_server: Server) -> None:
    hosted = _mfa_pool(sqlite_server)
    admin = sqlite_server.admin()
    phone = "+8190" + str(secrets.randbelow(10**8)).zfill(8)
    user = make_user(
        sqlite_server,
        hosted.pool_id,
        attributes={"phone_number": phone, "phone_number_verified": "true"},
    )
    totp = enroll_totp(sqlite_server, hosted.pool_id, hosted.client_id, user)
    with hosted.http() as http:
        page = log_in(http, hosted, user)
        assert page.status_code == 200 and 'id="mfa-form"' in page.text
        assert "authenticator app" in page.text
        form = forms_of(page.text)[0]
        assert form.autocomplete["code"] == "one-time-code"
        wrong = submit(http, page, "mfa-form", code="00000")
        assert wrong.status_code == 400 and "code is not correct" in error_of(wrong)
        callback(hosted, submit(http, wrong, "mfa-form", code=totp.code()))

    # By text message: the code from the outbox.
    admin.admin_set_user_mfa_preference(
        UserPoolId=hosted.pool_id,
        Username=user,
        SMSMfaSettings={"Enabled": True, "PreferredMfa": True},
        SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": False},
    )
    with hosted.http() as http:
        page = log_in(http, hosted, user)
        assert 'id="mfa-form"' in page.text and "text message" in page.text
        code = sqlite_server.latest_code(hosted.pool_id, phone)
        callback(hosted, submit(http, page, "mfa-form", code=code))

    # Both enabled, neither preferred: the user chooses.
    admin.admin_set_user_mfa_preference(
        UserPoolId=hosted.pool_id,
        Username=user,
        SMSMfaSettings={"Enabled": True, "PreferredMfa": False},
        SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": False},
    )
    with hosted.http() as http:
        page = log_in(http, hosted, user)
        assert 'id="mfa-select-form"' in page.text, page.text[:3000]
        assert 'id="mfa-sms-mfa"' in page.text and 'id="mfa-software-token-mfa"' in page.text
        chosen = submit(http, page, "mfa-select-form", factor="SMS_MFA")
        assert 'id="mfa-form"' in chosen.text and "text message" in chosen.text
        code = sqlite_server.latest_code(hosted.pool_id, phone)
        callback(hosted, submit(http, chosen, "mfa-form", code=code))


def test_authenticator_set_up_with_a_qr_code(sqlite_server: Server) -> None:
    hosted = _mfa_pool(sqlite_server, "ON", sms=False)
    user = make_user(sqlite_server, hosted.pool_id)
    with hosted.http() as http:
        page = log_in(http, hosted, user)
        assert page.status_code == 200 and 'id="mfa-setup-form"' in page.text, page.text[:3000]
        assert re.search(
            r'<img id="totp-qr" class="qr" src="data:image/svg\+xml;base64,', page.text
        )
        secret = re.search(r'<code id="totp-secret"[^>]*>([A-Z2-7]+)</code>', page.text)
        assert secret
        totp = Totp(secret.group(1))
        wrong = submit(http, page, "mfa-setup-form", code="000000")
        assert wrong.status_code == 400 and "code is not correct" in error_of(wrong)
        done = submit(http, wrong, "mfa-setup-form", code=totp.code(), device_name="phone")
        callback(hosted, done)
    # Set up: the next sign-in asks for the app's code.
    with hosted.http() as http:
        page = log_in(http, hosted, user)
        assert 'id="mfa-form"' in page.text
        callback(hosted, submit(http, page, "mfa-form", code=totp.code()))


def test_the_otpauth_uri_names_the_pool() -> None:
    from mamori.api.hosted_ui.totp_setup import otpauth_uri

    uri = otpauth_uri("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "ann@example.com", "My Pool")
    assert (
        uri
        == "otpauth://totp/My%20Pool%3Aann%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=My%20Pool"
    )
    parsed = pyotp.parse_uri(uri)
    assert parsed.issuer == "My Pool" and parsed.name.endswith("ann@example.com")


def test_first_factor_choice_and_an_emailed_code(sqlite_server: Server) -> None:
    policy = {"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "EMAIL_OTP"]}}
    hosted = hosted_client(sqlite_server, pool={"Policies": policy})
    user = make_user(sqlite_server, hosted.pool_id)
    with hosted.http() as http:
        page = login_page(http, hosted)
        assert 'id="other-options-button"' in page.text
        choose = submit(http, page, "login-form", username=user, action="choose")
        assert choose.status_code == 200 and 'id="choose-form"' in choose.text, choose.text[:3000]
        assert 'id="factor-email-otp"' in choose.text and 'id="factor-password"' in choose.text
        assert "PASSWORD_SRP" not in choose.text
        sent = submit(http, choose, "choose-form", factor="EMAIL_OTP")
        assert 'id="mfa-form"' in sent.text and "by email" in sent.text, sent.text[:3000]
        code = sqlite_server.latest_code(hosted.pool_id, f"{user}@example.com")
        callback(hosted, submit(http, sent, "mfa-form", code=code))
        # The password among the choices works too.
        page = login_page(http, hosted, prompt="login")
        choose = submit(http, page, "login-form", username=user, action="choose")
        callback(hosted, submit(http, choose, "choose-form", factor="PASSWORD", password=PASSWORD))
        # An unknown name gets the page a user without a verified address gets, named as typed.
        nobody = f"nobody-{secrets.token_hex(3)}"
        page = login_page(http, hosted, prompt="login")
        choose = submit(http, page, "login-form", username=nobody, action="choose")
        assert choose.status_code == 200 and f"Signing in as {nobody}" in choose.text
        assert 'id="factor-password"' in choose.text and 'id="factor-email-otp"' not in choose.text
        refused = submit(http, choose, "choose-form", factor="PASSWORD", password=PASSWORD)
        assert refused.status_code == 400 and error_of(refused) == WRONG


def test_a_tampered_or_spent_session_starts_over(http: httpx.Client, hosted: Hosted) -> None:
    user = f"temp-{secrets.token_hex(3)}"
    hosted.server.admin().admin_create_user(
        UserPoolId=hosted.pool_id,
        Username=user,
        TemporaryPassword="Temp0rary-Pass!",
        MessageAction="SUPPRESS",
    )
    page = log_in(http, hosted, user, "Temp0rary-Pass!")
    tampered = submit(
        http,
        page,
        "new-password-form",
        session="v1.nonsense",
        password=NEW_PASSWORD,
        confirm_password=NEW_PASSWORD,
    )
    assert tampered.status_code == 400 and 'id="login-form"' in tampered.text
    assert "Please sign in again" in error_of(tampered)
    callback(
        hosted,
        submit(
            http, page, "new-password-form", password=NEW_PASSWORD, confirm_password=NEW_PASSWORD
        ),
    )
    spent = submit(
        http, page, "new-password-form", password=NEW_PASSWORD, confirm_password=NEW_PASSWORD
    )
    assert spent.status_code == 400 and 'id="login-form"' in spent.text
    # A challenge page asked for without a form goes back to /login.
    back = http.get(page_url(hosted, "/mfa"))
    assert back.status_code == 303 and "/login?" in back.headers["location"]


def test_the_pages_in_japanese(http: httpx.Client, hosted: Hosted) -> None:
    by_lang = login_page(http, hosted, lang="ja")
    assert '<html lang="ja">' in by_lang.text and "サインイン" in by_lang.text
    with hosted.http() as other:
        other.headers["accept-language"] = "ja-JP,ja;q=0.9,en;q=0.5"
        by_header = other.get(page_url(hosted, "/login"))
        assert '<html lang="ja">' in by_header.text and "パスワード" in by_header.text
        refused = submit(
            other, by_header, "login-form", username="nobody", password="x", action="password"
        )
        assert refused.status_code == 400
        assert error_of(refused) != WRONG and "パスワード" in error_of(refused)
    # lang wins over Accept-Language; an unknown one falls back to English.
    english = http.get(page_url(hosted, "/login", lang="xx"), headers={"accept-language": "de"})
    assert '<html lang="de">' in english.text
    assert '<html lang="en">' in http.get(page_url(hosted, "/login", lang="xx")).text


def test_the_rate_limit_reads_the_same_for_known_and_unknown_users(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    with limited_server(tmp_path_factory.mktemp("limited"), "sqlite") as server:
        hosted = hosted_client(server)
        user = make_user(server, hosted.pool_id)

        def throttled_after(username: str) -> int:
            with hosted.http() as http:
                http.headers["x-forwarded-for"] = fresh_ip()
                for attempt in range(1, 3 * PER_IP):
                    answer = log_in(http, hosted, username, "Wr0ng-Password!")
                    assert answer.status_code == 400
                    if error_of(answer) != WRONG:
                        assert error_of(answer).startswith("Too many requests")
                        return attempt
            raise AssertionError("never throttled")

        assert throttled_after(user) == throttled_after(f"nobody-{secrets.token_hex(3)}")


def test_a_pool_signing_in_by_email_asks_for_the_email(sqlite_server: Server) -> None:
    hosted = hosted_client(sqlite_server, pool={"UsernameAttributes": ["email"]})
    email = f"ann-{secrets.token_hex(3)}@example.com"
    admin = sqlite_server.admin()
    admin.admin_create_user(
        UserPoolId=hosted.pool_id,
        Username=email,
        MessageAction="SUPPRESS",
        UserAttributes=[
            {"Name": "email", "Value": email},
            {"Name": "email_verified", "Value": "true"},
        ],
    )
    admin.admin_set_user_password(
        UserPoolId=hosted.pool_id, Username=email, Password=PASSWORD, Permanent=True
    )
    with hosted.http() as http:
        page = login_page(http, hosted)
        form = forms_of(page.text)[0]
        assert form.types["username"] == "email" and "Email address" in page.text
        assert form.autocomplete["username"] == "username email"
        callback(hosted, submit(http, page, "login-form", username=email, password=PASSWORD))


def test_mfa_by_email(sqlite_server: Server) -> None:
    hosted = hosted_client(sqlite_server)
    admin = sqlite_server.admin()
    admin.set_user_pool_mfa_config(
        UserPoolId=hosted.pool_id,
        MfaConfiguration="OPTIONAL",
        EmailMfaConfiguration={"Message": "Code {####}", "Subject": "Sign-in code"},
    )
    user = make_user(sqlite_server, hosted.pool_id)
    admin.admin_set_user_mfa_preference(
        UserPoolId=hosted.pool_id,
        Username=user,
        EmailMfaSettings={"Enabled": True, "PreferredMfa": True},
    )
    with hosted.http() as http:
        page = log_in(http, hosted, user)
        assert 'id="mfa-form"' in page.text and "by email" in page.text, page.text[:3000]
        assert "Enter your verification code" in page.text
        code = sqlite_server.latest_code(hosted.pool_id, f"{user}@example.com")
        callback(hosted, submit(http, page, "mfa-form", code=code))


UNAVAILABLE = "Login option is not available. Please try another one."


def test_a_client_without_cognito_shows_only_its_provider_buttons(sqlite_server: Server) -> None:
    """SupportedIdentityProviders without COGNITO: the login page has the provider buttons
    and the corporate email form only; every page of the pool's own users refuses (the login
    page again, with Cognito's "Login option is not available"), a right password included."""
    hosted = hosted_client(sqlite_server)
    admin = sqlite_server.admin()
    admin.create_identity_provider(
        UserPoolId=hosted.pool_id,
        ProviderName="Corp",
        ProviderType="OIDC",
        ProviderDetails={
            "client_id": "rp",
            "client_secret": "s3cret",
            "attributes_request_method": "GET",
            "oidc_issuer": "https://idp.corp.example",
            "authorize_scopes": "openid email",
        },
        IdpIdentifiers=["corp.example"],
    )
    client_id = make_code_client(sqlite_server, hosted.pool_id, hosted.redirect_uri, ["Corp"])
    buttons = dataclasses.replace(hosted, client_id=client_id)
    user = make_user(sqlite_server, hosted.pool_id)
    with buttons.http() as http:
        # /oauth2/authorize without a provider: the login page, as for any client.
        to_login = http.get(page_url(buttons, "/oauth2/authorize"))
        assert to_login.status_code == 302 and "/login?" in to_login.headers["location"]
        page = login_page(http, buttons)
        assert [f.action.split("?")[0] for f in forms_of(page.text)] == [
            f"{buttons.by_path}/login/corporate"
        ]
        assert 'data-provider="Corp"' in page.text and 'id="corporate-email"' in page.text
        for absent in ('id="login-form"', 'id="username"', "forgot-password-link", "sign-up"):
            assert absent not in page.text
        csrf = forms_of(page.text)[0].fields["_csrf"]
        # A password sign-in posted all the same (the right password): refused, no code.
        posted = http.post(
            page_url(buttons, "/login"),
            data={"username": user, "password": PASSWORD, "action": "password", "_csrf": csrf},
        )
        assert posted.status_code == 400 and error_of(posted) == UNAVAILABLE
        assert 'id="login-form"' not in posted.text and "mamori_session" not in http.cookies
        # Sign-up, confirmation, password reset and the challenge pages: the same.
        for method, path in [
            ("GET", "/signup"),
            ("POST", "/signup"),
            ("GET", "/confirmUser"),
            ("POST", "/resendCode"),
            ("GET", "/forgotPassword"),
            ("POST", "/forgotPassword"),
            ("POST", "/confirmForgotPassword"),
            ("POST", "/login/choose"),
            ("POST", "/forceChangePassword"),
            ("POST", "/mfa"),
        ]:
            data = {"username": user, "_csrf": csrf} if method == "POST" else None
            answer = http.request(method, page_url(buttons, path), data=data)
            assert answer.status_code == 400, (method, path, answer.status_code)
            assert error_of(answer) == UNAVAILABLE, (method, path)
        # The corporate form still routes; an unknown domain says so, with nothing below.
        corporate = submit(http, page, "corporate-form", corporate_email="x@other.example")
        assert corporate.status_code == 400
        assert "Please check it." in corporate.text and 'id="login-form"' not in corporate.text
        corporate_form = forms_of(page.text)[0]
        routed = http.post(
            urllib.parse.urljoin(str(page.url), corporate_form.action),
            data={**corporate_form.fields, "corporate_email": "dana@corp.example"},
        )
        assert routed.status_code == 303
        assert "/login/corporate?" in routed.headers["location"]
        assert "idp_identifier=corp.example" in routed.headers["location"]
        # The same page in Japanese.
        ja = http.get(page_url(buttons, "/signup", lang="ja"))
        assert error_of(ja) == "このサインイン方法は利用できません。別の方法をお試しください。"
    # Neither COGNITO nor any provider: no login page; the client is told (its callback).
    nothing = make_client(
        sqlite_server,
        hosted.pool_id,
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=["openid"],
        CallbackURLs=[hosted.redirect_uri],
    )["ClientId"]
    with hosted.http() as http:
        for path in ("/oauth2/authorize", "/login"):
            refused = http.get(page_url(hosted, path, client_id=str(nothing), scope="openid"))
            assert refused.status_code == 302, path
            back = dict(urllib.parse.parse_qsl(refused.headers["location"].split("?", 1)[1]))
            assert back["error"] == "unauthorized_client" and back["state"] == "st"
            assert "neither COGNITO" in back["error_description"]


def test_a_breached_password_is_blocked_only_once_proven(sqlite_server: Server) -> None:
    """Threat protection (ENFORCED, BLOCK) on the hosted page: a wrong password reads as any
    other; the right one, on the shipped breached list, is refused with its own message, and
    the user, now RESET_REQUIRED, is sent to the reset page at the next try."""
    lax = {
        "MinimumLength": 6,
        "RequireUppercase": False,
        "RequireLowercase": False,
        "RequireNumbers": False,
        "RequireSymbols": False,
    }
    hosted = hosted_client(
        sqlite_server,
        {
            "Policies": {"PasswordPolicy": lax},
            "UserPoolAddOns": {"AdvancedSecurityMode": "ENFORCED"},
        },
    )
    sqlite_server.admin().set_risk_configuration(
        UserPoolId=hosted.pool_id,
        CompromisedCredentialsRiskConfiguration={
            "EventFilter": ["SIGN_IN"],  # so that the administrator can set it below
            "Actions": {"EventAction": "BLOCK"},
        },
    )
    user = make_user(sqlite_server, hosted.pool_id, password="password1")  # on the list
    with hosted.http() as http:
        assert error_of(log_in(http, hosted, user, "not-the-password")) == WRONG
        blocked = log_in(http, hosted, user, "password1")
        assert blocked.status_code == 400
        assert error_of(blocked) == (
            "This sign-in was blocked for security reasons. Please reset your password."
        )
        again = log_in(http, hosted, user, "password1")
        assert "/forgotPassword" in str(again.url) or "/forgotPassword" in again.headers.get(
            "location", ""
        )
