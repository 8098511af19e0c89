"""The outbox, the default sender, read through /admin/outbox: admin credentials required,
messages kept per pool, the pool's verification message applied, codes stored only as digests."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import text
from tests.support.cognito import attrs, unique
from tests.support.factories import PASSWORD, make_client, make_pool
from tests.support.live import Server

from mamori.adapters.store.sql.connection.engine import make_sync_engine


def test_outbox_needs_admin_credentials(server: Server) -> None:
    import urllib.error
    import urllib.request

    for headers in ({}, {"Authorization": "Basic bm9ib2R5Om5vdGhpbmc="}):
        req = urllib.request.Request(f"{server.url}/admin/outbox", headers=headers)
        with pytest.raises(urllib.error.HTTPError) as exc:
            urllib.request.urlopen(req, timeout=10)
        exc.value.close()
        assert exc.value.code == 401


def test_outbox_keeps_messages_per_pool(server: Server) -> None:
    pool_a, pool_b = make_pool(server)["Id"], make_pool(server)["Id"]
    client_a = make_client(server, pool_a)["ClientId"]
    username = unique()
    address = f"{username}@example.com"
    server.public().sign_up(
        ClientId=client_a, Username=username, Password=PASSWORD, UserAttributes=attrs(email=address)
    )
    [message] = server.outbox(pool_a, address)
    assert (message["channel"], message["to"], message["kind"]) == (
        "EMAIL",
        address,
        "confirmation",
    )
    assert message["subject"]
    assert message["code"] in message["body"]
    assert server.outbox(pool_b, address) == []


def test_custom_verification_message(server: Server) -> None:
    pool_id = make_pool(
        server,
        VerificationMessageTemplate={
            "EmailMessage": "Your code for Mamori is {####}!",
            "EmailSubject": "Confirm your account",
            "DefaultEmailOption": "CONFIRM_WITH_CODE",
        },
    )["Id"]
    client_id = make_client(server, pool_id)["ClientId"]
    username = unique()
    address = f"{username}@example.com"
    server.public().sign_up(
        ClientId=client_id,
        Username=username,
        Password=PASSWORD,
        UserAttributes=attrs(email=address),
    )
    [message] = server.outbox(pool_id, address)
    assert message["subject"] == "Confirm your account"
    assert message["body"] == f"Your code for Mamori is {message['code']}!"


def test_codes_are_stored_only_as_digests(server: Server) -> None:
    pool_id = make_pool(server)["Id"]
    client_id = make_client(server, pool_id)["ClientId"]
    username = unique()
    address = f"{username}@example.com"
    sub = server.public().sign_up(
        ClientId=client_id,
        Username=username,
        Password=PASSWORD,
        UserAttributes=attrs(email=address),
    )["UserSub"]
    code = server.latest_code(pool_id, address)
    rows = stored_codes(server, pool_id, sub)
    assert len(rows) == 1
    row = rows[0]
    assert re.fullmatch(r"[0-9a-f]{64}", row["digest"]), row["digest"]
    assert all(code not in str(value) for value in row.values())
    server.public().confirm_sign_up(ClientId=client_id, Username=username, ConfirmationCode=code)
    # A used code is gone.
    assert stored_codes(server, pool_id, sub) == []


def stored_codes(server: Server, pool_id: str, sub: str) -> list[dict[str, Any]]:
    engine = make_sync_engine(server.database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT * FROM codes WHERE pool_id = :p AND sub = :s"),
                {"p": pool_id, "s": sub},
            ).all()
    finally:
        engine.dispose()
    return [dict(r._mapping) for r in rows]
