"""Identity pools and identities: providers, roles, role mappings, principal tags, login names."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import NewType

from mamori.domain.ids import PoolId, region_of

IdentityPoolId = NewType("IdentityPoolId", str)
IdentityId = NewType("IdentityId", str)

AUTHENTICATED = "authenticated"
UNAUTHENTICATED = "unauthenticated"
ROLE_KEYS = (AUTHENTICATED, UNAUTHENTICATED)

_USER_POOL_ID = r"[\w-]+_[0-9a-zA-Z]+"
# "<host>[/path]/<user pool id>", optionally followed by ":<app client id>" (role mapping keys).
_COGNITO_NAME = re.compile(rf"^(?P<host>[^/\s]+(?:/[^/\s]+)*)/(?P<pool>{_USER_POOL_ID})$")
_AWS_HOST = re.compile(r"^cognito-idp\.(?P<region>[a-z0-9-]+)\.amazonaws\.com$")
_OIDC_ARN = re.compile(r"^arn:[\w-]+:iam::\d{12}:oidc-provider/(?P<name>[^\s]+)$")
_ROLE_ARN = re.compile(r"^arn:[\w-]+:iam::\d{12}:role/[\w+=,.@/-]+$")


def new_identity_pool_id(region: str) -> IdentityPoolId:
    # Cognito: "<region>:<uuid>", matching the model's [\w-]+:[0-9a-f-]+.
    return IdentityPoolId(f"{region}:{uuid.uuid4()}")


def new_identity_id(region: str) -> IdentityId:
    return IdentityId(f"{region}:{uuid.uuid4()}")


def identity_region(identity_or_pool_id: str) -> str:
    return identity_or_pool_id.split(":", 1)[0]


def is_role_arn(value: str) -> bool:
    return _ROLE_ARN.match(value) is not None


def user_pool_in(provider_name: str) -> PoolId | None:
    """The user pool a Cognito provider name (`<host>/<pool id>`) refers to, if it is one."""
    match = _COGNITO_NAME.match(provider_name)
    return PoolId(match["pool"]) if match else None


def aws_provider_name(pool_id: PoolId) -> str:
    """The name AWS gives a user pool as a provider; mamori stores logins under it."""
    return f"cognito-idp.{region_of(pool_id)}.amazonaws.com/{pool_id}"


def login_user_pool(key: str, issuer_host_path: str) -> PoolId | None:
    """The user pool a Logins key names, in AWS's form or as mamori's issuer without scheme.

    Amplify builds the key from the ID token's `iss` with the scheme removed; the AWS SDKs are
    usually given `cognito-idp.<region>.amazonaws.com/<pool id>`. Both name the same provider.
    """
    match = _COGNITO_NAME.match(key)
    if match is None:
        return None
    pool_id = PoolId(match["pool"])
    host = match["host"]
    aws = _AWS_HOST.match(host)
    if aws is not None:
        return pool_id if aws["region"] == region_of(pool_id) else None
    return pool_id if host == issuer_host_path else None


def oidc_provider_name(arn: str) -> str | None:
    """`arn:aws:iam::<account>:oidc-provider/<host/path>` -> `<host/path>` (the Logins key)."""
    match = _OIDC_ARN.match(arn)
    return match["name"] if match else None


def role_mapping_target(key: str) -> tuple[PoolId | None, str | None, str]:
    """A RoleMappings / principal-tag key: (user pool, app client id, the key itself).

    Cognito keys user-pool mappings by `<provider name>:<app client id>`; a provider name may
    itself contain a colon (`127.0.0.1:9229/us-east-1_abc`), so the pool id anchors the split.
    """
    head, sep, tail = key.rpartition(":")
    if sep and "/" not in tail:
        pool = user_pool_in(head)
        if pool is not None:
            return pool, tail, key
    return user_pool_in(key), None, key


@dataclass(frozen=True)
class CognitoProvider:
    provider_name: str
    client_id: str | None = None
    server_side_token_check: bool = False

    @property
    def pool_id(self) -> PoolId | None:
        return user_pool_in(self.provider_name)


class RoleMappingType(StrEnum):
    TOKEN = "Token"
    RULES = "Rules"


class AmbiguousRoleResolution(StrEnum):
    AUTHENTICATED_ROLE = "AuthenticatedRole"
    DENY = "Deny"


class MatchType(StrEnum):
    EQUALS = "Equals"
    CONTAINS = "Contains"
    STARTS_WITH = "StartsWith"
    NOT_EQUAL = "NotEqual"


@dataclass(frozen=True)
class MappingRule:
    claim: str
    match_type: MatchType
    value: str
    role_arn: str


@dataclass(frozen=True)
class RoleMapping:
    provider: str  # the RoleMappings key, as given
    type: RoleMappingType
    ambiguous_role_resolution: AmbiguousRoleResolution | None = None
    rules: tuple[MappingRule, ...] = ()


@dataclass(frozen=True)
class PrincipalTagMap:
    provider: str  # IdentityProviderName, as given
    use_defaults: bool = False
    tags: Mapping[str, str] = field(default_factory=dict)  # tag key -> claim name


@dataclass(frozen=True)
class IdentityPool:
    id: IdentityPoolId
    name: str
    created: datetime
    modified: datetime
    allow_unauthenticated: bool = False
    # Cognito: None (never set) allows the basic flow; only an explicit False refuses it.
    allow_classic_flow: bool | None = None
    supported_login_providers: Mapping[str, str] = field(default_factory=dict)
    developer_provider_name: str | None = None
    open_id_connect_provider_arns: tuple[str, ...] = ()
    cognito_identity_providers: tuple[CognitoProvider, ...] = ()
    saml_provider_arns: tuple[str, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)
    roles: Mapping[str, str] = field(default_factory=dict)  # authenticated/unauthenticated -> ARN
    role_mappings: tuple[RoleMapping, ...] = ()
    principal_tags: tuple[PrincipalTagMap, ...] = ()

    def cognito_providers_for(self, pool_id: PoolId) -> list[CognitoProvider]:
        return [p for p in self.cognito_identity_providers if p.pool_id == pool_id]

    def oidc_provider_names(self) -> list[str]:
        names = (oidc_provider_name(arn) for arn in self.open_id_connect_provider_arns)
        return [n for n in names if n]

    def role_mapping_for(self, login: LoginRef) -> RoleMapping | None:
        for mapping in self.role_mappings:
            if login.matches(mapping.provider):
                return mapping
        return None

    def principal_tag_map_for(self, login: LoginRef) -> PrincipalTagMap | None:
        for entry in self.principal_tags:
            if login.matches(entry.provider):
                return entry
        return None


@dataclass(frozen=True)
class LoginRef:
    """Which provider a verified login came from, to find its role mapping and tag map."""

    provider: str  # canonical provider name (AWS form for user pools)
    pool_id: PoolId | None = None
    client_id: str | None = None

    def matches(self, key: str) -> bool:
        if self.pool_id is None:
            return key == self.provider
        pool, client, _ = role_mapping_target(key)
        return pool == self.pool_id and (client is None or client == self.client_id)


@dataclass(frozen=True)
class Login:
    """One external identity linked to an identity: a provider and its subject."""

    provider: str
    subject: str


@dataclass(frozen=True)
class Identity:
    id: IdentityId
    pool_id: IdentityPoolId
    created: datetime
    modified: datetime
    logins: tuple[Login, ...] = ()

    @property
    def authenticated(self) -> bool:
        return bool(self.logins)

    def providers(self) -> list[str]:
        return sorted({login.provider for login in self.logins})
