"""GET /oauth2/authorize on a live server (httpx): the domain by path prefix and by Host, the
redirect to the login page with the request carried on, errors as a page before the client and
redirect_uri are good and as a redirect (query or fragment) after, prompt=none."""

from __future__ import annotations

import secrets
import urllib.parse
from typing import Any

import httpx
import pytest
from tests.support.factories import make_client, make_pool
from tests.support.live import Server

CALLBACK = "https://app.example/cb"
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"  # RFC 7636 appendix B


class Setup:
    def __init__(self, server: Server) -> None:
        self.server = server
        self.pool_id = str(make_pool(server)["Id"])
        self.prefix = f"b2-{secrets.token_hex(4)}"
        server.admin().create_user_pool_domain(Domain=self.prefix, UserPoolId=self.pool_id)
        self.client_id = str(
            make_client(
                server,
                self.pool_id,
                AllowedOAuthFlowsUserPoolClient=True,
                AllowedOAuthFlows=["code", "implicit"],
                AllowedOAuthScopes=["openid", "email"],
                CallbackURLs=[CALLBACK],
                LogoutURLs=["https://app.example/bye"],
                SupportedIdentityProviders=["COGNITO"],
            )["ClientId"]
        )
        self.base = f"{server.url}/{self.pool_id}"

    def params(self, **extra: str) -> dict[str, str]:
        return {
            "client_id": self.client_id,
            "response_type": "code",
            "redirect_uri": CALLBACK,
            "code_challenge": CHALLENGE,
            "code_challenge_method": "S256",
            **extra,
        }

    def authorize(self, params: Any, **kwargs: Any) -> httpx.Response:
        return httpx.get(f"{self.base}/oauth2/authorize", params=params, timeout=10, **kwargs)


@pytest.fixture(scope="module")
def setup(server: Server) -> Setup:
    return Setup(server)


def split(location: str) -> tuple[str, dict[str, str], dict[str, str]]:
    parts = urllib.parse.urlsplit(location)
    base = urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    return (
        base,
        dict(urllib.parse.parse_qsl(parts.query)),
        dict(urllib.parse.parse_qsl(parts.fragment)),
    )


def test_a_good_request_goes_to_the_login_page(setup: Setup) -> None:
    response = setup.authorize(setup.params(state="st 1", lang="ja", login_hint="kim"))
    assert response.status_code == 302
    assert response.headers["cache-control"] == "no-store"
    base, query, _ = split(response.headers["location"])
    assert base == f"{setup.base}/login"
    assert query["client_id"] == setup.client_id and query["state"] == "st 1"
    assert query["scope"] == "openid email" and query["lang"] == "ja"
    assert query["login_hint"] == "kim" and query["code_challenge"] == CHALLENGE


def test_by_host_the_redirect_stays_on_the_domain(setup: Setup) -> None:
    port = urllib.parse.urlsplit(setup.server.url).port
    host = f"{setup.prefix}.auth.localhost:{port}"
    response = httpx.get(
        f"{setup.server.url}/oauth2/authorize",
        params=setup.params(),
        headers={"Host": host},
        timeout=10,
    )
    assert response.status_code == 302
    assert response.headers["location"].startswith(f"http://{host}/login?")
    # An unregistered prefix under the auth domain has no routes.
    other = {"Host": f"nobody-{setup.prefix}.auth.localhost:{port}"}
    assert httpx.get(f"{setup.server.url}/oauth2/authorize", headers=other).status_code == 404


def test_errors_before_the_redirect_is_known_are_a_page(setup: Setup) -> None:
    cases = [
        {},
        {**setup.params(), "client_id": "nosuchclient1234567890"},
        {**setup.params(), "redirect_uri": "https://evil.example/cb"},
        {**setup.params(), "redirect_uri": CALLBACK + "/"},
    ]
    for params in cases:
        response = setup.authorize(params)
        assert response.status_code == 400, params
        assert "location" not in response.headers
        assert "text/html" in response.headers["content-type"]
    # A repeated parameter (RFC 6749 section 3.1) or an oversized one.
    repeated = [*setup.params().items(), ("redirect_uri", "https://evil.example/cb")]
    assert setup.authorize(repeated).status_code == 400
    assert setup.authorize(setup.params(state="x" * 5000)).status_code == 400


@pytest.mark.parametrize(
    ("extra", "error"),
    [
        ({"response_type": "id_token"}, "unsupported_response_type"),
        ({"scope": "openid phone"}, "invalid_scope"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"identity_provider": "Google"}, "invalid_request"),
        ({"prompt": "none"}, "login_required"),
    ],
)
def test_errors_after_go_back_to_the_client(
    setup: Setup, extra: dict[str, str], error: str
) -> None:
    response = setup.authorize(setup.params(state="s", **extra))
    assert response.status_code == 302
    base, query, _ = split(response.headers["location"])
    assert base == CALLBACK and query["error"] == error and query["state"] == "s"


def test_implicit_grant_errors_go_in_the_fragment(setup: Setup) -> None:
    params = {"client_id": setup.client_id, "response_type": "token", "redirect_uri": CALLBACK}
    response = setup.authorize({**params, "prompt": "none", "state": "s"})
    base, query, fragment = split(response.headers["location"])
    assert base == CALLBACK and not query
    assert fragment["error"] == "login_required" and fragment["state"] == "s"


def test_only_get(setup: Setup) -> None:
    response = httpx.post(f"{setup.base}/oauth2/authorize", data=setup.params(), timeout=10)
    assert response.status_code == 405


def test_a_pool_without_a_domain_has_no_endpoints(server: Server) -> None:
    pool_id = make_pool(server)["Id"]
    response = httpx.get(f"{server.url}/{pool_id}/oauth2/authorize", timeout=10)
    assert response.status_code == 404
    discovery = httpx.get(f"{server.url}/{pool_id}/.well-known/openid-configuration").json()
    assert "authorization_endpoint" not in discovery


def test_discovery_names_the_form_the_request_used(setup: Setup) -> None:
    issuer = f"{setup.server.url}/{setup.pool_id}"
    by_path = httpx.get(f"{setup.base}/.well-known/openid-configuration", timeout=10).json()
    assert by_path["issuer"] == issuer
    assert by_path["jwks_uri"] == f"{issuer}/.well-known/jwks.json"
    assert by_path["authorization_endpoint"] == f"{setup.base}/oauth2/authorize"
    assert by_path["token_endpoint"] == f"{setup.base}/oauth2/token"
    assert by_path["userinfo_endpoint"] == f"{setup.base}/oauth2/userInfo"
    assert by_path["revocation_endpoint"] == f"{setup.base}/oauth2/revoke"
    assert by_path["end_session_endpoint"] == f"{setup.base}/logout"
    assert by_path["code_challenge_methods_supported"] == ["S256"]
    port = urllib.parse.urlsplit(setup.server.url).port
    host = f"{setup.prefix}.auth.localhost:{port}"
    by_host = httpx.get(
        f"{setup.server.url}/.well-known/openid-configuration", headers={"Host": host}
    ).json()
    assert by_host["issuer"] == issuer  # one issuer for every form
    assert by_host["authorization_endpoint"] == f"http://{host}/oauth2/authorize"
    jwks = httpx.get(f"{setup.server.url}/.well-known/jwks.json", headers={"Host": host})
    assert jwks.json() == httpx.get(by_host["jwks_uri"]).json()
