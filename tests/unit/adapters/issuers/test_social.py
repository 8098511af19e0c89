"""The Facebook Graph and Login with Amazon adapters (adapters/issuers/social.py) against
httpx's MockTransport: what each answer means (the user, a refused token, a provider that
cannot say), and that the user's token never reaches an exception's text."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
import httpx
import pytest

from mamori.adapters.issuers.social import FacebookGraph, LoginWithAmazon
from mamori.services.identity.ports import SocialAccount, SocialProviderDown, SocialTokenRefused

TOKEN = "EAAB-secret-user-token"
OAUTH_ERROR = {
    "error": {"message": "Invalid OAuth access token.", "type": "OAuthException", "code": 190}
}


def answer(status: int, body: Any) -> httpx.Response:
    return httpx.Response(status, content=json.dumps(body).encode())


def run(handler: Callable[[httpx.Request], httpx.Response], inspector: str) -> SocialAccount:
    async def go() -> SocialAccount:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
            if inspector == "facebook":
                return await FacebookGraph(http, "https://graph.test/v17.0/", 2.0).inspect(TOKEN)
            amazon = LoginWithAmazon(
                http, "https://api.test/auth/o2/tokeninfo", "https://api.test/user/profile", 2.0
            )
            return await amazon.inspect(TOKEN)

    return anyio.run(go)


def graph(app: httpx.Response, me: httpx.Response) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.params["access_token"] == TOKEN
        assert request.url.params["fields"] == "id"
        return {"/v17.0/app": app, "/v17.0/me": me}[request.url.path]

    return handler


def test_facebook_token() -> None:
    account = run(graph(answer(200, {"id": "1234"}), answer(200, {"id": "998877"})), "facebook")
    assert account.subject == "998877"
    assert account.app_ids == ("1234",)
    assert account.claims == {"sub": "998877", "aud": "1234"}


@pytest.mark.parametrize("status", [400, 401])
def test_facebook_refuses_the_token(status: int) -> None:
    with pytest.raises(SocialTokenRefused):
        run(graph(answer(status, OAUTH_ERROR), answer(200, {"id": "1"})), "facebook")


@pytest.mark.parametrize(
    "app",
    [
        answer(500, {"error": {"type": "OAuthException"}}),
        answer(400, {"error": {"type": "GraphMethodException"}}),
        httpx.Response(200, content=b"<html>"),
        httpx.Response(200, content=b"[" * 50_000),  # json's RecursionError
        answer(200, {"name": "no id"}),
    ],
)
def test_facebook_cannot_say(app: httpx.Response) -> None:
    with pytest.raises(SocialProviderDown):
        run(graph(app, answer(200, {"id": "1"})), "facebook")


def test_a_timeout_keeps_the_token_out_of_the_message() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out reading " + str(request.url), request=request)

    with pytest.raises(SocialProviderDown) as exc:
        run(handler, "facebook")
    assert TOKEN not in str(exc.value)
    assert exc.value.__cause__ is None and exc.value.__suppress_context__


class Trickle:
    """An answer a byte every 50 ms (5 s in all); `endless`: 64 KiB chunks at once, 40 MB."""

    def __init__(self, endless: bool = False) -> None:
        self.endless, self.read = endless, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(100 if not self.endless else 640):
            if not self.endless:
                await anyio.sleep(0.05)
            self.read += 1
            yield b" " * (65536 if self.endless else 1)


@pytest.mark.parametrize("endless", [False, True])
def test_a_trickled_or_endless_answer_is_cut(endless: bool) -> None:
    """The timeout bounds the whole call, the size bound the answer as it is read."""
    body = Trickle(endless)

    async def go() -> None:
        handler = httpx.MockTransport(lambda request: httpx.Response(200, content=body))
        async with httpx.AsyncClient(transport=handler) as http:
            await FacebookGraph(http, "https://graph.test/v17.0/", 0.3).inspect(TOKEN)

    started = time.monotonic()
    with pytest.raises(SocialProviderDown):
        anyio.run(go)
    assert time.monotonic() - started < 1.0 and body.read < (100 if not endless else 3)


INFO = {
    "iss": "https://www.amazon.com",
    "user_id": "amzn1.account.K2",
    "aud": "amzn1.application-oa2-client.C",
    "app_id": "amzn1.application.A",
    "exp": 3597,
    "iat": 1311280970,
}


def amazon(
    info: httpx.Response, profile: httpx.Response
) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/auth/o2/tokeninfo":
            assert request.url.params["access_token"] == TOKEN
            return info
        assert request.url.path == "/user/profile"
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
        return profile

    return handler


def test_amazon_token() -> None:
    account = run(amazon(answer(200, INFO), answer(200, {"user_id": "amzn1.account.K2"})), "amazon")
    assert account.subject == "amzn1.account.K2"
    assert account.app_ids == ("amzn1.application.A", "amzn1.application-oa2-client.C")


def test_amazon_refuses_the_token() -> None:
    invalid = answer(400, {"error": "invalid_token", "error_description": "expired"})
    with pytest.raises(SocialTokenRefused):
        run(amazon(invalid, answer(200, {})), "amazon")
    with pytest.raises(SocialTokenRefused):
        run(amazon(answer(200, INFO), answer(401, {"error": "invalid_token"})), "amazon")


def test_amazon_answers_that_disagree_or_fail() -> None:
    with pytest.raises(SocialProviderDown):
        run(amazon(answer(200, INFO), answer(200, {"user_id": "amzn1.account.OTHER"})), "amazon")
    with pytest.raises(SocialProviderDown):
        run(amazon(answer(503, {}), answer(200, {})), "amazon")
