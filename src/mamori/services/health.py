"""Readiness (`GET /health`): whether this process can reach its database."""

from __future__ import annotations

from mamori.services.ports import Readiness


class Health:
    def __init__(self, database: Readiness) -> None:
        self._database = database

    async def ready(self) -> bool:
        try:
            await self._database.check_ready()
        except Exception:  # readiness: any database failure means not ready
            return False
        return True
