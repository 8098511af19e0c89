"""The password reset pages over HTTP (httpx against a live server): /forgotPassword and
/confirmForgotPassword, each branch; the code comes from the outbox, and an unknown user gets
the same page as a known one."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import httpx
from tests.support.guard import PER_IP, limited_server
from tests.support.hosted_pages import PASSWORD, Hosted, hosted_client, page_url, submit
from tests.support.live import Server

NEW_PASSWORD = "Another-horse-2"


def make_user(hosted: Hosted) -> tuple[str, str]:
    """A confirmed user with a verified email: (username, email)."""
    username = f"rita-{secrets.token_hex(3)}"
    email = f"{username}@example.com"
    hosted.server.admin().admin_create_user(
        UserPoolId=hosted.pool_id,
        Username=username,
        UserAttributes=[
            {"Name": "email", "Value": email},
            {"Name": "email_verified", "Value": "true"},
        ],
        MessageAction="SUPPRESS",
    )
    hosted.server.admin().admin_set_user_password(
        UserPoolId=hosted.pool_id, Username=username, Password=PASSWORD, Permanent=True
    )
    return username, email


def main_of(page: httpx.Response) -> str:
    """The page's <main>, without the form's CSRF token and the username echoed back."""
    found = re.search(r"<main.*</main>", page.text, re.S)
    assert found, page.text[:2000]
    text = re.sub(r'name="_csrf" value="[^"]*"', "", found.group(0))
    return re.sub(r'value="[^"]*"', 'value=""', text)


def forgot(http: httpx.Client, hosted: Hosted, username: str) -> httpx.Response:
    page = http.get(page_url(hosted, "/forgotPassword"))
    assert page.status_code == 200, page.text[:2000]
    return submit(http, page, "forgot-form", username=username)


def sign_in(hosted: Hosted, username: str, password: str) -> None:
    hosted.server.admin().admin_initiate_auth(
        UserPoolId=hosted.pool_id,
        ClientId=hosted.client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )


def test_forgot_and_reset_with_the_code_from_the_outbox(http: httpx.Client, hosted: Hosted) -> None:
    username, email = make_user(hosted)
    sent = forgot(http, hosted, username)
    assert sent.status_code == 200, sent.text[:3000]
    assert 'id="reset-form"' in sent.text and "We sent a code by email to" in sent.text
    code = hosted.server.latest_code(hosted.pool_id, email)
    done = submit(
        http, sent, "reset-form", code=code, password=NEW_PASSWORD, confirm_password=NEW_PASSWORD
    )
    assert done.status_code == 200, done.text[:3000]
    assert 'id="outcome"' in done.text and "Your password has been changed." in done.text
    sign_in(hosted, username, NEW_PASSWORD)


def test_a_bad_code_a_weak_password_and_a_mismatch_are_refused(
    http: httpx.Client, hosted: Hosted
) -> None:
    username, email = make_user(hosted)
    sent = forgot(http, hosted, username)
    code = hosted.server.latest_code(hosted.pool_id, email)
    wrong = "000000" if code != "000000" else "111111"
    bad = submit(
        http, sent, "reset-form", code=wrong, password=NEW_PASSWORD, confirm_password=NEW_PASSWORD
    )
    assert bad.status_code == 400 and 'id="code-error"' in bad.text
    weak = submit(
        http, bad, "reset-form", code=code, password="weakpass1!", confirm_password="weakpass1!"
    )
    assert weak.status_code == 400
    assert 'id="password-error"' in weak.text
    assert "Your password must contain an uppercase letter." in weak.text
    differ = submit(
        http,
        weak,
        "reset-form",
        code=code,
        password=NEW_PASSWORD,
        confirm_password="x" + NEW_PASSWORD,
    )
    assert differ.status_code == 400 and 'id="confirm_password-error"' in differ.text
    # None of them spent the code.
    done = submit(
        http, differ, "reset-form", code=code, password=NEW_PASSWORD, confirm_password=NEW_PASSWORD
    )
    assert done.status_code == 200, done.text[:3000]
    sign_in(hosted, username, NEW_PASSWORD)


def test_an_unknown_user_gets_the_same_pages(http: httpx.Client, hosted: Hosted) -> None:
    known, _email = make_user(hosted)
    unknown = f"nobody-{secrets.token_hex(3)}"
    known_page = forgot(http, hosted, known)
    unknown_page = forgot(http, hosted, unknown)
    assert unknown_page.status_code == known_page.status_code == 200
    # The same page but the masked address (the unknown one is made up from the username).
    masked = re.compile(r"to [^ <]+\. Enter")
    known_main = masked.sub("", main_of(known_page)).replace(known, "NAME")
    unknown_main = masked.sub("", main_of(unknown_page)).replace(unknown, "NAME")
    assert known_main == unknown_main
    refused = submit(
        http,
        unknown_page,
        "reset-form",
        code="123456",
        password=NEW_PASSWORD,
        confirm_password=NEW_PASSWORD,
    )
    assert refused.status_code == 400 and 'id="code-error"' in refused.text
    assert "There is no account" not in refused.text


def test_japanese(http: httpx.Client, hosted: Hosted) -> None:
    page = http.get(page_url(hosted, "/forgotPassword", lang="ja"))
    assert "パスワードをお忘れですか?" in page.text
    sent = submit(http, page, "forgot-form", username=f"nobody-{secrets.token_hex(3)}")
    assert "宛てにメールでコードを送信しました" in sent.text
    assert "パスワードのリセット" in sent.text


def test_admin_only_recovery_is_refused_for_everyone(sqlite_server: Server) -> None:
    hosted = hosted_client(
        sqlite_server,
        pool={
            "AccountRecoverySetting": {
                "RecoveryMechanisms": [{"Name": "admin_only", "Priority": 1}]
            }
        },
    )
    with hosted.http() as http:
        answer = forgot(http, hosted, "anyone")
    assert answer.status_code == 400
    assert "Your password cannot be reset here." in answer.text, main_of(answer)


def test_the_apis_rate_limits_apply(tmp_path: Path) -> None:
    """ForgotPassword's limits (the API's, by operation name) on the page too: per IP here."""
    with limited_server(tmp_path, "sqlite") as server:
        hosted = hosted_client(server)
        with hosted.http() as http:
            answers = [forgot(http, hosted, "same-name") for _ in range(PER_IP + 1)]
    assert all(a.status_code == 200 for a in answers[:PER_IP])
    assert answers[-1].status_code == 400
    assert "Too many requests." in answers[-1].text
