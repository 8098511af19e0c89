"""Signing in through a plain OAuth 2.0 social provider (Facebook, Login with Amazon), which
issues no ID token: the authorize request's parameters, then at /oauth2/idpresponse the code
redeemed for an access token (client id and secret in the form) and the profile read with it
(Graph /me with the fields the attribute mapping names, at the provider's `api_version`;
Amazon's /user/profile). OidcFederation (services/federation/oidc.py) runs the dance and makes
the user; the URLs are ProviderEndpoints' (the `federation_endpoints` setting overrides them)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from mamori.domain.userpools.identity_providers import IdentityProvider, ProviderType
from mamori.domain.userpools.provider_endpoints import ProviderEndpoints, SocialEndpoints
from mamori.domain.users.federated import subject_claim
from mamori.services.federation.ports import ProfileClient

PROFILE_TYPES: Final = frozenset({ProviderType.FACEBOOK, ProviderType.LOGIN_WITH_AMAZON})
# What Cognito asks for when the provider names no authorize_scopes.
_DEFAULT_SCOPES: Final = {
    ProviderType.FACEBOOK: ("public_profile",),
    ProviderType.LOGIN_WITH_AMAZON: ("profile",),
}
# Facebook separates scopes with commas, Amazon with spaces.
_SCOPE_SEPARATOR: Final = {ProviderType.FACEBOOK: ",", ProviderType.LOGIN_WITH_AMAZON: " "}


def endpoints_of(provider: IdentityProvider, social: ProviderEndpoints) -> SocialEndpoints:
    return social.of(provider.type, provider.detail("api_version") or "")


def authorize_params(provider: IdentityProvider, redirect_uri: str, state: str) -> dict[str, str]:
    scopes = provider.scopes or _DEFAULT_SCOPES[provider.type]
    return {
        "client_id": provider.detail("client_id") or "",
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "scope": _SCOPE_SEPARATOR[provider.type].join(scopes),
        "state": state,
    }


def profile_url(provider: IdentityProvider, endpoints: SocialEndpoints) -> str:
    """Amazon's profile URL as is; Graph's /me with `fields=` the subject's claim and every
    claim the attribute mapping reads."""
    url = endpoints.attributes_url
    if not url.endswith("fields="):
        return url
    wanted = [subject_claim(provider.attribute_mapping)]
    for claim in provider.attribute_mapping.values():
        if claim not in wanted:
            wanted.append(claim)
    return url + ",".join(wanted)


async def profile_claims(
    client: ProfileClient,
    provider: IdentityProvider,
    endpoints: SocialEndpoints,
    code: str,
    redirect_uri: str,
) -> Mapping[str, Any]:
    """The signed-in user's profile (ProviderError when the provider fails)."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "client_id": provider.detail("client_id") or "",
        "client_secret": provider.detail("client_secret") or "",
    }
    access_token = await client.access_token(endpoints.token_url, form)
    return await client.profile(profile_url(provider, endpoints), access_token)
