"""api/hosts.py: the Host allow-list, in front of every route but /health."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from mamori.api.hosts import HostAllowList, host_name
from mamori.config import Settings


class Client:
    """Requests to an ASGI app in this process (starlette's TestClient wants httpx2)."""

    def __init__(self, asgi: Starlette) -> None:
        self.transport = httpx.ASGITransport(app=asgi)

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        async def run() -> httpx.Response:
            async with httpx.AsyncClient(transport=self.transport, base_url="http://x") as c:
                return await c.request(method, path, **kwargs)

        return asyncio.run(run())

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)


def app(allowed: tuple[str, ...]) -> Starlette:
    async def ok(_: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    routes = [Route(p, ok, methods=["GET", "POST"]) for p in ("/", "/health", "/admin/outbox")]
    return Starlette(routes=routes, middleware=[Middleware(HostAllowList, allowed=allowed)])


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("LocalHost:9229", "localhost"),
        ("127.0.0.1", "127.0.0.1"),
        ("[::1]:9229", "::1"),
        ("[::1", ""),
        ("id.example.com:443", "id.example.com"),
    ],
)
def test_host_name(header: str, name: str) -> None:
    assert host_name(header) == name


def test_only_listed_hosts_are_answered() -> None:
    client = Client(app(Settings().effective_allowed_hosts))
    for host in ("127.0.0.1:9229", "localhost:3000", "[::1]:80", "LOCALHOST"):
        assert client.get("/admin/outbox", headers={"Host": host}).status_code == 200, host
    refused = client.post("/", headers={"Host": "rebound.attacker.example:9229"})
    assert refused.status_code == 400
    assert refused.json()["__type"] == "NotAuthorizedException"
    assert "rebound.attacker.example" in refused.json()["message"]
    assert refused.headers["x-amzn-ErrorType"] == "NotAuthorizedException"
    other = client.get("/admin/outbox", headers={"Host": "rebound.attacker.example"})
    assert other.status_code == 400 and "error" in other.json()
    # Probes by address still see readiness.
    assert client.get("/health", headers={"Host": "10.1.2.3:9229"}).status_code == 200


def test_star_answers_any_host() -> None:
    client = Client(app(("*",)))
    assert client.post("/", headers={"Host": "anything.example"}).status_code == 200


@pytest.mark.parametrize(
    ("settings", "allowed"),
    [
        (Settings(), {"127.0.0.1", "localhost", "::1"}),
        (
            Settings(public_url="https://ID.Example.com:8443/auth"),
            {"id.example.com", "127.0.0.1", "localhost", "::1"},
        ),
        (
            Settings(allowed_hosts=("Id.Example.com", "[2001:db8::1]")),
            {"id.example.com", "2001:db8::1"},
        ),
    ],
)
def test_the_default_list(settings: Settings, allowed: set[str]) -> None:
    assert set(settings.effective_allowed_hosts) == allowed
