"""Identity provider operations: a pool's Google, Facebook, Amazon, Apple, OIDC and SAML
providers, and provider identities linked to users (docs/federation.md)."""

from __future__ import annotations

from mamori.api.aws.cognito_idp.wire.identity_providers import (
    provider_in,
    provider_out,
    provider_summary,
)
from mamori.api.aws.operations import Call, Params, Result, operation
from mamori.domain.errors import OperationNotEnabledException
from mamori.domain.userpools.identity_providers import IdentityProvider
from mamori.services.users.provider_links import ProviderUser


async def _out(call: Call, provider: IdentityProvider) -> Result:
    keys = call.services.saml_keys
    discovered = await keys.described(provider) if keys is not None else None
    return provider_out(provider, call.services.provider_endpoints, discovered)


@operation("CreateIdentityProvider")
async def create_identity_provider(call: Call, p: Params) -> Result:
    provider = await call.services.identity_providers.create_identity_provider(
        p["UserPoolId"], provider_in(p)
    )
    return {"IdentityProvider": await _out(call, provider)}


@operation("DescribeIdentityProvider")
async def describe_identity_provider(call: Call, p: Params) -> Result:
    provider = await call.services.identity_providers.describe_identity_provider(
        p["UserPoolId"], p["ProviderName"]
    )
    return {"IdentityProvider": await _out(call, provider)}


@operation("UpdateIdentityProvider")
async def update_identity_provider(call: Call, p: Params) -> Result:
    provider = await call.services.identity_providers.update_identity_provider(
        p["UserPoolId"], provider_in(p)
    )
    return {"IdentityProvider": await _out(call, provider)}


@operation("DeleteIdentityProvider")
async def delete_identity_provider(call: Call, p: Params) -> Result:
    await call.services.identity_providers.delete_identity_provider(
        p["UserPoolId"], p["ProviderName"]
    )
    return {}


@operation("ListIdentityProviders")
async def list_identity_providers(call: Call, p: Params) -> Result:
    # Cognito: MaxResults left out (0 in old CLIs) lists up to 60, the model's maximum.
    page = await call.services.identity_providers.list_identity_providers(
        p["UserPoolId"], p.get("MaxResults") or 60, p.get("NextToken")
    )
    out: Result = {"Providers": [provider_summary(s) for s in page.items]}
    if page.next_token:
        out["NextToken"] = page.next_token
    return out


@operation("GetIdentityProviderByIdentifier")
async def get_identity_provider_by_identifier(call: Call, p: Params) -> Result:
    provider = await call.services.identity_providers.get_identity_provider_by_identifier(
        p["UserPoolId"], p["IdpIdentifier"]
    )
    return {"IdentityProvider": await _out(call, provider)}


@operation("GetSigningCertificate")
async def get_signing_certificate(call: Call, p: Params) -> Result:
    keys = call.services.saml_keys
    if keys is None:
        raise OperationNotEnabledException("SAML federation is not enabled on this server.")
    return {"Certificate": await keys.get_signing_certificate(p["UserPoolId"])}


def _provider_user(shape: Params) -> ProviderUser:
    return ProviderUser(
        shape.get("ProviderName") or "",
        shape.get("ProviderAttributeName"),
        shape.get("ProviderAttributeValue"),
    )


@operation("AdminLinkProviderForUser")
async def admin_link_provider_for_user(call: Call, p: Params) -> Result:
    await call.services.provider_links.admin_link_provider_for_user(
        p["UserPoolId"], _provider_user(p["DestinationUser"]), _provider_user(p["SourceUser"])
    )
    return {}


@operation("AdminDisableProviderForUser")
async def admin_disable_provider_for_user(call: Call, p: Params) -> Result:
    await call.services.provider_links.admin_disable_provider_for_user(
        p["UserPoolId"], _provider_user(p["User"])
    )
    return {}
