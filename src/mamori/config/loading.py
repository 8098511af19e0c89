"""Loading Settings: defaults < TOML file < MAMORI_* environment variables < CLI flags."""

from __future__ import annotations

import dataclasses
import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any, get_type_hints

from mamori.config.settings import ConfigError, Settings
from mamori.config.validation import validate

SECRET_SETTINGS = frozenset(
    {
        "admin_secret_access_key",
        "master_key",
        "redis_url",
        "smtp_password",
        "custom_sender_key",
        "kms_secret_access_key",
        "sts_secret_access_key",
        "lambda_secret_access_key",
        "trigger_http_secret",
        "sns_secret_access_key",
        "ses_secret_access_key",
        "webhook_url",
        "webhook_secret",
    }
)


# Settings of "<name>=<value>" entries that a TOML table or a JSON object may give too
# (docs/threat-protection.md, Tuning).
TABLE_SETTINGS = frozenset({"risk_weights", "risk_window_minutes"})


def _table(name: str, raw: Any) -> Any:
    """A table (TOML) or a JSON object (MAMORI_*) as "<name>=<value>" entries; anything else
    is left for `_coerce`."""
    if isinstance(raw, str) and raw.strip().startswith("{"):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise ConfigError(f"setting {name}: {raw!r} is not a JSON object") from None
    if isinstance(raw, dict):
        return tuple(f"{key}={json.dumps(value)}" for key, value in raw.items())
    return raw


def _coerce(name: str, kind: Any, raw: Any) -> Any:
    if name in TABLE_SETTINGS:
        raw = _table(name, raw)
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
    return validate(dataclasses.replace(Settings(), **values))
