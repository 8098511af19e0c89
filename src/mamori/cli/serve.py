"""`mamori serve`: checks before listening, uvicorn's settings, and each worker process's app."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import os
import ssl
import sys
from pathlib import Path
from typing import Any

from mamori.cli.migrate import migrate
from mamori.config import SECRET_SETTINGS, ConfigError, Settings, load_settings


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
    migrate(settings)
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


def serve(settings: Settings, config_file: str | None) -> None:
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
