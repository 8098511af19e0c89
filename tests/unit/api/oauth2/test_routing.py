"""api/oauth2/routing.py: a pool domain's requests by Host or by path prefix, with the
DomainContext naming the form used; everything else reaches the API's routes untouched."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from mamori.api.hosts import HostAllowList
from mamori.api.oauth2.context import domain_of
from mamori.api.oauth2.routing import DomainRouting, origin
from mamori.api.proxies import ForwardedClient, TrustedProxies

POOL = "us-east-1_Abc123"
OTHER = "us-east-1_NoDomain"


class FakeDomains:
    def __init__(self) -> None:
        self.hosts = {"shop.auth.example.com": POOL, "login.shop.example": POOL}
        self.lookups: list[str] = []

    async def pool_for_host(self, host: str) -> str | None:
        self.lookups.append(host)
        return self.hosts.get(host)

    async def domain_of_pool(self, pool_id: str) -> str | None:
        self.lookups.append(pool_id)
        return "shop" if pool_id == POOL else None


async def _echo(request: Request) -> JSONResponse:
    ctx = domain_of(request)
    return JSONResponse(
        {
            "pool": ctx.pool_id,
            "base": ctx.base_url,
            "cookie_path": ctx.cookie_path,
            "login": ctx.url("/login", {"a": "b c"}),
        }
    )


async def _api(request: Request) -> PlainTextResponse:
    return PlainTextResponse("api " + request.url.path)


def make_app(domains: FakeDomains, allowed: tuple[str, ...] = ("api.example.com",)) -> Any:
    domain_app = Starlette(routes=[Route("/echo", _echo), Route("/.well-known/x", _echo)])
    return Starlette(
        routes=[Route("/{rest:path}", _api, methods=["GET", "POST"])],
        middleware=[
            Middleware(ForwardedClient, trusted=TrustedProxies(["127.0.0.1/32"])),
            Middleware(
                HostAllowList,
                allowed=allowed,
                auth_domain="auth.example.com",
                lookup=domains.pool_for_host,
            ),
            Middleware(DomainRouting, domain_app=domain_app, domains=domains, api_hosts=allowed),
        ],
    )


def get(app: Any, url: str, **kwargs: Any) -> httpx.Response:
    async def run() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 5000))
        async with httpx.AsyncClient(transport=transport) as client:
            return await client.get(url, **kwargs)

    return asyncio.run(run())


def test_prefix_host_routes_at_the_root() -> None:
    domains = FakeDomains()
    body = get(make_app(domains), "http://shop.auth.example.com/echo").json()
    assert body == {
        "pool": POOL,
        "base": "http://shop.auth.example.com",
        "cookie_path": "/",
        "login": "http://shop.auth.example.com/login?a=b+c",
    }


def test_custom_domain_is_allowed_by_lookup_once() -> None:
    domains = FakeDomains()
    response = get(make_app(domains), "http://login.shop.example:8080/echo")
    assert response.json()["base"] == "http://login.shop.example:8080"
    assert domains.lookups == ["login.shop.example"]  # the allow-list's, reused by routing


def test_unknown_host_is_refused_and_unknown_prefix_is_not_found() -> None:
    domains = FakeDomains()
    assert get(make_app(domains), "http://evil.example/echo").status_code == 400
    # Under the auth domain every name is allowed, but only a registered prefix routes.
    response = get(make_app(domains), "http://nobody.auth.example.com/echo")
    assert response.text == "api /echo"


def test_forwarded_proto_from_a_trusted_proxy_and_default_port() -> None:
    headers = {"X-Forwarded-Proto": "https"}
    body = get(make_app(FakeDomains()), "http://shop.auth.example.com:443/echo", headers=headers)
    assert body.json()["base"] == "https://shop.auth.example.com"


def test_path_prefix_on_the_api_host() -> None:
    domains = FakeDomains()
    body = get(make_app(domains), f"http://api.example.com/{POOL}/echo").json()
    assert body["pool"] == POOL
    assert body["base"] == f"http://api.example.com/{POOL}"
    assert body["cookie_path"] == f"/{POOL}/"
    assert domains.lookups == [POOL]  # the API host itself is never looked up


def test_path_prefix_needs_a_domain_and_leaves_the_jwks_to_the_api() -> None:
    domains = FakeDomains()
    app = make_app(domains)
    assert get(app, f"http://api.example.com/{OTHER}/echo").text == f"api /{OTHER}/echo"
    jwks = f"/{POOL}/.well-known/jwks.json"
    assert get(app, "http://api.example.com" + jwks).text == "api " + jwks
    assert get(app, "http://api.example.com/identity/echo").text == "api /identity/echo"
    assert domains.lookups == [OTHER]


def test_api_requests_pass_untouched() -> None:
    domains = FakeDomains()
    assert get(make_app(domains), "http://api.example.com/").text == "api /"
    assert domains.lookups == []


@pytest.mark.parametrize(
    ("scheme", "host", "expected"),
    [
        ("http", "Shop.Example:80", "http://shop.example"),
        ("https", "shop.example:8443", "https://shop.example:8443"),
        ("http", "[::1]:9229", "http://[::1]:9229"),
        ("http", "shop.example:x@evil", "http://shop.example"),
    ],
)
def test_origin(scheme: str, host: str, expected: str) -> None:
    assert origin({"scheme": scheme}, host) == expected


def test_a_host_with_a_path_or_userinfo_never_routes() -> None:
    app = make_app(FakeDomains(), allowed=("*",))
    response = get(app, f"http://api.example.com/{POOL}/echo", headers={"Host": "a@b/c"})
    assert response.text == f"api /{POOL}/echo"


@pytest.mark.parametrize(
    "host",
    ["auth.example.com", "evil-auth.example.com", "shop.auth.example.com.evil.example", "a@b"],
)
def test_only_names_under_the_auth_domain_are_allowed_by_suffix(host: str) -> None:
    domains = FakeDomains()
    response = get(make_app(domains), "http://api.example.com/echo", headers={"Host": host})
    assert response.status_code == 400
