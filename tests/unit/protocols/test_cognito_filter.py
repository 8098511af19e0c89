"""ListUsers filters: generated valid filters parse back to what generated them; garbage fails."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mamori.protocols.cognito_filter import FILTERABLE, Filter, FilterError, parse

spaces = st.text(alphabet=" \t", max_size=3)
values = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=60)


def quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@given(st.sampled_from(sorted(FILTERABLE)), st.booleans(), values, spaces, spaces, spaces, spaces)
def test_valid_filters_round_trip(
    attribute: str, prefix: bool, value: str, s1: str, s2: str, s3: str, s4: str
) -> None:
    text = f"{s1}{attribute}{s2}{'^=' if prefix else '='}{s3}{quoted(value)}{s4}"
    assert parse(text) == Filter(attribute, value, prefix)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('email = "a@example.com"', Filter("email", "a@example.com", False)),
        ('family_name ^= "Re"', Filter("family_name", "Re", True)),
        (
            'cognito:user_status = "UNCONFIRMED"',
            Filter("cognito:user_status", "UNCONFIRMED", False),
        ),
        ('status = "Enabled"', Filter("status", "Enabled", False)),
        ('name = ""', Filter("name", "", False)),
        ('name = "say \\"hi\\""', Filter("name", 'say "hi"', False)),
    ],
)
def test_documented_examples(text: str, expected: Filter) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize("text", ["", "   ", "\t"])
def test_empty_filter_means_no_filter(text: str) -> None:
    assert parse(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "email",
        'email "a"',
        "email = a",
        'email == "a"',
        'email != "a"',
        'email = "a',
        'email = "a" and name = "b"',
        '= "a"',
        'email = "a\\"',
    ],
)
def test_malformed_filters_are_refused(text: str) -> None:
    with pytest.raises(FilterError, match="Error while parsing filter"):
        parse(text)


@pytest.mark.parametrize("attribute", ["locale", "custom:tier", "address", "email_verified"])
def test_unsearchable_attributes_are_refused_by_name(attribute: str) -> None:
    with pytest.raises(FilterError) as caught:
        parse(f'{attribute} = "x"')
    assert str(caught.value) == f"Invalid search attribute: {attribute}"


@given(st.text(max_size=80))
def test_garbage_gives_filter_error_or_a_filter(text: str) -> None:
    try:
        result = parse(text)
    except FilterError:
        return
    assert result is None or result.attribute in FILTERABLE
