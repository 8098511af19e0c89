"""The sign-up pages over HTTP (httpx against a live server): /signup, /confirmUser and
/resendCode, each branch, in English and Japanese; the code comes from the outbox."""

from __future__ import annotations

import secrets
import urllib.parse
from typing import Any

import httpx
import pytest
from tests.support.hosted_pages import (
    PASSWORD,
    Hosted,
    forms_of,
    hosted_client,
    page_url,
    submit,
)
from tests.support.live import Server


@pytest.fixture(scope="module")
def hosted(sqlite_server: Server) -> Hosted:
    return hosted_client(sqlite_server, pool={"Schema": [{"Name": "name", "Required": True}]})


def sign_up(http: httpx.Client, hosted: Hosted, username: str, **fields: Any) -> httpx.Response:
    page = http.get(page_url(hosted, "/signup"))
    assert page.status_code == 200, page.text[:2000]
    values = {"username": username, "password": PASSWORD, "name": "Alice", **fields}
    return submit(http, page, "signup-form", **values)


def test_sign_up_form_names_the_pools_fields(http: httpx.Client, hosted: Hosted) -> None:
    page = http.get(page_url(hosted, "/signup"))
    assert page.status_code == 200
    form = forms_of(page.text)[0]
    assert {"username", "password", "name", "email", "_csrf"} <= set(form.fields)
    assert form.types["password"] == "password"
    assert form.autocomplete["password"] == "new-password"
    assert 'id="password-requirements"' in page.text
    assert "at least 8 characters" in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'none'")
    assert page.headers["cache-control"] == "no-store"


def test_sign_up_confirm_with_the_code_signs_in(http: httpx.Client, hosted: Hosted) -> None:
    user = f"alice-{secrets.token_hex(3)}"
    email = f"{user}@example.com"
    answer = sign_up(http, hosted, user, email=email)
    assert answer.status_code == 200, answer.text[:3000]
    assert 'id="confirm-form"' in answer.text
    assert "We sent a code by email to" in answer.text
    assert urllib.parse.urlsplit(str(answer.url)).path.endswith("/confirmUser")  # 303, GET
    code = hosted.server.latest_code(hosted.pool_id, email)
    confirmed = submit(http, answer, "confirm-form", code=code)
    # Cognito's hosted UI: confirming right after signing up signs in (code to the client).
    assert confirmed.status_code == 303, confirmed.text[:3000]
    location = confirmed.headers["location"]
    assert location.startswith(hosted.redirect_uri + "?")
    params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
    assert params["state"] == "st" and params["code"]
    admin = hosted.server.admin()
    got = admin.admin_get_user(UserPoolId=hosted.pool_id, Username=user)
    assert got["UserStatus"] == "CONFIRMED"


def test_confirming_elsewhere_sends_to_sign_in(http: httpx.Client, hosted: Hosted) -> None:
    user = f"ann-{secrets.token_hex(3)}"
    email = f"{user}@example.com"
    sign_up(http, hosted, user, email=email)
    code = hosted.server.latest_code(hosted.pool_id, email)
    with hosted.http() as other:  # another browser: no proof it signed up
        page = other.get(page_url(hosted, "/confirmUser", username=user))
        assert page.status_code == 200
        confirmed = submit(other, page, "confirm-form", code=code)
    assert confirmed.status_code == 200, confirmed.text[:3000]
    assert 'id="outcome"' in confirmed.text and "confirmed" in confirmed.text
    assert 'id="sign-in-link"' in confirmed.text


def test_a_forged_ticket_does_not_sign_in(http: httpx.Client, hosted: Hosted) -> None:
    user = f"abe-{secrets.token_hex(3)}"
    email = f"{user}@example.com"
    answer = sign_up(http, hosted, user, email=email)
    ticket = forms_of(answer.text)[0].fields["ticket"]
    sub, expires, _mac = ticket.split(".")
    code = hosted.server.latest_code(hosted.pool_id, email)
    forged = f"{sub}.{int(expires) + 86400}.{_mac}"
    confirmed = submit(http, answer, "confirm-form", code=code, ticket=forged)
    assert confirmed.status_code == 200 and 'id="outcome"' in confirmed.text


def test_a_wrong_code_is_refused_and_resend_sends_another(
    http: httpx.Client, hosted: Hosted
) -> None:
    user = f"bob-{secrets.token_hex(3)}"
    email = f"{user}@example.com"
    answer = sign_up(http, hosted, user, email=email)
    first = hosted.server.latest_code(hosted.pool_id, email)
    wrong = "000000" if first != "000000" else "111111"
    refused = submit(http, answer, "confirm-form", code=wrong)
    assert refused.status_code == 400
    assert 'id="code-error"' in refused.text and "The code is not correct" in refused.text
    resent = submit(http, refused, "resend-form")
    assert resent.status_code == 200, resent.text[:3000]
    assert "We sent a new code to" in resent.text
    second = hosted.server.latest_code(hosted.pool_id, email)
    assert len(hosted.server.outbox(hosted.pool_id, email)) == 2
    done = submit(http, resent, "confirm-form", code=second)
    assert done.status_code == 303 and done.headers["location"].startswith(hosted.redirect_uri)


def test_password_policy_failure_in_words(http: httpx.Client, hosted: Hosted) -> None:
    user = f"carol-{secrets.token_hex(3)}"
    answer = sign_up(http, hosted, user, email=f"{user}@example.com", password="short")
    assert answer.status_code == 400
    assert 'id="password-error"' in answer.text
    assert "Your password must have at least 8 characters." in answer.text
    lower = sign_up(http, hosted, user, email=f"{user}@example.com", password="NOLOWER-123")
    assert "Your password must contain a lowercase letter." in lower.text
    admin = hosted.server.admin()
    with pytest.raises(admin.exceptions.UserNotFoundException):
        admin.admin_get_user(UserPoolId=hosted.pool_id, Username=user)


def test_a_missing_required_attribute_is_refused(http: httpx.Client, hosted: Hosted) -> None:
    user = f"dan-{secrets.token_hex(3)}"
    answer = sign_up(http, hosted, user, email=f"{user}@example.com", name="")
    assert answer.status_code == 400
    assert (
        'id="form-error"' in answer.text and "name: The attribute name is required" in answer.text
    )


def test_a_taken_username_legacy_says_so(http: httpx.Client, hosted: Hosted) -> None:
    user = f"erin-{secrets.token_hex(3)}"
    sign_up(http, hosted, user, email=f"{user}@example.com")
    again = sign_up(http, hosted, user, email=f"other-{user}@example.com")
    assert again.status_code == 400
    assert 'id="username-error"' in again.text and "User already exists." in again.text


def test_a_taken_username_with_prevent_user_existence_errors_looks_new(
    sqlite_server: Server,
) -> None:
    hosted = hosted_client(sqlite_server, PreventUserExistenceErrors="ENABLED")
    user = f"fay-{secrets.token_hex(3)}"
    with hosted.http() as http:
        first = sign_up(http, hosted, user, email=f"{user}@example.com")
        assert 'id="confirm-form"' in first.text
        code = hosted.server.latest_code(hosted.pool_id, f"{user}@example.com")
        submit(http, first, "confirm-form", code=code)
        again = sign_up(http, hosted, user, email=f"x-{user}@example.com")
        assert again.status_code == 200 and 'id="confirm-form"' in again.text
        assert "We sent a code by email to" in again.text
        assert "already" not in again.text
        # The confirmed user cannot be "confirmed" again: a wrong code, as for anyone.
        refused = submit(http, again, "confirm-form", code="123456")
        assert refused.status_code == 400 and 'id="code-error"' in refused.text
        resent = submit(http, refused, "resend-form")
        assert resent.status_code == 200 and "We sent a new code to" in resent.text
    assert not hosted.server.outbox(hosted.pool_id, f"x-{user}@example.com")


def test_admin_create_user_only_pool_refuses_sign_up(sqlite_server: Server) -> None:
    hosted = hosted_client(
        sqlite_server, pool={"AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True}}
    )
    with hosted.http() as http:
        page = http.get(page_url(hosted, "/signup"))
    assert page.status_code == 403
    assert "You cannot create an account here." in page.text
    assert "signup-form" not in page.text


def test_email_username_pool_asks_for_the_email(sqlite_server: Server) -> None:
    hosted = hosted_client(sqlite_server, pool={"UsernameAttributes": ["email"]})
    email = f"gil-{secrets.token_hex(3)}@example.com"
    with hosted.http() as http:
        page = http.get(page_url(hosted, "/signup"))
        form = forms_of(page.text)[0]
        assert form.types["username"] == "email" and "email" not in form.fields
        assert "Email address" in page.text
        answer = submit(http, page, "signup-form", username=email, password=PASSWORD)
        assert answer.status_code == 200, answer.text[:3000]
        code = hosted.server.latest_code(hosted.pool_id, email)
        done = submit(http, answer, "confirm-form", code=code)
    assert done.status_code == 303 and done.headers["location"].startswith(hosted.redirect_uri)


def test_csrf_token_is_required(http: httpx.Client, hosted: Hosted) -> None:
    page = http.get(page_url(hosted, "/signup"))
    answer = submit(
        http, page, "signup-form", _csrf="forged", username="mallory", password=PASSWORD, name="M"
    )
    assert answer.status_code == 403 and 'id="signup-form"' in answer.text


def test_japanese(http: httpx.Client, hosted: Hosted) -> None:
    page = http.get(page_url(hosted, "/signup", lang="ja"))
    assert page.status_code == 200
    assert '<html lang="ja">' in page.text
    assert "アカウントを作成" in page.text and "パスワード" in page.text
    user = f"hana-{secrets.token_hex(3)}"
    short = submit(
        http,
        page,
        "signup-form",
        username=user,
        password="short",
        name="花子",
        email=f"{user}@example.com",
    )
    assert "パスワードは 8 文字以上にしてください。" in short.text
    answer = sign_up(http, hosted, user, email=f"{user}@example.com")  # English page
    by_accept = http.get(
        page_url(hosted, "/confirmUser", username=user),
        headers={"Accept-Language": "ja-JP,ja;q=0.9"},
    )
    assert "アカウントの確認" in by_accept.text
    http.headers["Accept-Language"] = "ja"  # as a browser sends it with every request
    refused = submit(http, by_accept, "confirm-form", code="000000")
    assert "確認コードが正しくありません" in refused.text
    del answer


def test_phone_username_pool_texts_the_code(sqlite_server: Server) -> None:
    hosted = hosted_client(
        sqlite_server,
        pool={"UsernameAttributes": ["phone_number"], "AutoVerifiedAttributes": ["phone_number"]},
    )
    phone = "+8190" + str(secrets.randbelow(10**8)).zfill(8)
    with hosted.http() as http:
        page = http.get(page_url(hosted, "/signup"))
        form = forms_of(page.text)[0]
        assert form.types["username"] == "tel" and "phone_number" not in form.fields
        assert 'id="username-hint"' in page.text
        answer = submit(http, page, "signup-form", username=phone, password=PASSWORD)
        assert "We sent a code by text message to" in answer.text
        code = hosted.server.latest_code(hosted.pool_id, phone)
        done = submit(http, answer, "confirm-form", code=code)
    assert done.status_code == 303


def test_a_link_cannot_make_the_page_claim_a_code_was_sent(
    http: httpx.Client, hosted: Hosted
) -> None:
    http.get(page_url(hosted, "/signup"))  # the browser has its cookie
    forged = page_url(
        hosted,
        "/confirmUser",
        username="victim",
        sent="signup",
        medium="EMAIL",
        destination="call-us@evil.example",
        proof="0" * 64,
    )
    page = http.get(forged)
    assert page.status_code == 200 and "evil.example" not in page.text
