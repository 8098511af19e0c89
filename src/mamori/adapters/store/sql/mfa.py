"""Users' MFA factors and TOTP tokens in SQL; the TOTP secrets AEAD-sealed to their user."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, case, func, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from mamori.adapters.store.sql.base import SqlBase, aware
from mamori.adapters.store.sql.tables import user_mfa
from mamori.crypto.aead import Keyring
from mamori.domain.auth.mfa import UserMfa
from mamori.domain.ids import PoolId, UserSub
from mamori.domain.userpools.mfa_settings import MfaFactor

_GET_MFA = select(user_mfa).where(
    user_mfa.c.pool_id == bindparam("pool_id"), user_mfa.c.sub == bindparam("sub")
)

_KEYS = [user_mfa.c.pool_id, user_mfa.c.sub]


def _purpose(pool_id: str, sub: str) -> str:
    # Bound to the user: a sealed secret copied to another row does not open there.
    return f"totp-secret:{pool_id}:{sub}"


class SqlMfaStore(SqlBase):
    def __init__(self, engine: AsyncEngine, keyring: Keyring) -> None:
        super().__init__(engine)
        self._keyring = keyring

    def _seal(self, pool_id: str, sub: str, secret: str) -> str:
        return self._keyring.seal(secret.encode(), _purpose(pool_id, sub))

    def _open(self, pool_id: str, sub: str, sealed: str | None) -> str | None:
        if sealed is None:
            return None
        return self._keyring.open(sealed, _purpose(pool_id, sub)).decode()

    def _mfa(self, row: Any) -> UserMfa:
        return UserMfa(
            pool_id=PoolId(row.pool_id),
            sub=UserSub(row.sub),
            sms_enabled=bool(row.sms_enabled),
            software_token_enabled=bool(row.totp_enabled),
            email_enabled=bool(row.email_enabled),
            preferred=MfaFactor(row.preferred) if row.preferred else None,
            totp_secret=self._open(row.pool_id, row.sub, row.totp_sealed),
            totp_name=row.totp_name,
            totp_last_step=None if row.totp_last_step is None else int(row.totp_last_step),
            pending_secret=self._open(row.pool_id, row.sub, row.pending_sealed),
            totp_failures=int(row.totp_failures),
            totp_failed_at=aware(row.totp_failed_at),
        )

    async def _upsert(
        self, pool_id: str, sub: str, when: datetime, replace: dict[str, Any]
    ) -> None:
        values: dict[str, Any] = {
            "pool_id": pool_id,
            "sub": sub,
            "sms_enabled": False,
            "totp_enabled": False,
            "email_enabled": False,
            "totp_failures": 0,
            "modified": when,
            **replace,
        }
        changes = {**replace, "modified": when}
        # One statement: two first writes for a user at once cannot fail on the key.
        if self._engine.dialect.name == "postgresql":
            pg = postgresql.insert(user_mfa).values(**values)
            stmt: Any = pg.on_conflict_do_update(index_elements=_KEYS, set_=changes)
        else:
            lite = sqlite.insert(user_mfa).values(**values)
            stmt = lite.on_conflict_do_update(index_elements=_KEYS, set_=changes)
        async with self._engine.begin() as conn:
            await conn.execute(stmt)

    async def get_mfa(self, pool_id: PoolId, sub: UserSub) -> UserMfa | None:
        # GetUser reads this on every call: a prebuilt statement, run on the driver directly.
        row = await self._direct.first(_GET_MFA, {"pool_id": pool_id, "sub": sub})
        return self._mfa(row) if row else None

    async def save_preferences(self, mfa: UserMfa, when: datetime) -> None:
        await self._upsert(
            mfa.pool_id,
            mfa.sub,
            when,
            {
                "sms_enabled": mfa.sms_enabled,
                "totp_enabled": mfa.software_token_enabled,
                "email_enabled": mfa.email_enabled,
                "preferred": mfa.preferred.value if mfa.preferred else None,
            },
        )

    async def set_pending_secret(
        self, pool_id: PoolId, sub: UserSub, secret: str, when: datetime
    ) -> None:
        await self._upsert(pool_id, sub, when, {"pending_sealed": self._seal(pool_id, sub, secret)})

    async def activate_secret(
        self,
        pool_id: PoolId,
        sub: UserSub,
        secret: str,
        name: str | None,
        step: int,
        when: datetime,
        enable: bool,
    ) -> bool:
        changes: dict[str, Any] = {
            "totp_sealed": self._seal(pool_id, sub, secret),
            "totp_name": name,
            "totp_last_step": step,
            "pending_sealed": None,
            "totp_failures": 0,
            "totp_failed_at": None,
            "modified": when,
        }
        if enable:
            changes["totp_enabled"] = True
            changes["preferred"] = func.coalesce(
                user_mfa.c.preferred, MfaFactor.SOFTWARE_TOKEN_MFA.value
            )
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(user_mfa)
                .where(
                    user_mfa.c.pool_id == pool_id,
                    user_mfa.c.sub == sub,
                    user_mfa.c.pending_sealed.is_not(None),
                )
                .values(**changes)
            )
        return bool(result.rowcount)

    async def use_step(self, pool_id: PoolId, sub: UserSub, step: int, when: datetime) -> bool:
        # A conditional write, so of two requests with the same code only one gets through.
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(user_mfa)
                .where(
                    user_mfa.c.pool_id == pool_id,
                    user_mfa.c.sub == sub,
                    user_mfa.c.totp_sealed.is_not(None),
                    (user_mfa.c.totp_last_step.is_(None)) | (user_mfa.c.totp_last_step < step),
                )
                .values(totp_last_step=step, totp_failures=0, totp_failed_at=None, modified=when)
            )
        return bool(result.rowcount)

    async def count_attempt(
        self,
        pool_id: PoolId,
        sub: UserSub,
        when: datetime,
        free: int,
        not_after: Sequence[datetime],
    ) -> bool:
        failures, failed_at = user_mfa.c.totp_failures, user_mfa.c.totp_failed_at
        times = [literal(t, type_=failed_at.type) for t in not_after]
        # The latest last failure that lets this attempt count, by how many there are now.
        whens = [(failures == free + i, t) for i, t in enumerate(times[:-1])]
        cutoff = case(*whens, else_=times[-1]) if whens else times[-1]
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(user_mfa)
                .where(
                    user_mfa.c.pool_id == pool_id,
                    user_mfa.c.sub == sub,
                    (failures < free) | failed_at.is_(None) | (failed_at <= cutoff),
                )
                .values(totp_failures=failures + 1, totp_failed_at=when)
            )
        return bool(result.rowcount)
