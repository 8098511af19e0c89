"""Identity providers' pure rules: names, identifiers, attribute and ACR mappings, the entity's
repr (no secret), and ProviderDetails per type (provider_details.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mamori.domain.errors import DuplicateProviderException, InvalidParameterException
from mamori.domain.ids import PoolId
from mamori.domain.userpools.identity_providers import (
    IdentityProvider,
    ProviderType,
    attribute_mapping,
    check_acr_mapping,
    check_identifiers,
    check_name,
)
from mamori.domain.userpools.provider_details import check_details, described_details
from mamori.domain.userpools.provider_endpoints import ProviderEndpoints

NOW = datetime(2026, 1, 1, tzinfo=UTC)
NAMES = frozenset({"email", "name", "custom:tier"})


def make(kind: ProviderType, details: dict[str, str], name: str | None = None) -> IdentityProvider:
    return IdentityProvider(
        PoolId("us-east-1_abc"), name or kind.value, kind, details, {}, (), NOW, NOW
    )


def test_repr_never_shows_a_secret() -> None:
    apple = make(ProviderType.SIGN_IN_WITH_APPLE, {"client_id": "c", "private_key": "PKEY"})
    google = make(ProviderType.GOOGLE, {"client_id": "c", "client_secret": "SEKRET"})
    assert "PKEY" not in repr(apple) and "SEKRET" not in repr(google)
    assert "client_id" in repr(google)


@pytest.mark.parametrize(
    ("name", "kind", "ok"),
    [
        ("Google", ProviderType.GOOGLE, True),
        ("google", ProviderType.GOOGLE, False),
        ("Facebook", ProviderType.OIDC, False),
        ("cognito", ProviderType.SAML, False),
        ("Okta", ProviderType.SAML, True),
        ("SignInWithApple", ProviderType.SIGN_IN_WITH_APPLE, True),
    ],
)
def test_names(name: str, kind: ProviderType, ok: bool) -> None:
    if ok:
        check_name(name, kind)
    else:
        with pytest.raises(InvalidParameterException):
            check_name(name, kind)


def test_identifiers_are_unique_within_a_request() -> None:
    check_identifiers(("a", "b"))
    with pytest.raises(DuplicateProviderException):
        check_identifiers(("a", "a"))


def test_attribute_mapping_defaults_and_rules() -> None:
    assert attribute_mapping(ProviderType.FACEBOOK, {"email": "email"}, NAMES) == {
        "email": "email",
        "username": "id",
    }
    assert attribute_mapping(ProviderType.OIDC, {"username": "oid"}, NAMES) == {"username": "oid"}
    assert attribute_mapping(ProviderType.SAML, {"custom:tier": "tier"}, NAMES) == {
        "custom:tier": "tier"
    }
    for bad in ({"phone": "x"}, {"sub": "sub"}, {"identities": "x"}, {"email": ""}):
        with pytest.raises(InvalidParameterException):
            attribute_mapping(ProviderType.OIDC, bad, NAMES | {"sub", "identities"})


def test_acr_mapping_is_oidc_only_with_four_levels() -> None:
    check_acr_mapping(ProviderType.OIDC, {"Level4": "x"})
    check_acr_mapping(ProviderType.SAML, {})
    with pytest.raises(InvalidParameterException):
        check_acr_mapping(ProviderType.OIDC, {"Level5": "x"})
    with pytest.raises(InvalidParameterException):
        check_acr_mapping(ProviderType.GOOGLE, {"Level1": "x"})


def test_read_only_keys_are_dropped_and_unknown_keys_refused() -> None:
    sent = {
        "client_id": "c",
        "client_secret": "s",
        "authorize_scopes": "openid",
        "authorize_url": "https://elsewhere/auth",  # what Describe showed: not kept
        "token_request_method": "POST",
    }
    assert check_details(ProviderType.GOOGLE, sent) == {
        "client_id": "c",
        "client_secret": "s",
        "authorize_scopes": "openid",
    }
    with pytest.raises(InvalidParameterException):
        check_details(ProviderType.GOOGLE, {**sent, "flavour": "x"})


def test_oidc_keeps_its_explicit_endpoints() -> None:
    details = {
        "client_id": "c",
        "attributes_request_method": "POST",
        "oidc_issuer": "http://127.0.0.1:4000",
        "authorize_scopes": "openid",
        "jwks_uri": "http://127.0.0.1:4000/jwks",
    }
    assert check_details(ProviderType.OIDC, details) == details
    shown = described_details(
        make(ProviderType.OIDC, details, "Corp"),
        ProviderEndpoints(),
        {"jwks_uri": "https://ignored", "token_url": "http://127.0.0.1:4000/token", "x": "y"},
    )
    # Explicit endpoints win over discovered ones; only endpoint keys are taken from discovery.
    assert shown["jwks_uri"] == "http://127.0.0.1:4000/jwks"
    assert shown["token_url"] == "http://127.0.0.1:4000/token"
    assert "x" not in shown


def test_saml_metadata_is_one_of_url_or_file() -> None:
    with pytest.raises(InvalidParameterException):
        check_details(ProviderType.SAML, {"MetadataURL": "https://m", "MetadataFile": "<x/>"})
    with pytest.raises(InvalidParameterException):
        check_details(ProviderType.SAML, {"MetadataFile": "<x/>", "IDPInit": "yes"})
    assert check_details(ProviderType.SAML, {"MetadataFile": "<x/>", "IDPInit": "true"})


def test_endpoint_overrides() -> None:
    endpoints = ProviderEndpoints.with_overrides({"apple.jwks_uri": "http://127.0.0.1:9/keys"})
    assert endpoints.of(ProviderType.SIGN_IN_WITH_APPLE).jwks_uri == "http://127.0.0.1:9/keys"
    assert endpoints.of(ProviderType.GOOGLE) == ProviderEndpoints().google
    assert endpoints.of(ProviderType.FACEBOOK, "v19.0").token_url == (
        "https://graph.facebook.com/v19.0/oauth/access_token"
    )
    for bad in (
        {"gogle.token_url": "http://x"},
        {"google.nope": "http://x"},
        {"google.token_url": "x"},
    ):
        with pytest.raises(ValueError):
            ProviderEndpoints.with_overrides(bad)
    with pytest.raises(ValueError):
        endpoints.of(ProviderType.OIDC)
