"""ProviderDetails per provider type: the keys an owner sets (checked on create and update) and
the read-only keys DescribeIdentityProvider adds, as botocore's model documents them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from mamori.domain.errors import InvalidParameterException
from mamori.domain.userpools.identity_providers import IdentityProvider, ProviderType
from mamori.domain.userpools.provider_endpoints import ProviderEndpoints

_SOCIAL_APP: Final = ("client_id", "client_secret", "authorize_scopes")
_APPLE: Final = ("client_id", "team_id", "key_id", "private_key", "authorize_scopes")
_OIDC_REQUIRED: Final = (
    "client_id",
    "attributes_request_method",
    "oidc_issuer",
    "authorize_scopes",
)
# The endpoints an OIDC provider may name when its issuer's discovery document lacks them.
OIDC_ENDPOINT_KEYS: Final = ("authorize_url", "token_url", "attributes_url", "jwks_uri")
SAML_FLAGS: Final = ("IDPSignout", "IDPInit", "EncryptedResponses")
# What Describe adds to a SAML provider's details: the IdP's HTTP-Redirect endpoints from its
# metadata, and the pool's encryption certificate when EncryptedResponses is on.
SAML_READ_ONLY: Final = (
    "SSORedirectBindingURI",
    "SLORedirectBindingURI",
    "ActiveEncryptionCertificate",
)
# What each type's owner may set.
SETTABLE: Final[Mapping[ProviderType, frozenset[str]]] = {
    ProviderType.GOOGLE: frozenset(_SOCIAL_APP),
    ProviderType.LOGIN_WITH_AMAZON: frozenset(_SOCIAL_APP),
    ProviderType.FACEBOOK: frozenset((*_SOCIAL_APP, "api_version")),
    ProviderType.SIGN_IN_WITH_APPLE: frozenset(_APPLE),
    ProviderType.OIDC: frozenset((*_OIDC_REQUIRED, "client_secret", *OIDC_ENDPOINT_KEYS)),
    ProviderType.SAML: frozenset(
        ("MetadataURL", "MetadataFile", "RequestSigningAlgorithm", *SAML_FLAGS)
    ),
}
# Keys Describe adds: sent back in an update (Terraform and the console do), they are dropped.
READ_ONLY: Final = frozenset(
    {
        "attributes_url",
        "attributes_url_add_attributes",
        "authorize_url",
        "token_url",
        "token_request_method",
        "oidc_issuer",
        "jwks_uri",
        "ActiveEncryptionCertificate",
        "SLORedirectBindingURI",
        "SSORedirectBindingURI",
    }
)
_API_VERSION: Final = re.compile(r"v\d{1,3}\.\d{1,3}")
_MAX_METADATA = 131072  # the model's ProviderDetails value limit


def saml_flag(provider: IdentityProvider, name: str) -> bool:
    """A SAML provider's IDPSignout, IDPInit or EncryptedResponses: on when "true"."""
    return (provider.detail(name) or "").lower() == "true"


def _missing(details: Mapping[str, str], keys: tuple[str, ...]) -> bool:
    return any(not details.get(k, "").strip() for k in keys)


def _listing(keys: tuple[str, ...]) -> str:
    return f"{', '.join(keys[:-1])} and {keys[-1]}"


def _check_url(key: str, value: str) -> None:
    # Cognito requires https; mamori also takes http, for providers on a private network and
    # the test suite's stand-ins (docs/compatibility.md).
    if not re.fullmatch(r"https?://[^\s/?#]+[^\s]*", value):
        raise InvalidParameterException(f"{key} must be an http(s) URL: {value}")


def _check_social(provider_type: ProviderType, details: dict[str, str]) -> None:
    keys = _APPLE if provider_type is ProviderType.SIGN_IN_WITH_APPLE else _SOCIAL_APP
    if _missing(details, keys):
        # Cognito's message, for Google, Facebook and Amazon.
        raise InvalidParameterException(f"{_listing(keys)} are all required idp details")
    version = details.get("api_version")
    if version is not None and not _API_VERSION.fullmatch(version):
        raise InvalidParameterException(f"api_version {version} is not a Graph API version.")


def _check_oidc(details: dict[str, str]) -> None:
    if _missing(details, _OIDC_REQUIRED):
        raise InvalidParameterException(f"{_listing(_OIDC_REQUIRED)} are all required idp details")
    if details["attributes_request_method"] not in ("GET", "POST"):
        raise InvalidParameterException("attributes_request_method must be GET or POST")
    for key in ("oidc_issuer", *OIDC_ENDPOINT_KEYS):
        if key in details:
            _check_url(key, details[key])


def _check_saml(details: dict[str, str]) -> None:
    url, file = details.get("MetadataURL"), details.get("MetadataFile")
    if bool(url) == bool(file):
        raise InvalidParameterException("Exactly one of MetadataURL and MetadataFile is required.")
    if url:
        _check_url("MetadataURL", url)
    if file is not None and len(file) > _MAX_METADATA:
        raise InvalidParameterException("MetadataFile is too large.")
    for flag in SAML_FLAGS:
        if flag in details and details[flag] not in ("true", "false"):
            raise InvalidParameterException(f"{flag} must be true or false.")
    algorithm = details.get("RequestSigningAlgorithm")
    if algorithm is not None and algorithm != "rsa-sha256":
        raise InvalidParameterException("RequestSigningAlgorithm accepts only rsa-sha256.")


def check_details(provider_type: ProviderType, requested: Mapping[str, str]) -> dict[str, str]:
    """The details as stored: the type's settable keys, checked. Read-only keys (what Describe
    added) are dropped, except where the type sets them itself (OIDC's endpoints)."""
    settable = SETTABLE[provider_type]
    details: dict[str, str] = {}
    for key, value in requested.items():
        if key in settable:
            details[key] = value
        elif key not in READ_ONLY:
            raise InvalidParameterException(
                f"{key} is not a valid provider detail for a {provider_type} provider."
            )
    if provider_type.social:
        _check_social(provider_type, details)
    elif provider_type is ProviderType.OIDC:
        _check_oidc(details)
    else:
        _check_saml(details)
    return details


def described_details(
    provider: IdentityProvider,
    endpoints: ProviderEndpoints,
    discovered: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """ProviderDetails as DescribeIdentityProvider shows them: the stored keys, the read-only
    ones Cognito adds for the type, and never Apple's private key. `discovered`: an OIDC
    issuer's endpoints when they are known (discovery is lazy: mamori fetches the issuer's
    document on first sign-in, not on create); a SAML provider's `SAML_READ_ONLY` keys, read
    from its metadata."""
    shown = {k: v for k, v in provider.details.items() if k != "private_key"}
    kind = provider.type
    if kind.social:
        urls = endpoints.of(kind, provider.details.get("api_version", ""))
        shown["authorize_url"] = urls.authorize_url
        shown["token_url"] = urls.token_url
        shown["token_request_method"] = "GET" if kind is ProviderType.FACEBOOK else "POST"
        adds = kind in (ProviderType.GOOGLE, ProviderType.FACEBOOK)
        shown["attributes_url_add_attributes"] = "true" if adds else "false"
        if urls.attributes_url:
            shown["attributes_url"] = urls.attributes_url
        if urls.issuer:
            shown["oidc_issuer"] = urls.issuer
    elif kind is ProviderType.OIDC:
        for key, value in (discovered or {}).items():
            if key in OIDC_ENDPOINT_KEYS:
                shown.setdefault(key, value)
        shown["attributes_url_add_attributes"] = "false"
    elif kind is ProviderType.SAML:
        for key, value in (discovered or {}).items():
            if key in SAML_READ_ONLY:
                shown[key] = value
    return shown
