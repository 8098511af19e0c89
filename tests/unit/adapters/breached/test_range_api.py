"""adapters/breached/range_api.py on httpx's MockTransport (a local stand-in, never the
internet): only the 5-digit prefix is sent, with Add-Padding; the suffix is looked up in the
answer; no answer (status, timeout, garbage, too large) is "not breached" with a warning."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest

from mamori.adapters.breached.range_api import PwnedRangeApi, RangeApiDown

pytestmark = pytest.mark.anyio

PASSWORD_SUFFIX = "1E4C9B93F3F0682250B6CF8331B7EE68FD8"  # SHA-1("password")[5:]


def api(handler: object, timeout: float = 1.0) -> PwnedRangeApi:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))  # type: ignore[arg-type]
    return PwnedRangeApi(http, "https://range.test/range", timeout)


async def test_the_prefix_alone_is_sent_and_the_suffix_found() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        body = f"0018A45C4D1DEF81644B54AB7F969B88D65:0\r\n{PASSWORD_SUFFIX}:10434004\r\n"
        return httpx.Response(200, text=body)

    assert await api(handler).is_breached("password")
    assert str(seen[0].url) == "https://range.test/range/5BAA6"
    assert seen[0].headers["Add-Padding"] == "true"
    assert b"password" not in bytes(seen[0].url.raw_path) and not seen[0].content


async def test_a_suffix_listed_only_as_padding_is_not_breached() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text=f"{PASSWORD_SUFFIX}:0\r\n")

    assert not await api(handler).is_breached("password")


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(503, text=f"{PASSWORD_SUFFIX}:1"),
        httpx.Response(200, text="<html>captive portal</html>"),
        httpx.Response(200, content=b"\xff\xfe"),
        httpx.Response(200, text=f"{PASSWORD_SUFFIX}:1\r\n" * 20_000),
    ],
)
async def test_no_readable_answer_is_not_breached_with_a_warning(
    answer: httpx.Response, caplog: pytest.LogCaptureFixture
) -> None:
    source = api(lambda request: answer)
    with pytest.raises(RangeApiDown):
        await source.lookup("password")
    with caplog.at_level(logging.WARNING, logger="mamori.breached"):
        assert not await source.is_breached("password")
    assert "no answer" in caplog.text and "5BAA6" not in caplog.text
    assert "password" not in caplog.text.replace("Pwned Passwords", "")


async def test_a_slow_answer_is_cut_at_the_timeout() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return httpx.Response(200, text="")

    with pytest.raises(RangeApiDown):
        await api(handler, timeout=0.2).lookup("password")
