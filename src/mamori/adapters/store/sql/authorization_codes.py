"""OAuth authorization codes in SQL, stored only as keyed digests: single use by a conditional
update, replays flagged, and the purge of expired ones."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update

from mamori.adapters.store.sql.base import (
    SqlBase,
    count_before,
    delete_in_batches,
    must_aware,
    purge_statements,
)
from mamori.adapters.store.sql.tables import authorization_codes as codes
from mamori.domain.oauth.authorization import AuthorizationGrant
from mamori.services.oauth.ports import RedeemedCode

_COUNT_EXPIRED, _DELETE_EXPIRED = purge_statements(codes.c.expires, codes.c.digest)
# Every code exchange runs these: built once, run on the driver (connection/direct.py). An
# UPDATE's bind names may not be its columns' names, hence the prefix.
_ADD = insert(codes).values({c: bindparam(c.key) for c in codes.c})
_KEY = (codes.c.pool_id == bindparam("p_pool"), codes.c.digest == bindparam("p_digest"))
# One statement decides: of concurrent redemptions only one finds used_at still NULL
# (PostgreSQL re-checks the condition after waiting on the row lock; SQLite has one writer).
_REDEEM = (
    update(codes)
    .where(*_KEY, codes.c.used_at.is_(None))
    .values(used_at=bindparam("p_when"), origin_jti=bindparam("p_origin"))
    .returning(*codes.c)
)
_REPLAYED = select(codes.c.replayed).where(*_KEY)


def _grant(row: Any) -> AuthorizationGrant:
    return AuthorizationGrant(
        pool_id=row.pool_id,
        client_id=row.client_id,
        sub=row.sub,
        redirect_uri=row.redirect_uri,
        scopes=tuple(row.scopes.split()),
        auth_time=int(row.auth_time),
        nonce=row.nonce,
        code_challenge=row.code_challenge,
    )


class SqlAuthorizationCodeStore(SqlBase):
    async def add_code(self, digest: str, grant: AuthorizationGrant, expires: datetime) -> None:
        await self._direct.write(
            _ADD,
            {
                "digest": digest,
                "pool_id": grant.pool_id,
                "client_id": grant.client_id,
                "sub": grant.sub,
                "redirect_uri": grant.redirect_uri,
                "scopes": " ".join(grant.scopes),
                "auth_time": grant.auth_time,
                "nonce": grant.nonce,
                "code_challenge": grant.code_challenge,
                "expires": expires,
                "used_at": None,
                "origin_jti": None,
                "replayed": False,
            },
        )

    async def redeem_code(
        self, pool_id: str, digest: str, when: datetime, origin_jti: str
    ) -> RedeemedCode | None:
        rows = await self._direct.write(
            _REDEEM,
            {"p_pool": pool_id, "p_digest": digest, "p_when": when, "p_origin": origin_jti},
        )
        return RedeemedCode(_grant(rows[0]), must_aware(rows[0].expires)) if rows else None

    async def mark_replayed(self, pool_id: str, digest: str) -> str | None:
        async with self._engine.begin() as conn:
            row = (
                await conn.execute(
                    update(codes)
                    .where(
                        codes.c.pool_id == pool_id,
                        codes.c.digest == digest,
                        codes.c.used_at.is_not(None),
                    )
                    .values(replayed=True)
                    .returning(codes.c.origin_jti)
                )
            ).first()
        return str(row.origin_jti) if row and row.origin_jti else None

    async def was_replayed(self, pool_id: str, digest: str) -> bool:
        row = await self._direct.first(_REPLAYED, {"p_pool": pool_id, "p_digest": digest})
        return bool(row and row.replayed)

    async def count_authorization_codes_expired_before(self, cutoff: datetime) -> int:
        return await count_before(self._engine, _COUNT_EXPIRED, cutoff)

    async def delete_authorization_codes_expired_before(self, cutoff: datetime, batch: int) -> int:
        # Every pool at once: a maintenance sweep (services/purge.py).
        return await delete_in_batches(self._engine, _DELETE_EXPIRED, cutoff, batch)
