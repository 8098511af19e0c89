"""JSON encoding of frozen domain dataclasses for the `config` columns, driven by type hints.

A pool's and an app client's settings (LambdaConfig, DeviceConfiguration, the OAuth members...)
are stored under `extra` in Cognito's JSON, as they always were, so every stored row reads back.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from functools import cache
from typing import Any, TypeVar

from mamori.domain.userpools.app_client import AppClient
from mamori.domain.userpools.user_pool import UserPool
from mamori.protocols.cognito_settings import (
    CLIENT_SETTINGS_FIELDS,
    POOL_SETTINGS_FIELDS,
    client_settings_in,
    client_settings_out,
    pool_settings_in,
    pool_settings_out,
)

T = TypeVar("T")
_EXTRA = "extra"
# Per class: its settings fields, their JSON for `extra`, and the fields `extra` gives back.
_SETTINGS: dict[type, tuple[tuple[str, ...], Any, Any]] = {
    UserPool: (POOL_SETTINGS_FIELDS, pool_settings_out, pool_settings_in),
    AppClient: (CLIENT_SETTINGS_FIELDS, client_settings_out, client_settings_in),
}


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value


def dumps(value: Any, exclude: frozenset[str] = frozenset()) -> str:
    data = _plain(value)
    for key in exclude:
        data.pop(key, None)
    settings = _SETTINGS.get(type(value))
    if settings is not None:
        fields, out, _in = settings
        for key in fields:
            data.pop(key, None)
        data[_EXTRA] = out(value)
    return json.dumps(data, separators=(",", ":"), sort_keys=True)


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _build(kind: Any, raw: Any) -> Any:
    if raw is None:
        return None
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(kind) if a is not type(None)]
        if len(options) == 1:
            return _build(options[0], raw)
        return raw  # JSON value unions (JsonValue) stay as decoded
    if origin is tuple:
        (inner, *_rest) = typing.get_args(kind)
        return tuple(_build(inner, v) for v in raw)
    if origin in (Mapping, dict) or kind is Mapping:
        return dict(raw)
    if isinstance(kind, type):
        if dataclasses.is_dataclass(kind):
            return from_plain(kind, raw)
        if issubclass(kind, Enum):
            return kind(raw)
        if issubclass(kind, datetime):
            return datetime.fromisoformat(raw)
    return raw


def from_plain(cls: type[T], data: Mapping[str, Any], **overrides: Any) -> T:
    settings = _SETTINGS.get(cls)
    if settings is not None:
        _fields, _out, settings_in = settings
        overrides = {**settings_in(data.get(_EXTRA) or {}), **overrides}
    hints = _hints(cls)  # type: ignore[arg-type]
    kwargs = {
        f.name: _build(hints[f.name], data[f.name])
        for f in dataclasses.fields(cls)  # type: ignore[arg-type]
        if f.name in data and f.name not in overrides
    }
    kwargs.update(overrides)
    return cls(**kwargs)


def loads(cls: type[T], text: str, **overrides: Any) -> T:
    return from_plain(cls, json.loads(text), **overrides)
