"""Refresh-token sessions and one-time codes in SQL, both stored only as digests, and the purge
of expired ones."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, delete, exists, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from mamori.adapters.store.sql.base import (
    SqlBase,
    aware,
    count_before,
    delete_in_batches,
    must_aware,
    purge_statements,
)
from mamori.adapters.store.sql.tables import codes, login_sessions, refresh_sessions, users
from mamori.adapters.store.sql.users import user_from_row
from mamori.domain.ids import ClientId, PoolId, UserSub
from mamori.domain.users.user import User
from mamori.services.tokens.ports import RefreshSession
from mamori.services.users.ports import StoredCode

# Hot-path reads built once: SQLAlchemy then skips building the statement and its cache key.
_BY_DIGEST = select(refresh_sessions).where(refresh_sessions.c.digest == bindparam("digest"))
_SESSION_WIDTH = len(refresh_sessions.c)
# Every sign-in adds one: explicit binds, so the one compiled statement serves every row.
_ADD_SESSION = insert(refresh_sessions).values({c: bindparam(c.key) for c in refresh_sessions.c})
# The family (every refresh token of one sign-in) is revoked when any of its rows is: reuse
# detection revokes it while a refresh of the newest token may be adding a successor, and that
# successor must not outlive the revocation.
_FAMILY = refresh_sessions.alias("family")
_FAMILY_REVOKED = (
    exists()
    .where(
        _FAMILY.c.pool_id == refresh_sessions.c.pool_id,
        _FAMILY.c.origin_jti == refresh_sessions.c.origin_jti,
        _FAMILY.c.revoked.is_(True),
    )
    .label("family_revoked")
)
_WITH_USER = (
    select(refresh_sessions, users, _FAMILY_REVOKED)
    .select_from(
        refresh_sessions.outerjoin(
            users,
            and_(
                users.c.pool_id == refresh_sessions.c.pool_id, users.c.sub == refresh_sessions.c.sub
            ),
        )
    )
    .where(refresh_sessions.c.digest == bindparam("digest"))
)
_ORIGIN_REVOKED = select(
    exists()
    .where(
        refresh_sessions.c.pool_id == bindparam("pool_id"),
        refresh_sessions.c.origin_jti == bindparam("origin_jti"),
        refresh_sessions.c.revoked.is_(True),
    )
    .label("revoked")
)


# The purge: expired rows by range over the expiry indexes (migration 0007).
_COUNT_EXPIRED_SESSIONS, _DELETE_EXPIRED_SESSIONS = purge_statements(
    refresh_sessions.c.expires, refresh_sessions.c.digest
)
_COUNT_EXPIRED_CODES, _DELETE_EXPIRED_CODES = purge_statements(
    codes.c.expires, codes.c.pool_id, codes.c.sub, codes.c.purpose
)


class _Named:
    """Attribute access over one table's slice of a joined row."""

    def __init__(self, names: Any, values: tuple[Any, ...]) -> None:
        self.__dict__.update(zip(names, values, strict=True))


def _session(row: Any) -> RefreshSession:
    return RefreshSession(
        digest=row.digest,
        pool_id=PoolId(row.pool_id),
        client_id=ClientId(row.client_id),
        sub=UserSub(row.sub),
        origin_jti=row.origin_jti,
        auth_time=int(row.auth_time),
        created=must_aware(row.created),
        expires=must_aware(row.expires),
        revoked=bool(row.revoked),
        replaced_at=aware(row.replaced_at),
        scopes=tuple(row.scopes.split()) if row.scopes is not None else None,
    )


class SqlRefreshSessionStore(SqlBase):
    async def add_session(self, session: RefreshSession) -> None:
        await self._direct.write(
            _ADD_SESSION,
            {
                "digest": session.digest,
                "pool_id": session.pool_id,
                "client_id": session.client_id,
                "sub": session.sub,
                "origin_jti": session.origin_jti,
                "auth_time": session.auth_time,
                "created": session.created,
                "expires": session.expires,
                "revoked": session.revoked,
                "replaced_at": session.replaced_at,
                "scopes": " ".join(session.scopes) if session.scopes is not None else None,
            },
        )

    async def get_session(self, digest: str) -> RefreshSession | None:
        row = await self._direct.first(_BY_DIGEST, {"digest": digest})
        return _session(row) if row else None

    async def get_session_with_user(self, digest: str) -> tuple[RefreshSession, User | None] | None:
        row = await self._direct.first(_WITH_USER, {"digest": digest})
        if row is None:
            return None
        # Both tables name pool_id and sub: read the session by position, the user by name.
        values = tuple(row)
        session = _session(_Named(refresh_sessions.c.keys(), values[:_SESSION_WIDTH]))
        if values[-1] and not session.revoked:
            session = dataclasses.replace(session, revoked=True)
        user_row: Any = _Named(users.c.keys(), values[_SESSION_WIDTH:-1])
        return session, (user_from_row(user_row) if user_row.sub is not None else None)

    async def mark_replaced(self, digest: str, when: datetime) -> bool:
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(refresh_sessions)
                .where(
                    refresh_sessions.c.digest == digest, refresh_sessions.c.replaced_at.is_(None)
                )
                .values(replaced_at=when)
            )
        return bool(result.rowcount)

    async def revoke_origin(self, pool_id: PoolId, origin_jti: str) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                update(refresh_sessions)
                .where(
                    refresh_sessions.c.pool_id == pool_id,
                    refresh_sessions.c.origin_jti == origin_jti,
                )
                .values(revoked=True)
            )

    async def is_origin_revoked(self, pool_id: PoolId, origin_jti: str) -> bool:
        row = await self._direct.first(
            _ORIGIN_REVOKED, {"pool_id": pool_id, "origin_jti": origin_jti}
        )
        return bool(row and row.revoked)

    async def revoke_user(self, pool_id: PoolId, sub: UserSub) -> None:
        """Every sign-in of the user ends: its refresh families, and its hosted-login sessions
        (GlobalSignOut, AdminUserGlobalSignOut, disabling and deleting the user)."""
        async with self._engine.begin() as conn:
            await conn.execute(
                update(refresh_sessions)
                .where(refresh_sessions.c.pool_id == pool_id, refresh_sessions.c.sub == sub)
                .values(revoked=True)
            )
            await conn.execute(
                delete(login_sessions).where(
                    login_sessions.c.pool_id == pool_id, login_sessions.c.sub == sub
                )
            )

    async def count_sessions_expired_before(self, cutoff: datetime) -> int:
        return await count_before(self._engine, _COUNT_EXPIRED_SESSIONS, cutoff)

    async def delete_sessions_expired_before(self, cutoff: datetime, batch: int) -> int:
        # Every pool at once: a maintenance sweep (services/purge.py), not a pool's request.
        # Which cutoff is safe for revocation is the caller's decision (purge.SESSION_GRACE).
        return await delete_in_batches(self._engine, _DELETE_EXPIRED_SESSIONS, cutoff, batch)


class SqlCodeStore(SqlBase):
    async def put_code(
        self, pool_id: PoolId, sub: UserSub, purpose: str, digest: str, expires: datetime
    ) -> None:
        values = {
            "pool_id": pool_id,
            "sub": sub,
            "purpose": purpose,
            "digest": digest,
            "expires": expires,
            "attempts": 0,
        }
        replace = {"digest": digest, "expires": expires, "attempts": 0}
        keys = [codes.c.pool_id, codes.c.sub, codes.c.purpose]
        # A new code replaces the old one in one upsert: only the latest code works, and two
        # concurrent sends cannot fail on the key (an error would abort a PostgreSQL transaction).
        if self._engine.dialect.name == "postgresql":
            pg = postgresql.insert(codes).values(**values)
            stmt: Any = pg.on_conflict_do_update(index_elements=keys, set_=replace)
        else:
            lite = sqlite.insert(codes).values(**values)
            stmt = lite.on_conflict_do_update(index_elements=keys, set_=replace)
        async with self._engine.begin() as conn:
            await conn.execute(stmt)

    async def get_code(self, pool_id: PoolId, sub: UserSub, purpose: str) -> StoredCode | None:
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    select(codes).where(
                        codes.c.pool_id == pool_id, codes.c.sub == sub, codes.c.purpose == purpose
                    )
                )
            ).first()
        return StoredCode(row.digest, must_aware(row.expires), int(row.attempts)) if row else None

    async def count_attempt(self, pool_id: PoolId, sub: UserSub, purpose: str) -> StoredCode | None:
        # The increment returns its own count (RETURNING): concurrent attempts each see a
        # distinct number, which a separate read after the update would not guarantee.
        async with self._engine.begin() as conn:
            row = (
                await conn.execute(
                    update(codes)
                    .where(
                        codes.c.pool_id == pool_id, codes.c.sub == sub, codes.c.purpose == purpose
                    )
                    .values(attempts=codes.c.attempts + 1)
                    .returning(codes.c.digest, codes.c.expires, codes.c.attempts)
                )
            ).first()
        return StoredCode(row.digest, must_aware(row.expires), int(row.attempts)) if row else None

    async def delete_code(self, pool_id: PoolId, sub: UserSub, purpose: str) -> bool:
        async with self._engine.begin() as conn:
            result = await conn.execute(
                delete(codes).where(
                    codes.c.pool_id == pool_id, codes.c.sub == sub, codes.c.purpose == purpose
                )
            )
        return bool(result.rowcount)

    async def count_codes_expired_before(self, cutoff: datetime) -> int:
        return await count_before(self._engine, _COUNT_EXPIRED_CODES, cutoff)

    async def delete_codes_expired_before(self, cutoff: datetime, batch: int) -> int:
        # Every pool at once, phantom codes (ForgotPassword for unknown usernames) included.
        return await delete_in_batches(self._engine, _DELETE_EXPIRED_CODES, cutoff, batch)
