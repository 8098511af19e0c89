"""Shared pieces of the SQL store: timezone handling, page tokens and lookup keys."""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine

from mamori.adapters.store.sql.direct import direct_for
from mamori.domain.errors import InvalidParameterException
from mamori.ports import Page

T = TypeVar("T")


def aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything inside mamori is aware UTC."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def must_aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def encode_token(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


def decode_token(token: str | None) -> str | None:
    if token is None:
        return None
    try:
        key = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise InvalidParameterException("Invalid pagination token") from exc
    if "\x00" in key:  # no key has one, and PostgreSQL refuses NUL in a text parameter
        raise InvalidParameterException("Invalid pagination token")
    return key


def lookup_key(value: str) -> str:
    """A fixed-size key for an exact-match unique column, however long the value."""
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


class SqlBase:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        # The hot-path statements (prebuilt, module level) run on the driver directly.
        self._direct = direct_for(engine)


def page_of(
    rows: Sequence[Any], limit: int, convert: Callable[[Any], T], key: Callable[[T], str]
) -> Page[T]:
    """A keyset page: the first `limit` rows converted, and a next token when the query (asked
    for `limit + 1` rows) found one more."""
    items = [convert(r) for r in rows[:limit]]
    return Page(items, encode_token(key(items[-1])) if len(rows) > limit else None)
