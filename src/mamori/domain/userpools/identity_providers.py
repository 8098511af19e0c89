"""Identity providers of a user pool (Google, Facebook, Login with Amazon, Sign in with Apple,
OIDC, SAML): the entity, its ProviderDetails keys per type, and the naming rules."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Final

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
