"""Records for the purge's tests: refresh sessions, outbox messages and codes with the expiry or
creation time a test gives, in the pool us-east-1_Purge0000."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from tests.support.stores import Stores

from mamori.domain.ids import ClientId, PoolId, UserSub, new_sub
from mamori.services.ports import Message
from mamori.services.tokens.ports import RefreshSession


def session(expires: datetime, origin: str | None = None) -> RefreshSession:
    return RefreshSession(
        digest=secrets.token_hex(32),
        pool_id=PoolId("us-east-1_Purge0000"),
        client_id=ClientId("client"),
        sub=new_sub(),
        origin_jti=origin or secrets.token_hex(8),
        auth_time=int((expires - timedelta(days=30)).timestamp()),
        created=expires - timedelta(days=30),
        expires=expires,
    )


def message(created: datetime, code: str = "123456") -> Message:
    return Message(
        PoolId("us-east-1_Purge0000"),
        "EMAIL",
        "purge@example.com",
        "Your temporary password",
        f"Your username is pat and temporary password is {code}.",
        "invitation",
        code,
        created,
    )


async def codes_in_outbox(stores: Stores) -> list[str | None]:
    return [m.code for m in await stores.outbox.list_messages(None, None, 100)]


async def put_code(stores: Stores, expires: datetime, sub: str | None = None) -> UserSub:
    owner = UserSub(sub or new_sub())
    await stores.codes.put_code(PoolId("us-east-1_Purge0000"), owner, "signup", "d", expires)
    return owner
