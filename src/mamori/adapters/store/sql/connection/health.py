"""The database's readiness: one `SELECT 1` through the engine."""

from __future__ import annotations

from sqlalchemy import text

from mamori.adapters.store.sql.base import SqlBase


class SqlReadiness(SqlBase):
    async def check_ready(self) -> None:
        async with self._engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
