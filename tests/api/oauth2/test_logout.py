"""GET /logout on a live server (httpx): to one of the client's LogoutURLs or back to the login
page, the session cookie cleared either way; an error page, never a redirect, for anything else."""

from __future__ import annotations

import secrets
import urllib.parse

import httpx
import pytest
from tests.support.factories import make_code_client, make_pool
from tests.support.live import Server

CALLBACK = "https://app.example/cb"
BYE = "https://app.example/bye"
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


@pytest.fixture(scope="module")
def domain(server: Server) -> tuple[str, str]:
    pool_id = str(make_pool(server)["Id"])
    server.admin().create_user_pool_domain(Domain=f"out-{secrets.token_hex(4)}", UserPoolId=pool_id)
    client_id = make_code_client(
        server, pool_id, CALLBACK, ["COGNITO"], scopes=["openid"], LogoutURLs=[BYE]
    )
    return f"{server.url}/{pool_id}", client_id


def test_to_a_logout_url(domain: tuple[str, str]) -> None:
    base, client_id = domain
    response = httpx.get(f"{base}/logout", params={"client_id": client_id, "logout_uri": BYE})
    assert response.status_code == 302 and response.headers["location"] == BYE
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("mamori_session=") and "Max-Age=0" in cookie
    assert f"Path={urllib.parse.urlsplit(base).path}/" in cookie


def test_back_to_the_login_page(domain: tuple[str, str]) -> None:
    base, client_id = domain
    params = {
        "client_id": client_id,
        "redirect_uri": CALLBACK,
        "response_type": "code",
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
        "state": "again",
    }
    response = httpx.get(f"{base}/logout", params=params)
    assert response.status_code == 302
    location = urllib.parse.urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{base}/login"
    assert dict(urllib.parse.parse_qsl(location.query))["state"] == "again"


@pytest.mark.parametrize(
    "params",
    [
        {"logout_uri": BYE},
        {"client_id": "CLIENT"},
        {"client_id": "CLIENT", "logout_uri": "https://evil.example/"},
        {"client_id": "CLIENT", "logout_uri": BYE + "?next=https://evil.example/"},
        {"client_id": "CLIENT", "redirect_uri": "https://evil.example/cb", "response_type": "code"},
        {"client_id": "nosuchclient", "logout_uri": BYE},
    ],
)
def test_anything_else_is_an_error_page(domain: tuple[str, str], params: dict[str, str]) -> None:
    base, client_id = domain
    params = {k: v.replace("CLIENT", client_id) for k, v in params.items()}
    response = httpx.get(f"{base}/logout", params=params)
    assert response.status_code == 400 and "location" not in response.headers
    assert "set-cookie" not in response.headers or "mamori_session" not in response.headers.get(
        "set-cookie", ""
    )
