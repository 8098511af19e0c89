"""Builders for domain entities with sensible defaults, for tests below the wire (no server)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from mamori.domain.ids import PoolId, new_client_id, new_pool_id, new_sub
from mamori.domain.userpools.app_client import AppClient
from mamori.domain.userpools.user_pool import UserPool
from mamori.domain.users.user import User, UserStatus

NOW = datetime(2024, 5, 17, 12, 30, 15, 123456, tzinfo=UTC)
# A well-formed argon2id hash (of nothing in particular): stores treat it as opaque text.
SOME_HASH = "$argon2id$v=19$m=256,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"


def pool_value(**overrides: Any) -> UserPool:
    values: dict[str, Any] = {
        "id": new_pool_id("eu-west-1"),
        "name": f"pool-{secrets.token_hex(3)}",
        "created": NOW,
        "modified": NOW,
    }
    values.update(overrides)
    return UserPool(**values)


def user_value(
    pool: UserPool,
    username: str | None = None,
    *,
    status: UserStatus = UserStatus.CONFIRMED,
    enabled: bool = True,
    **attributes: str,
) -> User:
    sub = new_sub()
    return User(
        pool_id=pool.id,
        sub=sub,
        username=username or f"user-{secrets.token_hex(4)}",
        status=status,
        enabled=enabled,
        attributes={"sub": sub, **attributes},
        created=NOW,
        modified=NOW,
        password_hash=SOME_HASH,
    )


def client_value(pool_id: PoolId, **overrides: Any) -> AppClient:
    values: dict[str, Any] = {
        "id": new_client_id(),
        "pool_id": pool_id,
        "name": f"client-{secrets.token_hex(3)}",
        "created": NOW,
        "modified": NOW,
    }
    values.update(overrides)
    return AppClient(**values)
