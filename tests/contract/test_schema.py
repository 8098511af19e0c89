"""The migrations build exactly the schema `tables.metadata` declares, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from mamori.adapters.store.sql.connection.engine import MIGRATIONS, make_sync_engine, migrate
from mamori.adapters.store.sql.tables import metadata


def test_migrated_schema_matches_the_table_definitions(database_url: str) -> None:
    engine = make_sync_engine(database_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "compare_server_default": True}
            )
            assert compare_metadata(context, metadata) == []
    finally:
        engine.dispose()


def test_collations_match_the_table_definitions(database_url: str) -> None:
    """Alembic does not compare collations; prefix searches depend on them
    (tables.base.code_point_key)."""
    engine = make_sync_engine(database_url)
    try:
        with engine.connect() as conn:
            inspector = inspect(conn)
            for table in metadata.tables.values():
                found = {c["name"]: c["type"] for c in inspector.get_columns(table.name)}
                for column in table.columns:
                    want = getattr(column.type.dialect_impl(conn.dialect), "collation", None)
                    got = getattr(found[column.name], "collation", None)
                    assert got == want, f"{table.name}.{column.name}: {got!r} != {want!r}"
    finally:
        engine.dispose()


def test_database_is_at_the_single_head_and_migrating_again_is_harmless(
    database_url: str,
) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, f"migration history forked: {heads}"
    migrate(database_url)
    engine = make_sync_engine(database_url)
    try:
        with engine.connect() as conn:
            assert MigrationContext.configure(conn).get_current_heads() == tuple(heads)
            assert set(inspect(conn).get_table_names()) == set(metadata.tables) | {
                "alembic_version"
            }
    finally:
        engine.dispose()
