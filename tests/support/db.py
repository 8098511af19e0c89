"""Read a live server's database directly: to check what is (not) stored at rest."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from mamori.adapters.store.sql.connection.engine import make_sync_engine


def rows(database_url: str, sql: str, **params: Any) -> list[dict[str, Any]]:
    """Run one read-only query on the server's database (SQLite file or PostgreSQL)."""
    engine = make_sync_engine(database_url)
    try:
        with engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(text(sql), params)]
    finally:
        engine.dispose()
