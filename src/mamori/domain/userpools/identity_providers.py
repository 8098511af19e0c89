"""Identity providers of a user pool (Google, Facebook, Login with Amazon, Sign in with Apple,
OIDC, SAML): the entity, its ProviderDetails keys per type, and the naming rules."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Final

from mamori.domain.errors import DuplicateProviderException, InvalidParameterException
from mamori.domain.ids import PoolId


class ProviderType(StrEnum):
    GOOGLE = "Google"
    FACEBOOK = "Facebook"
    LOGIN_WITH_AMAZON = "LoginWithAmazon"
    SIGN_IN_WITH_APPLE = "SignInWithApple"
    OIDC = "OIDC"
    SAML = "SAML"

    @property
    def social(self) -> bool:
        """Google, Facebook, Amazon and Apple: endpoints mamori knows, the owner brings an app."""
        return self not in (ProviderType.OIDC, ProviderType.SAML)


# ProviderDetails keys whose values are secrets: sealed at rest, never in repr or logs.
SECRET_DETAILS: Final = frozenset({"client_secret", "private_key"})


@dataclass(frozen=True)
class IdentityProvider:
    """One provider as stored: `details` holds the owner's ProviderDetails (secrets in clear,
    in memory only) without the read-only keys Describe adds (`described_details` does that)."""

    pool_id: PoolId
    name: str
    type: ProviderType
    details: Mapping[str, str] = field(repr=False)
    attribute_mapping: Mapping[str, str]
    idp_identifiers: tuple[str, ...]
    created: datetime
    modified: datetime
    acr_mapping: Mapping[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:
        shown = {k: ("***" if k in SECRET_DETAILS else v) for k, v in self.details.items()}
        return (
            f"IdentityProvider(pool_id={self.pool_id!r}, name={self.name!r}, "
            f"type={self.type.value!r}, details={shown!r}, "
            f"attribute_mapping={dict(self.attribute_mapping)!r}, "
            f"idp_identifiers={self.idp_identifiers!r})"
        )

    def detail(self, key: str) -> str | None:
        return self.details.get(key)

    @property
    def scopes(self) -> tuple[str, ...]:
        """`authorize_scopes` split as the provider's authorize request sends them."""
        raw = self.details.get("authorize_scopes", "")
        return tuple(s for s in raw.replace(",", " ").split() if s)


# Cognito: the name SupportedIdentityProviders gives the pool's own users; no provider takes it.
COGNITO: Final = "COGNITO"
# Cognito's quota of identity providers per user pool.
MAX_PROVIDERS_PER_POOL: Final = 300
# The claim each type's `username` maps from unless AttributeMapping names another (Cognito
# shows it in DescribeIdentityProvider's AttributeMapping); SAML users are named by NameID.
DEFAULT_USERNAME_CLAIM: Final = {
    ProviderType.GOOGLE: "sub",
    ProviderType.FACEBOOK: "id",
    ProviderType.LOGIN_WITH_AMAZON: "user_id",
    ProviderType.SIGN_IN_WITH_APPLE: "sub",
    ProviderType.OIDC: "sub",
}
USERNAME_KEY: Final = "username"
# Written by Cognito itself on every federated sign-in: no mapping may name them.
_UNMAPPABLE: Final = frozenset({"sub", "identities"})
_ACR_LEVELS: Final = frozenset({"Level1", "Level2", "Level3", "Level4"})


def check_name(name: str, provider_type: ProviderType) -> None:
    """Cognito: a social provider is named after its type, no other provider takes a social
    type's name, and COGNITO is the pool's own users."""
    social_names = {t.value for t in ProviderType if t.social}
    if name.upper() == COGNITO:
        raise InvalidParameterException(f"Provider name {name} is reserved.")
    if provider_type.social and name != provider_type.value:
        raise InvalidParameterException(f"Provider {name} cannot be of type {provider_type}.")
    if not provider_type.social and name in social_names:
        raise InvalidParameterException(f"Provider {name} cannot be of type {provider_type}.")


def check_identifiers(identifiers: tuple[str, ...]) -> None:
    seen: set[str] = set()
    for identifier in identifiers:
        if identifier in seen:
            raise DuplicateProviderException(f"Duplicate identifier {identifier}.")
        seen.add(identifier)


def attribute_mapping(
    provider_type: ProviderType, requested: Mapping[str, str], attribute_names: frozenset[str]
) -> dict[str, str]:
    """The mapping as stored: every key a pool attribute (or `username`), `username` from the
    type's default claim when the request names none."""
    for key, claim in requested.items():
        if key in _UNMAPPABLE or (key != USERNAME_KEY and key not in attribute_names):
            raise InvalidParameterException(
                f"Attribute {key} in the attribute mapping is not a writable attribute of the "
                "user pool."
            )
        if not claim:
            raise InvalidParameterException(f"Attribute mapping for {key} names no attribute.")
    mapping = dict(requested)
    default = DEFAULT_USERNAME_CLAIM.get(provider_type)
    if default is not None:
        mapping.setdefault(USERNAME_KEY, default)
    return mapping


def check_acr_mapping(provider_type: ProviderType, acr: Mapping[str, str]) -> None:
    if not acr:
        return
    if provider_type is not ProviderType.OIDC:
        raise InvalidParameterException("AcrMapping is supported only for OIDC providers.")
    for level in acr:
        if level not in _ACR_LEVELS:
            raise InvalidParameterException(
                f"AcrMapping key {level} is not one of Level1, Level2, Level3, Level4."
            )


@dataclass(frozen=True)
class ProviderDraft:
    """What CreateIdentityProvider / UpdateIdentityProvider ask for; None: left out (an update
    keeps the current value)."""

    name: str
    type: ProviderType | None = None
    details: Mapping[str, str] | None = field(default=None, repr=False)
    attribute_mapping: Mapping[str, str] | None = None
    idp_identifiers: tuple[str, ...] | None = None
    acr_mapping: Mapping[str, str] | None = None
