"""The `mamori` command: serve, migrate, admin-credentials, outbox, purge."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import functools
import json
import logging
import os
import ssl
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mamori.config import SECRET_SETTINGS, ConfigError, Settings, load_settings

if TYPE_CHECKING:
    from mamori.services.purge import Purged

log = logging.getLogger("mamori")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="TOML settings file (also MAMORI_CONFIG)")
    parser.add_argument("--data-dir", dest="data_dir", help="data directory (default ./.mamori)")
    parser.add_argument(
        "--database-url",
        dest="database_url",
        help="sqlite:///path or postgresql://... (default: SQLite in data dir)",
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mamori", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the server")
    _common(serve)
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument(
        "--public-url", dest="public_url", help="external base URL, used as the token issuer prefix"
    )
    serve.add_argument("--workers", type=int, help="server processes (default 1)")
    serve.add_argument("--tls-cert", dest="tls_cert")
    serve.add_argument("--tls-key", dest="tls_key")
    serve.add_argument(
        "--trusted-proxies",
        dest="trusted_proxies",
        help="comma-separated addresses whose X-Forwarded-* headers are trusted",
    )
    serve.add_argument(
        "--allowed-hosts",
        dest="allowed_hosts",
        help="comma-separated Host names answered (default: the public URL's host and loopback)",
    )
    serve.add_argument(
        "--cors-origins",
        dest="cors_origins",
        help="comma-separated origins browsers may call from (default *, none in emulator mode)",
    )
    serve.add_argument(
        "--accept-any-credentials",
        dest="accept_any_credentials",
        action="store_const",
        const=True,
        help="emulator mode: skip SigV4 checks on admin operations (UNSAFE)",
    )
    migrate = sub.add_parser("migrate", help="apply database migrations")
    _common(migrate)
    creds = sub.add_parser("admin-credentials", help="print the admin access key and secret")
    _common(creds)
    creds.add_argument("--json", action="store_true")
    outbox = sub.add_parser("outbox", help="print messages kept in the outbox")
    _common(outbox)
    outbox.add_argument("--pool")
    outbox.add_argument("--to")
    outbox.add_argument("--latest", action="store_true", help="only the newest message")
    outbox.add_argument(
        "--code-only",
        dest="code_only",
        action="store_true",
        help="print only the code of the newest matching message",
    )
    outbox.add_argument("--json", action="store_true")
    purge = sub.add_parser(
        "purge",
        help="delete expired refresh sessions and one-time codes and old outbox messages "
        "(servers also do it)",
    )
    _common(purge)
    purge.add_argument(
        "--dry-run", dest="dry_run", action="store_true", help="only count what would go"
    )
    return parser


_SETTING_FLAGS = (
    "data_dir",
    "database_url",
    "host",
    "port",
    "public_url",
    "workers",
    "tls_cert",
    "tls_key",
    "trusted_proxies",
    "allowed_hosts",
    "cors_origins",
    "accept_any_credentials",
)


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {k: getattr(args, k) for k in _SETTING_FLAGS if hasattr(args, k)}
    return load_settings(overrides, config_file=args.config)


def _prepare(settings: Settings) -> Any:
    """Everything `serve` needs before it listens; ConfigError with a clear reason otherwise."""
    from mamori.wiring import admin_credentials, master_key

    if settings.tls_cert:
        try:
            ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(
                settings.tls_cert, settings.tls_key
            )
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(
                f"tls_cert/tls_key: cannot load {settings.tls_cert} and {settings.tls_key}: {exc}"
            ) from exc
    try:
        # It holds the master key, the admin secret and the SQLite database: its owner's only.
        settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        settings.data_dir.chmod(0o700)
    except OSError as exc:
        raise ConfigError(f"data_dir: cannot create {settings.data_dir}: {exc}") from exc
    _migrate(settings)
    master_key(settings)
    # Before anything else reads (and so generates) them: `serve` shows a new secret once.
    creds = admin_credentials(settings)
    asyncio.run(_check_master_key(settings))
    if settings.redis_url:
        from mamori.wiring import check_redis

        asyncio.run(check_redis(settings))
    return creds


async def _check_master_key(settings: Settings) -> None:
    """The app checks again at start-up; here a mismatch is a message, not a traceback."""
    from mamori.services.tokens.keys import MasterKeyMismatch
    from mamori.wiring import build_services

    runtime = build_services(settings)
    try:
        await runtime.services.keys.check_master_key()
    except MasterKeyMismatch as exc:
        raise ConfigError(f"master_key: {exc}") from exc
    finally:
        await runtime.aclose()


def _database_error(settings: Settings, exc: Exception) -> ConfigError:
    """A driver error as one line naming the database, never its password."""
    from sqlalchemy.engine import make_url

    shown = make_url(settings.effective_database_url).render_as_string(hide_password=True)
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return ConfigError(f"database {shown}: {reason}")


def _migrate(settings: Settings) -> None:
    from mamori.adapters.store.sql.engine import migrate

    try:
        migrate(settings.effective_database_url)
    except Exception as exc:  # any driver error
        raise _database_error(settings, exc) from exc


def _serve(settings: Settings, config_file: str | None) -> None:
    import uvicorn

    from mamori.api.connections import DeadlineProtocol

    creds = _prepare(settings)
    url = settings.effective_public_url
    print(f"mamori listening on {settings.host}:{settings.port} (public URL {url})", flush=True)
    print(f"  endpoint_url          = {url}", flush=True)
    print(f"  aws_access_key_id     = {creds.access_key_id}", flush=True)
    if settings.admin_access_key_id:
        # Given by the operator (production): never echo it to consoles and log collectors.
        print("  aws_secret_access_key = (as configured)", flush=True)
    elif creds.generated:
        # Generated just now: shown once, for the quick start; later starts keep it off
        # consoles and log collectors.
        print(f"  aws_secret_access_key = {creds.secret_access_key}", flush=True)
        print(
            "  (stored in the data directory; `mamori admin-credentials` prints them again)",
            flush=True,
        )
    else:
        print(
            "  aws_secret_access_key = (in the data directory: `mamori admin-credentials`)",
            flush=True,
        )
    if settings.accept_any_credentials:
        print(
            "WARNING: --accept-any-credentials: admin operations are NOT authenticated. "
            "Emulator mode for local development only; never expose this server.",
            file=sys.stderr,
            flush=True,
        )
        if "*" in settings.cors_origins:
            print(
                "  CORS: '*' is not served in emulator mode; name the origins of your web app "
                "with --cors-origins (MAMORI_CORS_ORIGINS).",
                file=sys.stderr,
                flush=True,
            )
    config: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "workers": settings.workers,
        "factory": True,
        "log_level": settings.log_level,
        "access_log": False,
        # X-Forwarded-* are read by the application (api/proxies.py), right to left.
        "proxy_headers": False,
        "server_header": False,
        # A request's head within header_timeout_seconds and max_header_bytes (uvicorn's
        # httptools protocol has neither).
        "http": functools.partial(
            DeadlineProtocol,
            header_timeout=settings.header_timeout_seconds,
            max_header_bytes=settings.max_header_bytes,
        ),
        "limit_concurrency": 2000,
        # Idle TLS keep-alive connections would otherwise hold a shutdown for the SSL
        # close handshake's 30 s; in-flight requests get this long to finish.
        "timeout_graceful_shutdown": 5,
    }
    if settings.tls_cert:
        config["ssl_certfile"] = settings.tls_cert
        config["ssl_keyfile"] = settings.tls_key
    # Worker processes rebuild settings from the environment: pass them through it, except
    # secrets, which stay where they were given (the config file, which the workers read
    # again, or the operator's own MAMORI_* variables): the environment is inherited by every
    # child process and shown by tools that print it.
    os.environ.update(_as_env(settings))
    if config_file:
        os.environ["MAMORI_CONFIG"] = str(Path(config_file).resolve())
    else:
        os.environ.pop("MAMORI_CONFIG", None)
    uvicorn.run("mamori.cli:asgi_app", **config)


def _as_env(settings: Settings) -> dict[str, str]:
    env = {}
    for field in dataclasses.fields(settings):
        if field.name in SECRET_SETTINGS:
            continue
        value = getattr(settings, field.name)
        if isinstance(value, tuple):
            value = ",".join(value)
        env[f"MAMORI_{field.name.upper()}"] = (
            str(value).lower() if isinstance(value, bool) else str(value)
        )
    return env


_LOG_LEVELS = {"trace": logging.DEBUG}


def _few_malloc_arenas() -> None:
    """Keep a server process's memory flat: glibc gives each thread its own malloc arena.

    argon2id allocates m KiB (19 MiB by default) per hash on whichever worker thread runs it,
    and every arena keeps its high-water mark: with one arena per thread RSS grows by m for
    every thread that ever hashed. Two arenas bound that to what runs at once.
    """
    import ctypes
    import ctypes.util

    m_arena_max = -8  # <malloc.h>
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(m_arena_max, 2)
    except (OSError, AttributeError):  # not glibc: nothing to tune
        pass


def asgi_app() -> Any:
    """uvicorn's factory in each worker process: settings from the environment."""
    from mamori.app import create_app
    from mamori.wiring import build_services

    _few_malloc_arenas()
    settings = load_settings()
    level = _LOG_LEVELS.get(settings.log_level, settings.log_level.upper())
    logging.basicConfig(format="%(message)s")
    logging.getLogger("mamori").setLevel(level)
    return create_app(build_services(settings), settings)


def _outbox(settings: Settings, args: argparse.Namespace) -> int:
    from mamori.adapters.store.sql.direct import dispose
    from mamori.adapters.store.sql.engine import make_async_engine
    from mamori.adapters.store.sql.outbox import SqlOutbox

    async def read() -> list[Any]:
        engine = make_async_engine(settings.effective_database_url)
        try:
            return list(await SqlOutbox(engine).list_messages(args.pool, args.to, 1000))
        finally:
            await dispose(engine)

    messages = asyncio.run(read())
    if args.latest or args.code_only:
        messages = messages[-1:]
    if args.code_only:
        codes = [m.code for m in messages if m.code]
        if not codes:
            print("no message with a code", file=sys.stderr)
            return 1
        print(codes[-1])
        return 0
    for m in messages:
        record = {
            "id": m.id,
            "pool_id": m.pool_id,
            "channel": m.channel,
            "to": m.destination,
            "subject": m.subject,
            "body": m.body,
            "code": m.code,
            "created": m.created.isoformat(),
        }
        print(
            json.dumps(record)
            if args.json
            else f"[{m.created:%Y-%m-%d %H:%M:%S}] {m.channel} to {m.destination} ({m.pool_id}): "
            f"{m.body}"
        )
    return 0


def _purge(settings: Settings, dry_run: bool) -> int:
    from mamori.wiring import purger_for

    async def run() -> Purged:
        async with purger_for(settings) as purger:
            return await purger.purge(dry_run=dry_run)

    from sqlalchemy.exc import SQLAlchemyError

    try:
        purged = asyncio.run(run())
    except SQLAlchemyError as exc:  # the database went away after the migration, say
        raise _database_error(settings, exc) from exc
    verb = "would be deleted" if dry_run else "deleted"
    print(
        f"refresh sessions: {purged.sessions} {verb} "
        f"(expired before {purged.sessions_before.isoformat(timespec='seconds')})"
    )
    print(
        f"codes: {purged.codes} {verb} "
        f"(expired before {purged.codes_before.isoformat(timespec='seconds')})"
    )
    print(_purged_messages(purged, verb))
    return 0


def _purged_messages(purged: Purged, verb: str) -> str:
    if purged.messages_before is None:
        return "outbox messages: kept (outbox_retention_hours = 0)"
    return (
        f"outbox messages: {purged.messages} {verb} "
        f"(created before {purged.messages_before.isoformat(timespec='seconds')})"
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = _settings(args)
        if args.command == "serve":
            _serve(settings, args.config or os.environ.get("MAMORI_CONFIG"))
            return 0
        if args.command == "migrate":
            _migrate(settings)
            print("database is at the newest revision")
            return 0
        if args.command == "admin-credentials":
            return _admin_credentials(settings, args.json)
        if args.command == "outbox":
            _migrate(settings)
            return _outbox(settings, args)
        if args.command == "purge":
            _migrate(settings)
            return _purge(settings, args.dry_run)
    except ConfigError as exc:
        print(f"mamori: {exc}", file=sys.stderr)
        return 2
    return 2


def _admin_credentials(settings: Settings, as_json: bool) -> int:
    from mamori.wiring import admin_credentials

    creds = admin_credentials(settings)
    if as_json:
        print(
            json.dumps(
                {
                    "aws_access_key_id": creds.access_key_id,
                    "aws_secret_access_key": creds.secret_access_key,
                }
            )
        )
    else:
        print(f"aws_access_key_id     = {creds.access_key_id}")
        print(f"aws_secret_access_key = {creds.secret_access_key}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
