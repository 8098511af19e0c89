"""Hosted-login sessions in SQL (services/oauth/login_sessions.py), stored as digests, read with
their user's state so a disabled or deleted user's session stops at once; the purge of expired
ones."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, insert, select

from mamori.adapters.store.sql.base import (
    SqlBase,
    count_before,
    delete_in_batches,
    must_aware,
    purge_statements,
)
from mamori.adapters.store.sql.tables import login_sessions, users
from mamori.domain.oauth.saml_logins import SamlLogin
from mamori.services.oauth.ports import LoginSession, StoredLogin

_COUNT_EXPIRED, _DELETE_EXPIRED = purge_statements(
    login_sessions.c.expires, login_sessions.c.digest
)


def _saml(row: Any) -> SamlLogin | None:
    if not row.idp_name or row.saml_name_id is None:
        return None
    try:
        extra = json.loads(row.saml_session or "{}")
    except ValueError:
        extra = {}
    return SamlLogin(
        row.idp_name, row.saml_name_id, extra.get("format"), extra.get("session_index")
    )


def _session(row: Any) -> LoginSession:
    return LoginSession(
        digest=row.digest,
        pool_id=row.pool_id,
        sub=row.sub,
        auth_time=int(row.auth_time),
        created=must_aware(row.created),
        expires=must_aware(row.expires),
        saml=_saml(row),
    )


class SqlLoginSessionStore(SqlBase):
    async def add_login(self, session: LoginSession) -> None:
        saml = session.saml
        extra = (
            json.dumps({"format": saml.name_id_format, "session_index": saml.session_index})
            if saml is not None
            else None
        )
        async with self._engine.begin() as conn:
            await conn.execute(
                insert(login_sessions).values(
                    digest=session.digest,
                    pool_id=session.pool_id,
                    sub=session.sub,
                    auth_time=session.auth_time,
                    created=session.created,
                    expires=session.expires,
                    idp_name=saml.provider_name if saml is not None else None,
                    saml_name_id=saml.name_id if saml is not None else None,
                    saml_session=extra,
                )
            )

    async def get_login(self, pool_id: str, digest: str) -> StoredLogin | None:
        statement = (
            select(login_sessions, users.c.enabled)
            .select_from(
                login_sessions.outerjoin(
                    users,
                    and_(
                        users.c.pool_id == login_sessions.c.pool_id,
                        users.c.sub == login_sessions.c.sub,
                    ),
                )
            )
            .where(login_sessions.c.pool_id == pool_id, login_sessions.c.digest == digest)
        )
        async with self._engine.connect() as conn:
            row = (await conn.execute(statement)).first()
        if row is None:
            return None
        return StoredLogin(_session(row), user_enabled=bool(row.enabled))

    async def delete_login(self, pool_id: str, digest: str) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                delete(login_sessions).where(
                    login_sessions.c.pool_id == pool_id, login_sessions.c.digest == digest
                )
            )

    async def delete_user_logins(self, pool_id: str, sub: str) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                delete(login_sessions).where(
                    login_sessions.c.pool_id == pool_id, login_sessions.c.sub == sub
                )
            )

    async def delete_user_logins_expired(self, pool_id: str, sub: str, now: datetime) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                delete(login_sessions).where(
                    login_sessions.c.pool_id == pool_id,
                    login_sessions.c.sub == sub,
                    login_sessions.c.expires <= now,
                )
            )

    async def delete_saml_logins(self, pool_id: str, provider_name: str, name_id: str) -> int:
        async with self._engine.begin() as conn:
            result = await conn.execute(
                delete(login_sessions).where(
                    login_sessions.c.pool_id == pool_id,
                    login_sessions.c.idp_name == provider_name,
                    login_sessions.c.saml_name_id == name_id,
                )
            )
        return int(result.rowcount or 0)

    async def count_login_sessions_expired_before(self, cutoff: datetime) -> int:
        return await count_before(self._engine, _COUNT_EXPIRED, cutoff)

    async def delete_login_sessions_expired_before(self, cutoff: datetime, batch: int) -> int:
        # Every pool at once: a maintenance sweep (services/purge.py).
        return await delete_in_batches(self._engine, _DELETE_EXPIRED, cutoff, batch)
