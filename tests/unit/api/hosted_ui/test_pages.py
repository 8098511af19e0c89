"""The pages' framework without a server: CSP sources for the client's callback, templates
autoescaped and laid out for screen readers, posted forms read strictly."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mamori.api.hosted_ui.errors import error_page
from mamori.api.hosted_ui.forms import FormError, read_form
from mamori.api.hosted_ui.headers import content_security_policy
from mamori.api.hosted_ui.pages import callback_sources
from mamori.api.hosted_ui.rendering import provider_label, render_template
from mamori.protocols.oauth2.errors import InvalidRequest


@pytest.mark.parametrize(
    ("uri", "sources"),
    [
        ("https://app.example.com/cb?x=1", ["https://app.example.com"]),
        ("http://localhost:3000/callback", ["http://localhost:3000"]),
        ("http://[::1]:8080/cb", ["http://[::1]:8080"]),
        ("myapp://callback", ["myapp:"]),
        ("com.example.app:/oauth", ["com.example.app:"]),
        ("https://user:pass@host/cb", []),
        ("https://a b/cb", []),
        ("https://host;script-src */", []),
        ("1bad://x", []),
    ],
)
def test_callback_sources(uri: str, sources: list[str]) -> None:
    assert callback_sources(uri) == sources


def test_the_policy() -> None:
    assert content_security_policy(["https://b", "https://a", "https://a"]) == (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; "
        "form-action 'self' https://a https://b; frame-ancestors 'none'; base-uri 'none'"
    )


def _render(template: str, **values: object) -> str:
    common: dict[str, object] = {
        "stylesheet": None,
        "error": None,
        "notice": None,
        "field_errors": {},
        "csrf_field": "_csrf",
        "csrf": lambda form: f"token-{form}",
        "url": lambda path, **extra: path,
    }
    response = render_template(template, "en", {**common, **values})
    return bytes(response.body).decode()


def test_new_password_lists_the_required_attributes_with_labels() -> None:
    page = _render(
        "new_password.html",
        session="sealed",
        required=["name", "custom:team"],
        values={"attribute:name": "<Ann>"},
        attribute_labels={"name": "Name"},
        attribute_autocomplete={"name": "name"},
        error="Incorrect username or password.",
    )
    assert '<label for="attribute-name" class="label-customizable">Name</label>' in page
    assert 'name="attribute:name"' in page and 'value="&lt;Ann&gt;"' in page
    assert 'autocomplete="name"' in page
    assert 'id="attribute-custom-team"' in page and ">custom:team</label>" in page
    assert '<input type="hidden" name="_csrf" value="token-new-password">' in page
    # The form's error is announced and tied to every field.
    assert 'id="form-error"' in page and 'role="alert"' in page
    assert page.count('aria-describedby="form-error"') == 4
    assert "<script" not in page and " style=" not in page


def _client(app: Starlette) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


@pytest.mark.anyio
async def test_error_page_escapes_and_sets_the_headers() -> None:
    async def route(request: Request) -> Response:
        return error_page(request, InvalidRequest("<b>bad</b>"), 400)

    async with _client(Starlette(routes=[Route("/e", route)])) as client:
        answer = await client.get("/e?lang=ja")
    assert answer.status_code == 400 and '<html lang="ja">' in answer.text
    assert "&lt;b&gt;bad&lt;/b&gt;" in answer.text and "<b>" not in answer.text
    assert answer.headers["x-frame-options"] == "DENY"


def _form_app() -> Starlette:
    async def route(request: Request) -> Response:
        try:
            return JSONResponse(dict(await read_form(request, max_bytes=64)))
        except FormError as exc:
            return JSONResponse({"error": str(exc)}, status_code=exc.status)

    return Starlette(routes=[Route("/f", route, methods=["POST"])])


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"a=1&b=", "application/x-www-form-urlencoded", 200),
        (b"a=1&b=", "application/x-www-form-urlencoded; charset=utf-8", 200),
        (b"a=1&a=2", "application/x-www-form-urlencoded", 400),
        (b"a=%ff", "application/x-www-form-urlencoded", 400),
        (b"a=%00", "application/x-www-form-urlencoded", 400),
        (b"a=" + b"x" * 100, "application/x-www-form-urlencoded", 413),
        (b'{"a": 1}', "application/json", 415),
        (b"a=1", "multipart/form-data; boundary=x", 415),
    ],
)
@pytest.mark.anyio
async def test_forms_are_read_strictly(body: bytes, content_type: str, status: int) -> None:
    async with _client(_form_app()) as client:
        answer = await client.post("/f", content=body, headers={"content-type": content_type})
    assert answer.status_code == status, answer.text
    if status == 200:
        assert answer.json() == {"a": "1", "b": ""}


def test_social_buttons_say_apple_and_amazon_others_their_names() -> None:
    assert [provider_label(n) for n in ("SignInWithApple", "LoginWithAmazon")] == [
        "Apple",
        "Amazon",
    ]
    assert [provider_label(n) for n in ("Google", "Facebook", "Corp")] == [
        "Google",
        "Facebook",
        "Corp",
    ]
