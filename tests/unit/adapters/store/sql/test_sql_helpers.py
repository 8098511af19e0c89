"""Small pieces of the SQL store: page tokens, lookup keys, timezones, database URLs."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mamori.adapters.store.sql.base import (
    aware,
    decode_token,
    encode_token,
    lookup_key,
    must_aware,
)
from mamori.adapters.store.sql.connection.engine import _urls, is_sqlite
from mamori.domain.errors import InvalidParameterException

# Stored keys never hold NUL (PostgreSQL text cannot), so a token decoding to one is garbage.
keys = st.text(alphabet=st.characters(exclude_categories=("Cs",), exclude_characters="\x00"))


@given(keys)
def test_page_tokens_round_trip_and_are_opaque_ascii(key: str) -> None:
    token = encode_token(key)
    assert decode_token(token) == key
    assert token.isascii() and "=" not in token


def test_no_token_means_the_first_page() -> None:
    assert decode_token(None) is None


@pytest.mark.parametrize("garbage", ["é", "\u2603abc", "_w", "AA"])
def test_garbage_tokens_are_invalid_parameters(garbage: str) -> None:
    with pytest.raises(InvalidParameterException, match="pagination token"):
        decode_token(garbage)


@given(st.text())
def test_decoding_any_text_gives_a_key_or_invalid_parameter(text: str) -> None:
    with contextlib.suppress(InvalidParameterException):
        assert isinstance(decode_token(text), str)


@given(keys, keys)
def test_lookup_keys_are_fixed_size_and_distinct(a: str, b: str) -> None:
    assert len(lookup_key(a)) == 64
    assert (lookup_key(a) == lookup_key(b)) == (a == b)


def test_naive_datetimes_from_sqlite_become_utc() -> None:
    naive = datetime(2024, 5, 17, 12, 0)  # noqa: DTZ001 (what SQLite hands back)
    assert must_aware(naive) == datetime(2024, 5, 17, 12, 0, tzinfo=UTC)
    other = datetime(2024, 5, 17, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    assert must_aware(other) is other
    assert aware(None) is None
    assert aware(naive) == must_aware(naive)


@pytest.mark.parametrize(
    ("url", "async_url", "sync_url"),
    [
        ("sqlite:///data/m.db", "sqlite+aiosqlite:///data/m.db", "sqlite+pysqlite:///data/m.db"),
        ("sqlite+aiosqlite:////abs/m.db", "sqlite+aiosqlite:////abs/m.db", "sqlite+pysqlite:////abs/m.db"),
        ("postgresql://u:p@h/db", "postgresql+psycopg://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
        ("postgres://u@h:5433/db", "postgresql+psycopg://u@h:5433/db", "postgresql+psycopg://u@h:5433/db"),
        ("postgresql+asyncpg://u@h/db", "postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
    ],
)  # fmt: skip
def test_database_urls_are_normalised_to_our_drivers(
    url: str, async_url: str, sync_url: str
) -> None:
    assert _urls(url) == (async_url, sync_url)
    assert is_sqlite(url) == url.startswith("sqlite")


def test_password_survives_normalisation() -> None:
    assert "s3cr%40t" in _urls("postgresql://u:s3cr%40t@h/db")[0]


def test_other_databases_are_refused() -> None:
    with pytest.raises(ValueError, match="unsupported database URL"):
        _urls("mysql://u@h/db")
