"""`mamori migrate`: the schema brought to the newest revision; database errors as one line."""

from __future__ import annotations

from mamori.config import ConfigError, Settings


def database_error(settings: Settings, exc: Exception) -> ConfigError:
    """A driver error as one line naming the database, never its password."""
    from sqlalchemy.engine import make_url

    shown = make_url(settings.effective_database_url).render_as_string(hide_password=True)
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return ConfigError(f"database {shown}: {reason}")


def migrate(settings: Settings) -> None:
    from mamori.adapters.store.sql.connection.engine import migrate

    try:
        migrate(settings.effective_database_url)
    except Exception as exc:  # any driver error
        raise database_error(settings, exc) from exc
