"""Domain names: a prefix is one label free of reserved words; a custom domain a full name
outside the auth domain; Host headers read without port or case."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mamori.domain.errors import InvalidParameterException
from mamori.domain.ids import PoolId
from mamori.domain.userpools.domains import (
    DomainKind,
    UserPoolDomain,
    check_domain_name,
    host_without_port,
)

PREFIX, CUSTOM = DomainKind.PREFIX, DomainKind.CUSTOM


@pytest.mark.parametrize(
    ("name", "kind"),
    [("login", PREFIX), ("a", PREFIX), ("my-app-2", PREFIX), ("auth.example.com", CUSTOM)],
)
def test_accepted(name: str, kind: DomainKind) -> None:
    check_domain_name(name, kind, "auth.localhost")


@pytest.mark.parametrize(
    ("name", "kind", "message"),
    [
        ("has.dot", PREFIX, "invalid character"),
        ("-x", PREFIX, "invalid character"),
        ("x" * 64, PREFIX, "invalid character"),
        ("myaws", PREFIX, "reserved word: aws"),
        ("amazon-login", PREFIX, "reserved word: amazon"),
        ("cognito", PREFIX, "reserved word: cognito"),
        ("single", CUSTOM, "not a valid fully qualified"),
        ("a..b.com", CUSTOM, "not a valid fully qualified"),
        ("x.auth.localhost", CUSTOM, "inside auth.localhost"),
        ("auth.localhost", CUSTOM, "inside auth.localhost"),
        (("a" * 63 + ".") * 4 + "com", CUSTOM, "not a valid fully qualified"),
    ],
)
def test_refused(name: str, kind: DomainKind, message: str) -> None:
    with pytest.raises(InvalidParameterException, match=message):
        check_domain_name(name, kind, "auth.localhost")


@pytest.mark.parametrize(
    ("host", "name"),
    [
        ("Login.Auth.Localhost:9229", "login.auth.localhost"),
        ("id.example.com.", "id.example.com"),
        ("id.example.com.:443", "id.example.com"),
        ("[::1]:9229", "[::1]"),
        ("127.0.0.1", "127.0.0.1"),
    ],
)
def test_host_without_port(host: str, name: str) -> None:
    assert host_without_port(host) == name


def test_host_and_version() -> None:
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    prefix = UserPoolDomain("login", PoolId("us-east-1_a"), PREFIX, when, when)
    custom = UserPoolDomain("id.example.com", PoolId("us-east-1_a"), CUSTOM, when, when)
    assert prefix.host("auth.example.com") == "login.auth.example.com"
    assert custom.host("auth.example.com") == "id.example.com"
    assert prefix.version == "20260102030405"


_LABELS = st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True)


@given(st.lists(_LABELS, min_size=2, max_size=5))
def test_any_full_name_outside_the_auth_domain_is_a_custom_domain(labels: list[str]) -> None:
    name = ".".join(labels)
    if name.endswith("auth.localhost"):
        return
    check_domain_name(name, CUSTOM, "auth.localhost")
    with pytest.raises(InvalidParameterException):
        check_domain_name(name, PREFIX, "auth.localhost")
    assert host_without_port(f"{name.upper()}:443") == name


@given(_LABELS)
def test_a_prefix_is_one_label(label: str) -> None:
    if any(word in label for word in ("aws", "amazon", "cognito")):
        return
    check_domain_name(label, PREFIX, "auth.localhost")
    with pytest.raises(InvalidParameterException):
        check_domain_name(label, CUSTOM, "auth.localhost")
