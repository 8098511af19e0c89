"""Domain names: a prefix is one label free of reserved words; a custom domain a full name
outside the auth domain; Host headers read without port or case."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

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
