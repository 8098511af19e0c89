"""Users, their unique aliases and their search index rows in SQL."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import and_, bindparam, delete, exists, func, insert, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from mamori.adapters.store.sql.base import (
    SqlBase,
    aware,
    decode_token,
    encode_token,
    lookup_key,
    must_aware,
)
from mamori.adapters.store.sql.tables import (
    SEARCH_HEAD,
    aliases,
    auth_events,
    clients,
    codes,
    devices,
    memberships,
    provider_links,
    refresh_sessions,
    user_index,
    user_mfa,
    users,
)
from mamori.domain.errors import AliasExistsException, UsernameExistsException
from mamori.domain.ids import PoolId, UserSub
from mamori.domain.userpools.user_pool import UserPool
from mamori.domain.users.aliases import alias_entries, alias_value_key, search_entries
from mamori.domain.users.user import User, UserStatus
from mamori.services.ports import Page
from mamori.services.tokens.ports import TokenHolder
from mamori.services.users.ports import UserQuery

_SEARCH_TOP = "\U0010ffff"
# Hot-path reads built once: SQLAlchemy then skips building the statement and its cache key.
_BY_USERNAME = select(users).where(
    users.c.pool_id == bindparam("pool_id"), users.c.username_key == bindparam("key")
)
_BY_SUB = select(users).where(
    users.c.pool_id == bindparam("pool_id"), users.c.sub == bindparam("sub")
)
# One row whether or not the user exists: whether the token's sign-in is revoked, whether its
# app client still exists (a primary-key probe in the same statement), then the user's columns.
# Revoked when ANY row of the family is: a successor added while the family was being revoked
# (a refresh racing reuse detection) cannot bring the family back.
_FOR_TOKEN = select(
    exists()
    .where(
        refresh_sessions.c.pool_id == bindparam("pool_id"),
        refresh_sessions.c.origin_jti == bindparam("origin_jti"),
        refresh_sessions.c.revoked.is_(True),
    )
    .label("origin_revoked"),
    exists()
    .where(clients.c.id == bindparam("client_id"), clients.c.pool_id == bindparam("pool_id"))
    .label("client_exists"),
    users,
).select_from(
    select(literal(1).label("one"))
    .subquery()
    .outerjoin(
        users, and_(users.c.pool_id == bindparam("pool_id"), users.c.sub == bindparam("sub"))
    )
)


def user_from_row(row: Any) -> User:
    return User(
        pool_id=PoolId(row.pool_id),
        sub=UserSub(row.sub),
        username=row.username,
        status=UserStatus(row.status),
        enabled=bool(row.enabled),
        attributes=json.loads(row.attributes),
        created=must_aware(row.created),
        modified=must_aware(row.modified),
        password_hash=row.password_hash,
        tokens_valid_after=float(row.tokens_valid_after),
        password_expires=aware(row.password_expires),
        pending=json.loads(row.pending_attributes) if row.pending_attributes else {},
        srp_verifier=row.srp_verifier,
    )


def _row(pool: UserPool, user: User) -> dict[str, Any]:
    return {
        "username_key": pool.username_key(user.username),
        "username": user.username,
        "status": user.status.value,
        "enabled": user.enabled,
        "password_hash": user.password_hash,
        "attributes": json.dumps(dict(user.attributes), separators=(",", ":"), sort_keys=True),
        "modified": user.modified,
        "tokens_valid_after": user.tokens_valid_after,
        "password_expires": user.password_expires,
        "pending_attributes": (
            json.dumps(dict(user.pending), separators=(",", ":"), sort_keys=True)
            if user.pending
            else None
        ),
        "srp_verifier": user.srp_verifier,
    }


def _matches(candidate: str, value: str, prefix: bool) -> bool:
    return candidate.startswith(value) if prefix else candidate == value


def _user_index_rows(pool_id: str, sub: str) -> tuple[Any, Any]:
    """One user's search-index rows, found through ix_user_index_sub.

    Without statistics SQLite's planner searches the primary key by pool_id instead, reading
    every index row of the pool (15 ms per sign-up at 100k users); `pool_id || ''` is the same
    test but cannot use an index, which leaves it the one on sub.
    """
    return (user_index.c.pool_id + "") == pool_id, user_index.c.sub == sub


class SqlUserStore(SqlBase):
    async def _write_indexes(self, conn: AsyncConnection, pool: UserPool, user: User) -> None:
        await conn.execute(
            delete(aliases).where(aliases.c.pool_id == pool.id, aliases.c.sub == user.sub)
        )
        await conn.execute(delete(user_index).where(*_user_index_rows(pool.id, user.sub)))
        for attribute, key in alias_entries(pool, user).items():
            # A clash aborts the whole transaction: no half-written user.
            try:
                await conn.execute(
                    insert(aliases).values(
                        pool_id=pool.id,
                        attribute=attribute,
                        value_key=lookup_key(key),
                        sub=user.sub,
                    )
                )
            except IntegrityError as exc:
                raise AliasExistsException(
                    f"An account with the given {attribute} already exists."
                ) from exc
        entries = search_entries(user)
        if entries:
            await conn.execute(
                insert(user_index),
                [
                    {
                        "pool_id": pool.id,
                        "attribute": k,
                        "sub": user.sub,
                        "value_head": v[:SEARCH_HEAD],
                        "value": v,
                    }
                    for k, v in entries.items()
                ],
            )

    async def add_user(self, pool: UserPool, user: User) -> None:
        async with self._engine.begin() as conn:
            try:
                await conn.execute(
                    insert(users).values(
                        sub=user.sub, pool_id=pool.id, created=user.created, **_row(pool, user)
                    )
                )
            except IntegrityError as exc:
                raise UsernameExistsException("User already exists") from exc
            await self._write_indexes(conn, pool, user)

    async def get_user(self, pool: UserPool, username: str) -> User | None:
        row = await self._direct.first(
            _BY_USERNAME, {"pool_id": pool.id, "key": pool.username_key(username)}
        )
        return user_from_row(row) if row else None

    async def get_user_by_sub(self, pool_id: PoolId, sub: UserSub) -> User | None:
        row = await self._direct.first(_BY_SUB, {"pool_id": pool_id, "sub": sub})
        return user_from_row(row) if row else None

    async def linked_user(self, pool_id: PoolId, provider_name: str, subject: str) -> User | None:
        """The user a provider's subject is linked to (AdminLinkProviderForUser), if any."""
        query = (
            select(users)
            .join(
                provider_links,
                and_(
                    provider_links.c.pool_id == users.c.pool_id, provider_links.c.sub == users.c.sub
                ),
            )
            .where(
                provider_links.c.pool_id == pool_id,
                provider_links.c.provider_name == provider_name,
                provider_links.c.subject == subject,
            )
        )
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return user_from_row(row) if row else None

    async def get_user_for_token(
        self, pool_id: PoolId, sub: UserSub, origin_jti: str, client_id: str
    ) -> TokenHolder:
        row = await self._direct.first(
            _FOR_TOKEN,
            {"pool_id": pool_id, "sub": sub, "origin_jti": origin_jti, "client_id": client_id},
        )
        assert row is not None  # one row whether or not the user exists
        return TokenHolder(
            user_from_row(row) if row.sub is not None else None,
            revoked=bool(row.origin_revoked),
            client_exists=bool(row.client_exists),
        )

    async def find_by_alias(self, pool: UserPool, attribute: str, value: str) -> User | None:
        key = alias_value_key(pool, attribute, value)
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    select(users)
                    .join(
                        aliases,
                        and_(aliases.c.pool_id == users.c.pool_id, aliases.c.sub == users.c.sub),
                    )
                    .where(
                        aliases.c.pool_id == pool.id,
                        aliases.c.attribute == attribute,
                        aliases.c.value_key == lookup_key(key),
                    )
                )
            ).first()
        return user_from_row(row) if row else None

    async def save_user(self, pool: UserPool, user: User) -> None:
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(users)
                .where(users.c.pool_id == pool.id, users.c.sub == user.sub)
                .values(**_row(pool, user))
            )
            # No such user in this pool: write no index rows that would point into another pool.
            if result.rowcount:
                await self._write_indexes(conn, pool, user)

    async def delete_user(self, pool_id: PoolId, sub: UserSub) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(delete(user_index).where(*_user_index_rows(pool_id, sub)))
            for table in (
                aliases,
                memberships,
                codes,
                user_mfa,
                devices,
                provider_links,
                auth_events,
            ):
                await conn.execute(
                    delete(table).where(table.c.pool_id == pool_id, table.c.sub == sub)
                )
            await conn.execute(delete(users).where(users.c.pool_id == pool_id, users.c.sub == sub))

    async def list_users(
        self, pool: UserPool, query: UserQuery, limit: int, after: str | None
    ) -> Page[User]:
        start = decode_token(after)
        stmt = select(users).where(users.c.pool_id == pool.id)
        attribute, value = query.attribute, query.value

        def match(column: Any, text: str) -> Any:
            if query.prefix:
                return and_(column >= text, column < text + _SEARCH_TOP)
            return column == text

        if attribute == "username":
            stmt = stmt.where(match(users.c.username_key, pool.username_key(value)))
        elif attribute == "sub":
            stmt = stmt.where(match(users.c.sub, value))
        elif attribute == "cognito:user_status":
            # Cognito: the account status matches without regard to case.
            wanted = [s.value for s in UserStatus if _matches(s.value, value.upper(), query.prefix)]
            stmt = stmt.where(users.c.status.in_(wanted))
        elif attribute == "status":
            flags = [
                label == "Enabled"
                for label in ("Enabled", "Disabled")
                if _matches(label, value, query.prefix)
            ]
            stmt = stmt.where(users.c.enabled.in_(flags))
        elif attribute is not None:
            head = value[:SEARCH_HEAD]
            if query.prefix:
                # The head range uses the index; the full comparison decides.
                found = and_(
                    match(user_index.c.value_head, head),
                    func.substr(user_index.c.value, 1, len(value)) == value,
                )
            else:
                found = and_(user_index.c.value_head == head, user_index.c.value == value)
            stmt = stmt.join(
                user_index,
                and_(user_index.c.pool_id == users.c.pool_id, user_index.c.sub == users.c.sub),
            ).where(user_index.c.attribute == attribute, found)
        if start is not None:
            stmt = stmt.where(users.c.username_key > start)
        stmt = stmt.order_by(users.c.username_key).limit(limit + 1)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(stmt)).all()
        items = [user_from_row(r) for r in rows[:limit]]
        token = encode_token(pool.username_key(items[-1].username)) if len(rows) > limit else None
        return Page(items, token)
