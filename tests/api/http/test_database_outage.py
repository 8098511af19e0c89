"""A lost database fails requests fast with InternalErrorException, and the server recovers by
itself when the database answers again. The outage is a TCP relay the test breaks, so the
shared PostgreSQL server is never stopped."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.support.factories import make_pool
from tests.support.live import Server, create_pg_database, drop_pg_database, run_server
from tests.support.signing import signed_headers
from tests.support.tcp_proxy import TcpProxy, tcp_proxy

# The client gives up long after the server should have: a hang shows as a read timeout.
CLIENT_TIMEOUT = 20
FAST = 6.0  # seconds: connect_timeout (3 s) plus the direct path's checkout wait (2 s)


@pytest.fixture
def proxied(tmp: Path) -> Iterator[tuple[Server, TcpProxy]]:
    url = create_pg_database()
    try:
        with tcp_proxy(("127.0.0.1", 5432)) as proxy:
            relayed = url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
            assert relayed != url
            with run_server(tmp, database_url=relayed) as live:
                yield live, proxy
    finally:
        drop_pg_database(url)


def describe(server: Server, pool_id: str) -> tuple[float, int, str | None]:
    body = json.dumps({"UserPoolId": pool_id}).encode()
    headers = signed_headers(
        server.url, "DescribeUserPool", body, server.access_key_id, server.secret_access_key
    )
    started = time.monotonic()
    try:
        response = httpx.post(
            server.url + "/", content=body, headers=headers, timeout=CLIENT_TIMEOUT
        )
    except httpx.ReadTimeout:
        return time.monotonic() - started, 0, "hung"
    code = response.json().get("__type") if response.status_code != 200 else None
    return time.monotonic() - started, response.status_code, code


@pytest.mark.postgres
@pytest.mark.parametrize("outage", ["refuse", "blackhole"])
def test_a_lost_database_fails_fast_and_recovers(
    proxied: tuple[Server, TcpProxy], outage: str
) -> None:
    server, proxy = proxied
    pool_id = make_pool(server)["Id"]
    assert describe(server, pool_id)[1:] == (200, None)

    # refuse: the server stopped; blackhole: its host went away (new connections unanswered).
    getattr(proxy, outage)()
    for _ in range(3):
        elapsed, status, code = describe(server, pool_id)
        assert (status, code) == (500, "InternalErrorException")
        assert elapsed < FAST, elapsed

    proxy.restore()
    deadline = time.monotonic() + 10
    while describe(server, pool_id)[1] != 200:
        assert time.monotonic() < deadline, "the server did not recover"
        time.sleep(0.2)
    for _ in range(3):
        assert describe(server, pool_id)[1:] == (200, None)
