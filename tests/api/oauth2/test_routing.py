"""A pool domain's own answers over HTTP (api/oauth2/routing.py), by Host and by path prefix: a
method a route doesn't take (405) and a path the domain doesn't have (404) are RFC 6749 JSON on
the back-channel endpoints and the error page elsewhere, and every answer of the domain carries
the hosted pages' security headers, its own caching kept."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from tests.support.hosted import Hosted, make_hosted
from tests.support.live import Server

SECURITY = {
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
}


@pytest.fixture(scope="module")
def site(sqlite_server: Server) -> Hosted:
    return make_hosted(sqlite_server)


@pytest.fixture(scope="module")
def http(site: Hosted) -> Iterator[httpx.Client]:
    with site.http() as client:
        yield client


@pytest.fixture(params=["by_host", "by_path"])
def base(request: pytest.FixtureRequest, site: Hosted) -> str:
    return str(getattr(site, request.param))


def assert_secured(response: httpx.Response, no_store: bool = True) -> None:
    headers = response.headers
    assert headers["content-security-policy"].startswith("default-src 'none'")
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert {name: headers.get(name) for name in SECURITY} == SECURITY
    if no_store:
        assert headers["cache-control"] == "no-store" and headers["pragma"] == "no-cache"


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("GET", "/oauth2/token", "POST"),
        ("PUT", "/oauth2/token", "POST"),
        ("GET", "/oauth2/revoke", "POST"),
        ("DELETE", "/oauth2/userInfo", "GET, HEAD, POST"),
    ],
)
def test_a_wrong_method_on_a_back_channel_endpoint_is_json(
    http: httpx.Client, base: str, method: str, path: str, allow: str
) -> None:
    response = http.request(method, f"{base}{path}")
    assert response.status_code == 405
    assert response.headers["allow"] == allow
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["error"] == "invalid_request"
    assert body["error_description"] == f"This method is not allowed here; use {allow}."
    assert_secured(response)


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("POST", "/oauth2/authorize", "GET, HEAD"),
        ("DELETE", "/login", "GET, HEAD, POST"),
        ("PUT", "/signup", "GET, HEAD, POST"),
        ("POST", "/logout", "GET, HEAD"),
        ("POST", "/.well-known/openid-configuration", "GET, HEAD"),
        ("POST", "/static/mamori.css", "GET, HEAD"),
        ("PATCH", "/static/custom.css", "GET, HEAD"),
    ],
)
def test_a_wrong_method_elsewhere_is_the_error_page(
    http: httpx.Client, base: str, method: str, path: str, allow: str
) -> None:
    response = http.request(method, f"{base}{path}", headers={"Accept-Language": "ja"})
    assert response.status_code == 405
    assert response.headers["allow"] == allow
    assert response.headers["content-type"].startswith("text/html")
    assert '<code id="error-code">invalid_request</code>' in response.text
    assert f"This method is not allowed here; use {allow}." in response.text
    assert '<html lang="ja">' in response.text  # the pages' own error page, in their language
    assert_secured(response)


def test_a_path_the_domain_does_not_have_is_the_error_page(http: httpx.Client, base: str) -> None:
    response = http.get(f"{base}/no-such-page/<script>")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert '<code id="error-code">invalid_request</code>' in response.text
    assert "Nothing is served at this address." in response.text
    assert "<script>" not in response.text and "no-such-page" not in response.text
    assert_secured(response)


def test_every_answer_carries_the_headers_keeping_its_own_caching(
    http: httpx.Client, base: str, site: Hosted
) -> None:
    # JSON errors and answers of the back-channel endpoints.
    token = http.post(f"{base}/oauth2/token", data={"grant_type": "password"})
    assert token.status_code == 400 and token.json()["error"] == "unsupported_grant_type"
    assert_secured(token)
    user_info = http.get(f"{base}/oauth2/userInfo")
    assert user_info.status_code == 401 and user_info.headers["www-authenticate"]
    assert_secured(user_info)
    discovery = http.get(f"{base}/.well-known/openid-configuration")
    assert discovery.status_code == 200 and discovery.json()["issuer"] == site.issuer
    assert_secured(discovery)
    # The keys are cached as before (by path prefix the API's own route answers them).
    keys = http.get(f"{site.by_host}/.well-known/jwks.json")
    assert keys.status_code == 200 and keys.headers["cache-control"] == "public, max-age=300"
    assert "pragma" not in keys.headers
    assert_secured(keys, no_store=False)
    # The branding stylesheet keeps its minute.
    css = http.get(f"{base}/static/custom.css", params={"client_id": site.client_id})
    assert css.status_code == 200 and css.headers["cache-control"] == "private, max-age=60"
    assert_secured(css, no_store=False)
    # A page's own form-action (the client's callback origin) is not replaced.
    login = http.get(
        f"{base}/oauth2/authorize",
        params={
            "client_id": site.client_id,
            "response_type": "code",
            "redirect_uri": site.redirect_uri,
            "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "code_challenge_method": "S256",
        },
    )
    assert login.status_code == 302
    page = http.get(login.headers["location"])
    assert page.status_code == 200
    assert "form-action 'self' http://localhost:3000" in page.headers["content-security-policy"]
    assert_secured(page)
