"""Settings: one frozen, typed object, validated once. Defaults < TOML file < MAMORI_* env < CLI."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import ipaddress
import os
import re
import tomllib
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, get_type_hints


class ConfigError(ValueError):
    """A setting is missing or malformed; raised once, at start-up."""


LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]+")
_ORIGIN = re.compile(r"https?://[^/\s?#]+")
# SigV4 puts the key id in "Credential=<id>/<date>/...": no slash, comma or space.
_ACCESS_KEY_ID = re.compile(r"[A-Za-z0-9_+=.@-]{1,128}")
_SENDER_ID = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 9229
    data_dir: Path = Path(".mamori")
    database_url: str = ""  # empty: SQLite file in data_dir
    # Connections per server process (and as many again under load); 0: 32 on PostgreSQL,
    # 16 on SQLite. Keep processes x 2 x pool_size under PostgreSQL's max_connections.
    database_pool_size: int = 0
    public_url: str = ""  # empty: http(s)://host:port
    region: str = "us-east-1"
    workers: int = 1
    tls_cert: str = ""
    tls_key: str = ""
    # X-Forwarded-For/-Proto are read only from these addresses (docs/security.md); "*": any
    # peer is one proxy, and the client is the address it appended (the right-most).
    trusted_proxies: tuple[str, ...] = ()
    # Origins browsers may call from. "*" is not served in emulator mode (accept_any_credentials),
    # where any page could otherwise act as the administrator: name the origins there.
    cors_origins: tuple[str, ...] = ("*",)
    # Host header values answered (names, any port); empty: public_url's host and the loopback
    # names. "*" answers any Host, and is refused in emulator mode (DNS rebinding).
    allowed_hosts: tuple[str, ...] = ()
    accept_any_credentials: bool = False
    # Slow clients: a request's head must arrive within header_timeout_seconds of the
    # connection opening (or of its first byte), its body within body_timeout_seconds.
    header_timeout_seconds: int = 10
    body_timeout_seconds: int = 30
    # A request's head (request line and headers) larger than this is answered 431 and closed:
    # uvicorn's httptools parser has no limit of its own.
    max_header_bytes: int = 64 * 1024
    admin_access_key_id: str = field(default="", repr=False)
    admin_secret_access_key: str = field(default="", repr=False)
    master_key: str = field(default="", repr=False)  # base64 of 32 bytes; empty: generated file
    max_body_bytes: int = 1024 * 1024
    # argon2id, OWASP's recommended minimum (m=19 MiB, t=2, p=1)
    argon2_time_cost: int = 2
    argon2_memory_kib: int = 19456
    argon2_parallelism: int = 1
    # Message delivery (docs/delivery.md): a sender id from the registry, built-in or a plugin's.
    email_sender: str = "outbox"  # outbox | smtp | ses | webhook
    sms_sender: str = "outbox"  # outbox | sns | webhook
    delivery_timeout_seconds: int = 10  # SMTP, SES, SNS and webhook calls
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_username: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_starttls: bool = False
    smtp_ca_file: str = ""  # PEM, trusted for STARTTLS besides the system's authorities
    smtp_from: str = "no-reply@mamori.local"
    # Amazon SNS / SES (or compatible endpoints); empty credentials: botocore's chain.
    sns_endpoint: str = ""
    sns_region: str = ""  # empty: region
    sns_access_key_id: str = field(default="", repr=False)
    sns_secret_access_key: str = field(default="", repr=False)
    ses_endpoint: str = ""
    ses_region: str = ""  # empty: region
    ses_access_key_id: str = field(default="", repr=False)
    ses_secret_access_key: str = field(default="", repr=False)
    ses_source: str = ""  # the verified From address; empty: smtp_from
    # Signed webhook (Standard Webhooks headers); the secret may be `whsec_<base64>`.
    webhook_url: str = field(default="", repr=False)  # its query may hold a token
    webhook_secret: str = field(default="", repr=False)
    webhook_ca_file: str = ""
    code_ttl_seconds: int = 24 * 3600
    # How often each server process deletes expired refresh sessions and codes and old outbox
    # messages (`mamori purge` does it once); 0 turns it off. Several processes purging at once
    # is harmless.
    purge_interval_seconds: int = 3600
    # The purge deletes outbox messages older than this; 0 keeps them forever. They hold codes
    # and temporary passwords in clear. 7 days: longer than a code lives (code_ttl_seconds, 24 h)
    # and as long as a default temporary password (TemporaryPasswordValidityDays 7), so a
    # message is kept while what it carries can still be used. Pools that give invitations a
    # longer validity want a longer retention.
    outbox_retention_hours: int = 168
    log_level: str = "info"
    # Guessing protection (docs/security.md): counters in Redis when redis_url is set, so every
    # server process shares them; in the database otherwise. Rate limits are token buckets per
    # kind of request (sign-in, challenge answers, ChangePassword, sign-up, codes): a burst at
    # once, then so many per second, per client IP and per user; per_second 0 turns one off.
    redis_url: str = field(default="", repr=False)  # redis://[:password@]host:port/db
    lockout: bool = True  # Cognito's back-off after five failed sign-ins
    rate_limit_ip_per_second: int = 20
    rate_limit_ip_burst: int = 40
    rate_limit_user_per_second: int = 1
    rate_limit_user_burst: int = 10
    # Codes and invitations sent per hour (after a burst of up to 5), per user and per phone
    # number or email address; 0 turns one off. LimitExceededException beyond.
    code_sends_per_user_per_hour: int = 10
    code_sends_per_destination_per_hour: int = 10
    # Identity pools. GetCredentialsForIdentity calls AssumeRoleWithWebIdentity at this STS
    # (empty: AWS STS in sts_region), SigV4-signed when sts_access_key_id is set.
    sts_endpoint: str = ""
    sts_region: str = ""  # empty: region
    sts_access_key_id: str = field(default="", repr=False)
    sts_secret_access_key: str = field(default="", repr=False)
    sts_timeout_seconds: int = 10
    identity_token_ttl_seconds: int = 600  # GetOpenIdToken tokens (Cognito: 10 minutes)
    identity_credentials_seconds: int = 3600  # DurationSeconds asked of STS
    # OpenID Connect issuers identity pools may name in OpenIdConnectProviderARNs, with the
    # client ids (audiences) accepted: "<issuer URL>|<client id>[|<client id>...]".
    oidc_providers: tuple[str, ...] = ()

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
        host = f"[{self.host}]" if ":" in self.host else self.host  # an IPv6 literal (RFC 3986)
        return f"{scheme}://{host}:{self.port}"

    @property
    def effective_cors_origins(self) -> tuple[str, ...]:
        if self.accept_any_credentials:
            return tuple(o for o in self.cors_origins if o != "*")
        return self.cors_origins

    @property
    def effective_allowed_hosts(self) -> tuple[str, ...]:
        """Host names (lower case, IPv6 without brackets) this server answers; ("*",): any."""
        if self.allowed_hosts:
            return tuple(h.lower().strip("[]") for h in self.allowed_hosts)
        public = urllib.parse.urlsplit(self.effective_public_url).hostname or ""
        return tuple(dict.fromkeys(h for h in (public, *LOOPBACK_HOSTS) if h))

    @property
    def effective_sts_region(self) -> str:
        return self.sts_region or self.region

    @property
    def effective_sts_endpoint(self) -> str:
        return self.sts_endpoint or f"https://sts.{self.effective_sts_region}.amazonaws.com"

    @property
    def identity_issuer(self) -> str:
        """The issuer of GetOpenIdToken tokens; STS must trust it as an OIDC provider."""
        return f"{self.effective_public_url}/identity"

    def validate(self) -> Settings:
        """Check every setting once, at start-up; ConfigError says which one and why."""
        if not 0 < self.port < 65536:
            raise ConfigError(f"port must be between 1 and 65535, got {self.port}")
        if bool(self.tls_cert) != bool(self.tls_key):
            raise ConfigError("tls_cert and tls_key must be given together")
        if bool(self.admin_access_key_id) != bool(self.admin_secret_access_key):
            raise ConfigError(
                "admin_access_key_id and admin_secret_access_key must be given together"
            )
        if self.admin_access_key_id and not _ACCESS_KEY_ID.fullmatch(self.admin_access_key_id):
            raise ConfigError(
                "admin_access_key_id may hold only letters, digits and _+=.@- (1-128 characters)"
            )
        if self.master_key:
            _check_master_key(self.master_key)
        if self.workers < 1:
            raise ConfigError("workers must be at least 1")
        if not 0 <= self.database_pool_size <= 1000:
            raise ConfigError("database_pool_size must be between 0 (default) and 1000")
        if not _REGION.fullmatch(self.region):
            raise ConfigError(f"region {self.region!r} is not an AWS region name like us-east-1")
        if self.database_url and not self.database_url.startswith(("sqlite", "postgres")):
            raise ConfigError(
                f"database_url must start with sqlite:// or postgresql://, "
                f"got {self.database_url.split(':', 1)[0]}:..."
            )
        if self.public_url and not _ORIGIN.match(self.public_url):
            raise ConfigError(
                f"public_url must be an http:// or https:// URL, got {self.public_url!r}"
            )
        if self.public_url and any(c in self.public_url for c in "?#"):
            raise ConfigError("public_url must not have a query or fragment")
        for origin in self.cors_origins:
            if origin != "*" and not _ORIGIN.fullmatch(origin.rstrip("/")):
                raise ConfigError(
                    f"cors_origins entry {origin!r} is not '*' or an origin like "
                    "https://app.example.com"
                )
        self._validate_front_door()
        for proxy in self.trusted_proxies:
            if proxy == "*":
                continue
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise ConfigError(
                    f"trusted_proxies entry {proxy!r} is not an IP address or network"
                ) from None
        if self.redis_url and not self.redis_url.startswith(("redis://", "rediss://", "unix://")):
            raise ConfigError("redis_url must start with redis://, rediss:// or unix://")
        for who in ("ip", "user"):
            if getattr(self, f"rate_limit_{who}_per_second") < 0:
                raise ConfigError(
                    f"rate_limit_{who}_per_second: rate limits must be 0 (off) or a number of "
                    "requests per second"
                )
            if getattr(self, f"rate_limit_{who}_burst") < 1:
                raise ConfigError(f"rate_limit_{who}_burst must be at least 1")
        if self.code_sends_per_user_per_hour < 0 or self.code_sends_per_destination_per_hour < 0:
            raise ConfigError("code send quotas must be 0 (off) or a number of sends per hour")
        if self.log_level not in LOG_LEVELS:
            raise ConfigError(f"log_level must be one of {', '.join(LOG_LEVELS)}")
        if self.max_body_bytes < 1024:
            raise ConfigError("max_body_bytes must be at least 1024")
        if self.code_ttl_seconds < 1:
            raise ConfigError("code_ttl_seconds must be at least 1")
        if self.purge_interval_seconds < 0:
            raise ConfigError("purge_interval_seconds must be 0 (off) or a number of seconds")
        # A cutoff more than a few thousand years back cannot be a datetime: every purge
        # would fail, sessions and codes included. 0 is the way to keep messages forever.
        if not 0 <= self.outbox_retention_hours <= 100 * 365 * 24:
            raise ConfigError(
                "outbox_retention_hours must be 0 (keep forever) or a number of hours "
                "up to 876000 (100 years)"
            )
        if not 0 < self.smtp_port < 65536:
            raise ConfigError(f"smtp_port must be between 1 and 65535, got {self.smtp_port}")
        for name in ("email_sender", "sms_sender"):
            # Whether the id is known is the sender registry's call, when wiring builds it.
            if not _SENDER_ID.fullmatch(getattr(self, name)):
                raise ConfigError(f"{name} must be a sender id like outbox, smtp, ses, sns")
        if not 1 <= self.delivery_timeout_seconds <= 120:
            raise ConfigError("delivery_timeout_seconds must be between 1 and 120")
        if self.argon2_memory_kib < 8 or self.argon2_time_cost < 1 or self.argon2_parallelism < 1:
            raise ConfigError("argon2 parameters too small")
        self._validate_identity_pools()
        return self

    def _validate_front_door(self) -> None:
        for entry in self.allowed_hosts:
            if entry != "*" and not _HOST.fullmatch(entry):
                raise ConfigError(
                    f"allowed_hosts entry {entry!r} is not '*' or a host name like "
                    "id.example.com (no scheme, port or path)"
                )
        if not 1 <= self.header_timeout_seconds <= 3600:
            raise ConfigError("header_timeout_seconds must be between 1 and 3600")
        if not 1 <= self.body_timeout_seconds <= 3600:
            raise ConfigError("body_timeout_seconds must be between 1 and 3600")
        if not 1024 <= self.max_header_bytes <= 1024 * 1024:
            raise ConfigError("max_header_bytes must be between 1024 and 1048576")
        if not self.accept_any_credentials:
            return
        # Emulator mode answers admin operations without authentication: only this machine
        # may reach it, and only under names an attacker's web page cannot take.
        if not _is_loopback(self.host):
            raise ConfigError(
                f"accept_any_credentials serves admin operations to anyone who can connect: "
                f"bind it to 127.0.0.1, ::1 or localhost, not {self.host!r}"
            )
        if "*" in self.allowed_hosts:
            raise ConfigError(
                "allowed_hosts '*' is refused with accept_any_credentials (DNS rebinding): "
                "name the hosts"
            )

    def _validate_identity_pools(self) -> None:
        if self.sts_endpoint and not _ORIGIN.match(self.sts_endpoint):
            raise ConfigError(f"sts_endpoint must be an http(s) URL, got {self.sts_endpoint!r}")
        if self.sts_region and not _REGION.fullmatch(self.sts_region):
            raise ConfigError(f"sts_region {self.sts_region!r} is not an AWS region name")
        if bool(self.sts_access_key_id) != bool(self.sts_secret_access_key):
            raise ConfigError("sts_access_key_id and sts_secret_access_key must be given together")
        if not 1 <= self.sts_timeout_seconds <= 300:
            raise ConfigError("sts_timeout_seconds must be between 1 and 300")
        if not 60 <= self.identity_token_ttl_seconds <= 86400:
            raise ConfigError("identity_token_ttl_seconds must be between 60 and 86400")
        if not 900 <= self.identity_credentials_seconds <= 43200:
            # STS's DurationSeconds range for AssumeRoleWithWebIdentity.
            raise ConfigError("identity_credentials_seconds must be between 900 and 43200")
        for entry in self.oidc_providers:
            parse_oidc_provider(entry)


LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
# A DNS name or an IP address, as a Host header names it without the port.
_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})|\[?[0-9A-Fa-f:.]{2,45}\]?")


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def parse_oidc_provider(entry: str) -> tuple[str, tuple[str, ...]]:
    """`<issuer URL>|<client id>[|...]` -> (issuer, client ids)."""
    issuer, *client_ids = (part.strip() for part in entry.split("|"))
    if not _ORIGIN.match(issuer) or any(c in issuer for c in "?#"):
        raise ConfigError(f"oidc_providers entry {entry!r}: the issuer must be an http(s) URL")
    if not client_ids or not all(client_ids):
        raise ConfigError(
            f"oidc_providers entry {entry!r}: name the accepted client ids after the issuer, "
            "separated by |"
        )
    return issuer.rstrip("/"), tuple(client_ids)


def _check_master_key(value: str) -> None:
    try:
        key = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError("master_key must be base64 (of 32 random bytes)") from None
    if len(key) != 32:
        raise ConfigError(f"master_key must decode to 32 bytes, not {len(key)}")


SECRET_SETTINGS = frozenset(
    {
        "admin_secret_access_key",
        "master_key",
        "redis_url",
        "smtp_password",
        "sts_secret_access_key",
        "sns_secret_access_key",
        "ses_secret_access_key",
        "webhook_url",
        "webhook_secret",
    }
)


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
            if isinstance(raw, bool | float):
                raise ValueError(raw)
            return int(raw)
        if kind is Path:
            return Path(str(raw))
        if kind == tuple[str, ...]:
            if isinstance(raw, list | tuple):
                return tuple(str(x) for x in raw)
            return tuple(p.strip() for p in str(raw).split(",") if p.strip())
        if not isinstance(raw, str | int | float):
            raise ValueError(raw)
        return str(raw)
    except ValueError as exc:
        what = "a list of strings" if kind == tuple[str, ...] else getattr(kind, "__name__", kind)
        shown = "(hidden)" if name in SECRET_SETTINGS else repr(raw)
        raise ConfigError(f"setting {name}: cannot read {shown} as {what}") from exc


# Settings that were replaced: naming one stops the start with what to use instead.
_RETIRED = {
    "rate_limit_ip_per_minute": "rate_limit_ip_per_second and rate_limit_ip_burst",
    "rate_limit_user_per_minute": "rate_limit_user_per_second and rate_limit_user_burst",
}


def _check_retired(name: str, where: str) -> None:
    if name in _RETIRED:
        raise ConfigError(
            f"{where}: {name} was replaced by {_RETIRED[name]} (token buckets, per second; "
            "see docs/security.md)"
        )


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
            _check_retired(key, str(path))
            if key not in names:
                raise ConfigError(f"unknown setting {key!r} in {path}")
            values[key] = _coerce(key, hints[key], raw)
    for retired in _RETIRED:
        if f"MAMORI_{retired.upper()}" in env:
            _check_retired(retired, f"MAMORI_{retired.upper()}")
    for name in names:
        raw = env.get(f"MAMORI_{name.upper()}")
        if raw is not None:
            values[name] = _coerce(name, hints[name], raw)
    for key, raw in (overrides or {}).items():
        if raw is None:
            continue
        _check_retired(key, "setting")
        if key not in names:
            raise ConfigError(f"unknown setting {key!r}")
        values[key] = _coerce(key, hints[key], raw)
    return dataclasses.replace(Settings(), **values).validate()
