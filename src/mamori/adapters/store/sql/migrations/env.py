"""Alembic environment: runs migrations on the connection mamori hands it."""

from __future__ import annotations

from alembic import context

from mamori.adapters.store.sql.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("mamori runs migrations with a connection; use `mamori migrate`")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
