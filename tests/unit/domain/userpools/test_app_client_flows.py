"""App clients: which auth flows they allow, attribute permissions, token lifetimes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tests.support.entities import client_value

from mamori.domain.ids import PoolId
from mamori.domain.userpools.app_client import TokenValidity

POOL = PoolId("eu-west-1_AbCdEfGhI")


def allows(flows: tuple[str, ...], flow: str) -> bool:
    return client_value(POOL, explicit_auth_flows=flows).allows(flow)


def test_explicit_flows_allow_exactly_themselves() -> None:
    flows = ("ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH")
    assert allows(flows, "ALLOW_USER_PASSWORD_AUTH")
    assert allows(flows, "ALLOW_REFRESH_TOKEN_AUTH")
    assert not allows(flows, "ALLOW_USER_SRP_AUTH")
    assert not allows(flows, "ALLOW_ADMIN_USER_PASSWORD_AUTH")


@pytest.mark.parametrize(
    "flow", ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_CUSTOM_AUTH"]
)
def test_no_explicit_flows_means_srp_refresh_and_custom(flow: str) -> None:
    # Cognito: a client created without ExplicitAuthFlows gets these three.
    assert allows((), flow)


def test_no_explicit_flows_excludes_password_flows() -> None:
    assert not allows((), "ALLOW_USER_PASSWORD_AUTH")
    assert not allows((), "ALLOW_ADMIN_USER_PASSWORD_AUTH")


@pytest.mark.parametrize(
    ("legacy", "flow"),
    [
        ("ADMIN_NO_SRP_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH"),
        ("USER_PASSWORD_AUTH", "ALLOW_USER_PASSWORD_AUTH"),
        ("CUSTOM_AUTH_FLOW_ONLY", "ALLOW_CUSTOM_AUTH"),
    ],
)
def test_legacy_flow_names_still_count(legacy: str, flow: str) -> None:
    assert allows((legacy,), flow)


def test_attribute_permissions() -> None:
    everything = client_value(POOL)
    assert everything.can_read("email") and everything.can_write("email")
    limited = client_value(POOL, read_attributes=("email",), write_attributes=("name",))
    assert limited.can_read("email") and not limited.can_read("name")
    assert limited.can_read("sub")  # Cognito: sub is always readable
    assert limited.can_write("name") and not limited.can_write("email")


def test_token_validity_units() -> None:
    validity = TokenValidity(5, "minutes", 2, "hours", 10, "days")
    assert validity.access_ttl() == timedelta(minutes=5)
    assert validity.id_ttl() == timedelta(hours=2)
    assert validity.refresh_ttl() == timedelta(days=10)
    defaults = TokenValidity()
    assert (defaults.access_ttl(), defaults.id_ttl(), defaults.refresh_ttl()) == (
        timedelta(hours=1),
        timedelta(hours=1),
        timedelta(days=30),
    )
