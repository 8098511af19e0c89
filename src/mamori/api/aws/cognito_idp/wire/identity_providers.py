"""Identity providers: CreateIdentityProvider / UpdateIdentityProvider in, providers out (with
the read-only ProviderDetails Describe shows, never Apple's private key)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mamori.api.aws.cognito_idp.wire.timestamps import ts
from mamori.domain.userpools.identity_providers import (
    IdentityProvider,
    ProviderDraft,
    ProviderType,
)
from mamori.domain.userpools.provider_details import described_details
from mamori.domain.userpools.provider_endpoints import ProviderEndpoints


def _strings(value: Any) -> dict[str, str] | None:
    return None if value is None else {str(k): str(v) for k, v in value.items()}


def provider_in(p: Mapping[str, Any]) -> ProviderDraft:
    kind = p.get("ProviderType")
    identifiers = p.get("IdpIdentifiers")
    return ProviderDraft(
        name=p["ProviderName"],
        type=None if kind is None else ProviderType(kind),
        details=_strings(p.get("ProviderDetails")),
        attribute_mapping=_strings(p.get("AttributeMapping")),
        idp_identifiers=None if identifiers is None else tuple(identifiers),
        acr_mapping=_strings(p.get("AcrMapping")),
    )


def provider_out(
    provider: IdentityProvider,
    endpoints: ProviderEndpoints,
    discovered: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """`discovered`: what Describe adds that the provider's own documents say (a SAML IdP's
    metadata endpoints, the pool's encryption certificate)."""
    out: dict[str, Any] = {
        "UserPoolId": provider.pool_id,
        "ProviderName": provider.name,
        "ProviderType": provider.type.value,
        "ProviderDetails": described_details(provider, endpoints, discovered),
        "AttributeMapping": dict(provider.attribute_mapping),
        "IdpIdentifiers": list(provider.idp_identifiers),
        "LastModifiedDate": ts(provider.modified),
        "CreationDate": ts(provider.created),
    }
    if provider.acr_mapping:
        out["AcrMapping"] = dict(provider.acr_mapping)
    return out


def provider_summary(provider: IdentityProvider) -> dict[str, Any]:
    """ListIdentityProviders' ProviderDescription: no details, no mapping."""
    return {
        "ProviderName": provider.name,
        "ProviderType": provider.type.value,
        "LastModifiedDate": ts(provider.modified),
        "CreationDate": ts(provider.created),
    }
