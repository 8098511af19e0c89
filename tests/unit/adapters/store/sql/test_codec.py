"""The `config` column codec: any UserPool or AppClient survives dumps/loads unchanged.

Values are generated from the dataclasses' own type hints, so a field added later is covered
without touching this test; a type the generator does not know fails loudly instead.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import Enum
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mamori.adapters.store.sql import codec
from mamori.domain.userpools.app_client import AppClient
from mamori.domain.userpools.user_pool import UserPool

text = st.text(max_size=12)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=8,
)
moments = st.datetimes(
    min_value=datetime(1971, 1, 1),  # noqa: DTZ001 (hypothesis wants naive bounds)
    max_value=datetime(2100, 1, 1),  # noqa: DTZ001
    timezones=st.just(UTC),
)


def strategy_for(kind: Any) -> st.SearchStrategy[Any]:
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(kind) if a is not type(None)]
        if len(options) > 1:
            return json_values  # JsonValue
        return st.none() | strategy_for(options[0])
    if origin is tuple:
        return st.lists(strategy_for(typing.get_args(kind)[0]), max_size=3).map(tuple)
    if origin in (Mapping, dict):
        _key, value = typing.get_args(kind)
        values = json_values if typing.get_origin(value) else strategy_for(value)
        return st.dictionaries(text, values, max_size=3)
    if dataclasses.is_dataclass(kind) and isinstance(kind, type):
        hints = typing.get_type_hints(kind)
        return st.builds(
            kind, **{f.name: strategy_for(hints[f.name]) for f in dataclasses.fields(kind)}
        )
    if isinstance(kind, type) and issubclass(kind, Enum):
        return st.sampled_from(list(kind))
    simple: dict[Any, st.SearchStrategy[Any]] = {
        str: text,
        bool: st.booleans(),
        int: st.integers(),
        float: st.floats(allow_nan=False, allow_infinity=False),
        datetime: moments,
    }
    if kind in simple:
        return simple[kind]
    if getattr(kind, "__supertype__", None) is str:  # NewType ids
        return text
    raise TypeError(f"test_codec cannot generate {kind!r}: teach strategy_for about it")


ENTITIES = [UserPool, AppClient]
COLUMNS = {
    UserPool: frozenset({"id", "name", "created", "modified"}),
    AppClient: frozenset({"id", "pool_id", "name", "created", "modified", "secret"}),
}


@pytest.mark.parametrize("cls", ENTITIES, ids=lambda c: c.__name__)
@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_round_trip(cls: type[Any], data: st.DataObject) -> None:
    value = data.draw(strategy_for(cls))
    assert codec.loads(cls, codec.dumps(value)) == value


@pytest.mark.parametrize("cls", ENTITIES, ids=lambda c: c.__name__)
@settings(max_examples=30, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_round_trip_with_columns_stored_apart(cls: type[Any], data: st.DataObject) -> None:
    """How the stores use it: column fields are excluded and passed back as overrides."""
    value = data.draw(strategy_for(cls))
    text_ = codec.dumps(value, COLUMNS[cls])
    assert not COLUMNS[cls] & set(json.loads(text_))
    columns = {name: getattr(value, name) for name in COLUMNS[cls]}
    assert codec.loads(cls, text_, **columns) == value


@settings(max_examples=20, suppress_health_check=[HealthCheck.too_slow])
@given(pool=strategy_for(UserPool))
def test_output_is_canonical_json(pool: UserPool) -> None:
    first = codec.dumps(pool)
    assert first == codec.dumps(codec.loads(UserPool, first))
    # Compact and key-sorted (", " may well occur inside a string value, so compare whole).
    assert first == json.dumps(json.loads(first), separators=(",", ":"), sort_keys=True)


def test_missing_fields_take_their_defaults_and_unknown_ones_are_ignored() -> None:
    """Rows written by an older or newer mamori still load: no migration for config JSON."""
    now = datetime(2024, 1, 1, tzinfo=UTC)
    stored = json.dumps({"case_sensitive": True, "field_from_the_future": [1, 2]})
    pool = codec.loads(UserPool, stored, id="eu-west-1_x", name="n", created=now, modified=now)
    assert pool == UserPool("eu-west-1_x", "n", now, now, case_sensitive=True)  # type: ignore[arg-type]
