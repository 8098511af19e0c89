"""Checks every setting once, at start-up: ConfigError says which one and why."""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from pathlib import Path
from typing import TYPE_CHECKING

from mamori.config.settings import ConfigError

if TYPE_CHECKING:
    from mamori.config.settings import Settings

LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]+")
_ORIGIN = re.compile(r"https?://[^/\s?#]+")
# SigV4 puts the key id in "Credential=<id>/<date>/...": no slash, comma or space.
_ACCESS_KEY_ID = re.compile(r"[A-Za-z0-9_+=.@-]{1,128}")
_SENDER_ID = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
# A DNS name or an IP address, as a Host header names it without the port.
# The base host of prefix domains: DNS labels, two at least (auth.localhost, auth.example.com).
_AUTH_DOMAIN = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9-]{1,63}")
# python:<module>:<function>[.<attribute>] or python:<entry point name>
_PYTHON_TARGET = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_][\w.]*|[\w.-]+")
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


def validate(settings: Settings) -> Settings:
    """Check every setting once, at start-up; ConfigError says which one and why."""
    if not 0 < settings.port < 65536:
        raise ConfigError(f"port must be between 1 and 65535, got {settings.port}")
    if bool(settings.tls_cert) != bool(settings.tls_key):
        raise ConfigError("tls_cert and tls_key must be given together")
    if bool(settings.admin_access_key_id) != bool(settings.admin_secret_access_key):
        raise ConfigError("admin_access_key_id and admin_secret_access_key must be given together")
    if settings.admin_access_key_id and not _ACCESS_KEY_ID.fullmatch(settings.admin_access_key_id):
        raise ConfigError(
            "admin_access_key_id may hold only letters, digits and _+=.@- (1-128 characters)"
        )
    if settings.master_key:
        _check_master_key(settings.master_key)
    if settings.workers < 1:
        raise ConfigError("workers must be at least 1")
    if not 0 <= settings.database_pool_size <= 1000:
        raise ConfigError("database_pool_size must be between 0 (default) and 1000")
    if not _REGION.fullmatch(settings.region):
        raise ConfigError(f"region {settings.region!r} is not an AWS region name like us-east-1")
    if settings.database_url and not settings.database_url.startswith(("sqlite", "postgres")):
        raise ConfigError(
            f"database_url must start with sqlite:// or postgresql://, "
            f"got {settings.database_url.split(':', 1)[0]}:..."
        )
    if settings.public_url and not _ORIGIN.match(settings.public_url):
        raise ConfigError(
            f"public_url must be an http:// or https:// URL, got {settings.public_url!r}"
        )
    if settings.public_url and any(c in settings.public_url for c in "?#"):
        raise ConfigError("public_url must not have a query or fragment")
    for origin in settings.cors_origins:
        if origin != "*" and not _ORIGIN.fullmatch(origin.rstrip("/")):
            raise ConfigError(
                f"cors_origins entry {origin!r} is not '*' or an origin like "
                "https://app.example.com"
            )
    _validate_front_door(settings)
    for proxy in settings.trusted_proxies:
        if proxy == "*":
            continue
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            raise ConfigError(
                f"trusted_proxies entry {proxy!r} is not an IP address or network"
            ) from None
    if settings.redis_url and not settings.redis_url.startswith(
        ("redis://", "rediss://", "unix://")
    ):
        raise ConfigError("redis_url must start with redis://, rediss:// or unix://")
    for who in ("ip", "user"):
        if getattr(settings, f"rate_limit_{who}_per_second") < 0:
            raise ConfigError(
                f"rate_limit_{who}_per_second: rate limits must be 0 (off) or a number of "
                "requests per second"
            )
        if getattr(settings, f"rate_limit_{who}_burst") < 1:
            raise ConfigError(f"rate_limit_{who}_burst must be at least 1")
    if (
        settings.code_sends_per_user_per_hour < 0
        or settings.code_sends_per_destination_per_hour < 0
    ):
        raise ConfigError("code send quotas must be 0 (off) or a number of sends per hour")
    if settings.log_level not in LOG_LEVELS:
        raise ConfigError(f"log_level must be one of {', '.join(LOG_LEVELS)}")
    if settings.auth_domain and not _AUTH_DOMAIN.fullmatch(settings.auth_domain.rstrip(".")):
        raise ConfigError(
            f"auth_domain must be a DNS name like auth.example.com (no scheme, port or path), "
            f"got {settings.auth_domain!r}"
        )
    if settings.max_body_bytes < 1024:
        raise ConfigError("max_body_bytes must be at least 1024")
    if settings.code_ttl_seconds < 1:
        raise ConfigError("code_ttl_seconds must be at least 1")
    if settings.login_session_seconds < 1:
        raise ConfigError("login_session_seconds must be at least 1")
    if settings.purge_interval_seconds < 0:
        raise ConfigError("purge_interval_seconds must be 0 (off) or a number of seconds")
    # A cutoff more than a few thousand years back cannot be a datetime: every purge
    # would fail, sessions and codes included. 0 is the way to keep messages forever.
    if not 0 <= settings.outbox_retention_hours <= 100 * 365 * 24:
        raise ConfigError(
            "outbox_retention_hours must be 0 (keep forever) or a number of hours "
            "up to 876000 (100 years)"
        )
    if not 1 <= settings.auth_event_retention_days <= 100 * 365:
        raise ConfigError("auth_event_retention_days must be between 1 and 36500 (100 years)")
    if settings.geoip_database and not Path(settings.geoip_database).is_file():
        raise ConfigError(
            f"geoip_database {settings.geoip_database!r} is not a file (a MaxMind-format .mmdb)"
        )
    # Built once here so that a bad weight or window stops the start, naming it.
    settings.effective_risk_weights  # noqa: B018
    settings.effective_risk_windows  # noqa: B018
    if not 0 < settings.smtp_port < 65536:
        raise ConfigError(f"smtp_port must be between 1 and 65535, got {settings.smtp_port}")
    for name in ("email_sender", "sms_sender"):
        # Whether the id is known is the sender registry's call, when wiring builds it.
        if not _SENDER_ID.fullmatch(getattr(settings, name)):
            raise ConfigError(f"{name} must be a sender id like outbox, smtp, ses, sns")
    if not 1 <= settings.delivery_timeout_seconds <= 120:
        raise ConfigError("delivery_timeout_seconds must be between 1 and 120")
    if (
        settings.argon2_memory_kib < 8
        or settings.argon2_time_cost < 1
        or settings.argon2_parallelism < 1
    ):
        raise ConfigError("argon2 parameters too small")
    _validate_identity_pools(settings)
    _validate_triggers(settings)
    return settings


def _validate_front_door(settings: Settings) -> None:
    for entry in settings.allowed_hosts:
        if entry != "*" and not _HOST.fullmatch(entry):
            raise ConfigError(
                f"allowed_hosts entry {entry!r} is not '*' or a host name like "
                "id.example.com (no scheme, port or path)"
            )
    if not 1 <= settings.header_timeout_seconds <= 3600:
        raise ConfigError("header_timeout_seconds must be between 1 and 3600")
    if not 1 <= settings.body_timeout_seconds <= 3600:
        raise ConfigError("body_timeout_seconds must be between 1 and 3600")
    if not 1024 <= settings.max_header_bytes <= 1024 * 1024:
        raise ConfigError("max_header_bytes must be between 1024 and 1048576")
    if not settings.accept_any_credentials:
        return
    # Emulator mode answers admin operations without authentication: only this machine
    # may reach it, and only under names an attacker's web page cannot take.
    if not _is_loopback(settings.host):
        raise ConfigError(
            f"accept_any_credentials serves admin operations to anyone who can connect: "
            f"bind it to 127.0.0.1, ::1 or localhost, not {settings.host!r}"
        )
    if "*" in settings.allowed_hosts:
        raise ConfigError(
            "allowed_hosts '*' is refused with accept_any_credentials (DNS rebinding): "
            "name the hosts"
        )


def parse_trigger_target(entry: str) -> tuple[str, str, str]:
    """`<ARN>=<target>` (trigger_targets) -> (ARN, kind, target): kind "http" with the URL, or
    "python" with `module:function` or an entry point's name."""
    arn, sep, target = (part.strip() for part in entry.partition("="))
    if not sep or not arn.startswith("arn:") or any(c.isspace() for c in arn):
        raise ConfigError(f"trigger_targets entry {entry!r} is not <function ARN>=<target>")
    if target.startswith("python:"):
        spec = target.removeprefix("python:")
        if not _PYTHON_TARGET.fullmatch(spec):
            raise ConfigError(
                f"trigger_targets entry {entry!r}: name python:<module>:<function> or "
                "python:<entry point name>"
            )
        return arn, "python", spec
    if _ORIGIN.match(target):
        return arn, "http", target
    raise ConfigError(
        f"trigger_targets entry {entry!r}: the target must be an http(s) URL or python:..."
    )


def _validate_triggers(settings: Settings) -> None:
    seen: set[str] = set()
    http = False
    for entry in settings.trigger_targets:
        arn, kind, _ = parse_trigger_target(entry)
        if arn in seen:
            raise ConfigError(f"trigger_targets: {arn} is given twice")
        seen.add(arn)
        http = http or kind == "http"
    if http and not settings.trigger_http_secret:
        raise ConfigError(
            "trigger_targets names HTTP targets: set trigger_http_secret (16 bytes at least; "
            "whsec_<base64> is decoded), which signs their requests"
        )
    if not 1 <= settings.trigger_timeout_seconds <= 30:
        raise ConfigError("trigger_timeout_seconds must be between 1 and 30")
    if not 1 <= settings.trigger_threads <= 1024:
        raise ConfigError("trigger_threads must be between 1 and 1024")
    if settings.lambda_endpoint and not _ORIGIN.match(settings.lambda_endpoint):
        raise ConfigError(
            f"lambda_endpoint must be an http(s) URL, got {settings.lambda_endpoint!r}"
        )
    if settings.lambda_region and not _REGION.fullmatch(settings.lambda_region):
        raise ConfigError(f"lambda_region {settings.lambda_region!r} is not an AWS region name")
    if bool(settings.lambda_access_key_id) != bool(settings.lambda_secret_access_key):
        raise ConfigError(
            "lambda_access_key_id and lambda_secret_access_key must be given together"
        )
    if settings.lambda_access_key_id and not _ACCESS_KEY_ID.fullmatch(
        settings.lambda_access_key_id
    ):
        raise ConfigError("lambda_access_key_id has characters an access key id cannot have")


def _validate_identity_pools(settings: Settings) -> None:
    if settings.sts_endpoint and not _ORIGIN.match(settings.sts_endpoint):
        raise ConfigError(f"sts_endpoint must be an http(s) URL, got {settings.sts_endpoint!r}")
    if settings.sts_region and not _REGION.fullmatch(settings.sts_region):
        raise ConfigError(f"sts_region {settings.sts_region!r} is not an AWS region name")
    if bool(settings.sts_access_key_id) != bool(settings.sts_secret_access_key):
        raise ConfigError("sts_access_key_id and sts_secret_access_key must be given together")
    if not 1 <= settings.sts_timeout_seconds <= 300:
        raise ConfigError("sts_timeout_seconds must be between 1 and 300")
    if not 60 <= settings.identity_token_ttl_seconds <= 86400:
        raise ConfigError("identity_token_ttl_seconds must be between 60 and 86400")
    if not 900 <= settings.identity_credentials_seconds <= 43200:
        # STS's DurationSeconds range for AssumeRoleWithWebIdentity.
        raise ConfigError("identity_credentials_seconds must be between 900 and 43200")
    for entry in settings.oidc_providers:
        parse_oidc_provider(entry)
    if settings.breached_passwords_file and not Path(settings.breached_passwords_file).is_file():
        raise ConfigError(
            f"breached_passwords_file {settings.breached_passwords_file!r} is not a file "
            "(make one with: mamori breached build <list> <file>)"
        )
    if not _ORIGIN.match(settings.pwned_passwords_url):
        raise ConfigError(
            f"pwned_passwords_url must be an http(s) URL, got {settings.pwned_passwords_url!r}"
        )
    if not 1 <= settings.pwned_passwords_timeout_seconds <= 60:
        raise ConfigError("pwned_passwords_timeout_seconds must be between 1 and 60")
    try:
        settings.provider_endpoints  # noqa: B018 (built to check every federation_endpoints entry)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
