"""Settings: one frozen, typed object, validated once. Defaults < TOML file < MAMORI_* env < CLI."""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, get_type_hints


class ConfigError(ValueError):
    """A setting is missing or malformed; raised once, at start-up."""


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 9229
    data_dir: Path = Path(".mamori")
    database_url: str = ""  # empty: SQLite file in data_dir
    public_url: str = ""  # empty: http(s)://host:port
    region: str = "us-east-1"
    workers: int = 1
    tls_cert: str = ""
    tls_key: str = ""
    # Forwarded headers (X-Forwarded-For/-Proto/-Host) are trusted only from these addresses.
    trusted_proxies: tuple[str, ...] = ()
    cors_origins: tuple[str, ...] = ("*",)
    accept_any_credentials: bool = False
    admin_access_key_id: str = field(default="", repr=False)
    admin_secret_access_key: str = field(default="", repr=False)
    master_key: str = field(default="", repr=False)  # base64 of 32 bytes; empty: generated file
    max_body_bytes: int = 1024 * 1024
    # argon2id, OWASP's recommended minimum (m=19 MiB, t=2, p=1)
    argon2_time_cost: int = 2
    argon2_memory_kib: int = 19456
    argon2_parallelism: int = 1
    email_sender: str = "outbox"  # outbox | smtp
    sms_sender: str = "outbox"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_username: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_starttls: bool = False
    smtp_from: str = "no-reply@mamori.local"
    code_ttl_seconds: int = 24 * 3600
    log_level: str = "info"

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'mamori.db').resolve()}"

    @property
    def effective_public_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        scheme = "https" if self.tls_cert else "http"
        return f"{scheme}://{self.host}:{self.port}"

    def validate(self) -> Settings:
        if not 0 < self.port < 65536:
            raise ConfigError(f"port must be between 1 and 65535, got {self.port}")
        if bool(self.tls_cert) != bool(self.tls_key):
            raise ConfigError("tls_cert and tls_key must be given together")
        if bool(self.admin_access_key_id) != bool(self.admin_secret_access_key):
            raise ConfigError(
                "admin_access_key_id and admin_secret_access_key must be given together"
            )
        if self.workers < 1:
            raise ConfigError("workers must be at least 1")
        if self.email_sender not in {"outbox", "smtp"}:
            raise ConfigError(f"unknown email_sender {self.email_sender!r} (outbox, smtp)")
        if self.sms_sender not in {"outbox"}:
            raise ConfigError(f"unknown sms_sender {self.sms_sender!r} (outbox)")
        if self.argon2_memory_kib < 8 or self.argon2_time_cost < 1:
            raise ConfigError("argon2 parameters too small")
        return self


def _coerce(name: str, kind: Any, raw: Any) -> Any:
    try:
        if kind is bool:
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in {"1", "true", "yes", "on"}:
                return True
            if text in {"0", "false", "no", "off", ""}:
                return False
            raise ValueError(raw)
        if kind is int:
            if isinstance(raw, bool):
                raise ValueError(raw)
            return int(raw)
        if kind is Path:
            return Path(str(raw))
        if kind == tuple[str, ...]:
            if isinstance(raw, list | tuple):
                return tuple(str(x) for x in raw)
            return tuple(p.strip() for p in str(raw).split(",") if p.strip())
        return str(raw)
    except ValueError as exc:
        raise ConfigError(f"setting {name}: cannot read {raw!r} as {kind}") from exc


def load_settings(
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    config_file: str | Path | None = None,
) -> Settings:
    """Build Settings from a TOML file, MAMORI_* variables and explicit overrides (CLI flags)."""
    env = os.environ if environ is None else environ
    hints = get_type_hints(Settings)
    names = {f.name for f in fields(Settings)}
    values: dict[str, Any] = {}
    path = config_file or env.get("MAMORI_CONFIG")
    if path:
        try:
            with open(path, "rb") as fh:
                data = tomllib.load(fh)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read config file {path}: {exc}") from exc
        section = data.get("mamori", data)
        for key, raw in section.items():
            if key not in names:
                raise ConfigError(f"unknown setting {key!r} in {path}")
            values[key] = _coerce(key, hints[key], raw)
    for name in names:
        raw = env.get(f"MAMORI_{name.upper()}")
        if raw is not None:
            values[name] = _coerce(name, hints[name], raw)
    for key, raw in (overrides or {}).items():
        if raw is None:
            continue
        if key not in names:
            raise ConfigError(f"unknown setting {key!r}")
        values[key] = _coerce(key, hints[key], raw)
    return dataclasses.replace(Settings(), **values).validate()
