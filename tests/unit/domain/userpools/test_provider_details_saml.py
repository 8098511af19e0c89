"""domain/userpools/provider_details.py for SAML providers: Describe shows the read-only keys
read from the IdP's metadata (and the pool's encryption certificate), no other type gets
them, and sent back in an update they are dropped."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mamori.domain.errors import InvalidParameterException
from mamori.domain.ids import PoolId
from mamori.domain.userpools.identity_providers import IdentityProvider, ProviderType
from mamori.domain.userpools.provider_details import check_details, described_details
from mamori.domain.userpools.provider_endpoints import ProviderEndpoints

NOW = datetime(2026, 5, 17, tzinfo=UTC)
READ = {
    "SSORedirectBindingURI": "https://idp.test/sso",
    "SLORedirectBindingURI": "https://idp.test/slo",
    "ActiveEncryptionCertificate": "MIIC...",
}


def provider(kind: ProviderType, details: dict[str, str]) -> IdentityProvider:
    return IdentityProvider(PoolId("us-east-1_a"), "Corp", kind, details, {}, (), NOW, NOW)


def test_describe_adds_what_the_metadata_says() -> None:
    saml = provider(ProviderType.SAML, {"MetadataURL": "https://idp.test/md", "IDPInit": "true"})
    shown = described_details(saml, ProviderEndpoints(), {**READ, "other": "x"})
    assert shown == {"MetadataURL": "https://idp.test/md", "IDPInit": "true", **READ}
    oidc_details = {
        "client_id": "c",
        "attributes_request_method": "GET",
        "oidc_issuer": "https://i",
        "authorize_scopes": "openid",
    }
    oidc = provider(ProviderType.OIDC, oidc_details)
    assert "SSORedirectBindingURI" not in described_details(oidc, ProviderEndpoints(), READ)


def test_the_read_only_keys_sent_back_are_dropped() -> None:
    sent = {"MetadataFile": "<xml/>", "EncryptedResponses": "true", **READ}
    assert check_details(ProviderType.SAML, sent) == {
        "MetadataFile": "<xml/>",
        "EncryptedResponses": "true",
    }
    with pytest.raises(InvalidParameterException):
        check_details(
            ProviderType.SAML, {"MetadataFile": "<xml/>", "RequestSigningAlgorithm": "rsa-sha1"}
        )
