"""Choosing the IAM role for an identity, and its principal tags, from the pool and token claims."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mamori.domain.errors import (
    InvalidIdentityPoolConfigurationException,
    NotAuthorizedException,
)
from mamori.domain.identity.identity_pool import (
    AUTHENTICATED,
    UNAUTHENTICATED,
    AmbiguousRoleResolution,
    IdentityPool,
    LoginRef,
    MappingRule,
    MatchType,
    RoleMapping,
    RoleMappingType,
)

# Cognito: "default (username and clientID) attribute mappings".
DEFAULT_PRINCIPAL_TAGS: Mapping[str, str] = {"username": "sub", "client": "aud"}
MAX_TAG_VALUE = 256


def _values(claim: Any) -> list[str]:
    if isinstance(claim, list | tuple):
        return [_scalar(v) for v in claim]
    return [_scalar(claim)]


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def rule_matches(rule: MappingRule, claims: Mapping[str, Any]) -> bool:
    """A rule's claim must be present; multi-valued claims (cognito:groups) match per element."""
    if rule.claim not in claims or claims[rule.claim] is None:
        return False
    raw = claims[rule.claim]
    values = _values(raw)
    multi = isinstance(raw, list | tuple)
    if rule.match_type is MatchType.EQUALS:
        return rule.value in values
    if rule.match_type is MatchType.CONTAINS:
        return rule.value in values if multi else rule.value in values[0]
    if rule.match_type is MatchType.STARTS_WITH:
        return any(v.startswith(rule.value) for v in values)
    return all(v != rule.value for v in values)


def _default_role(pool: IdentityPool, key: str) -> str:
    role = pool.roles.get(key)
    if not role:
        raise InvalidIdentityPoolConfigurationException()
    return role


def _from_token(mapping: RoleMapping, claims: Mapping[str, Any], custom: str | None) -> str | None:
    raw_roles = claims.get("cognito:roles")
    roles: Sequence[str] = [str(r) for r in raw_roles] if isinstance(raw_roles, list) else []
    if custom:
        if custom in roles:
            return custom
        raise NotAuthorizedException(
            f"The role {custom} is not in the cognito:roles claim of the login token."
        )
    preferred = claims.get("cognito:preferred_role")
    if isinstance(preferred, str) and preferred:
        return preferred
    return roles[0] if len(roles) == 1 else None


def choose_role(
    pool: IdentityPool,
    login: LoginRef | None,
    claims: Mapping[str, Any],
    custom_role_arn: str | None,
) -> str:
    """The role for an identity: the unauthenticated role, a role mapping's choice or the default.

    `login` is the provider whose token decides (None for unauthenticated identities).
    """
    if login is None:
        return _default_role(pool, UNAUTHENTICATED)
    mapping = pool.role_mapping_for(login)
    if mapping is None:
        return _default_role(pool, AUTHENTICATED)
    chosen: str | None = None
    if mapping.type is RoleMappingType.TOKEN:
        chosen = _from_token(mapping, claims, custom_role_arn)
    else:
        chosen = next((r.role_arn for r in mapping.rules if rule_matches(r, claims)), None)
    if chosen:
        return chosen
    if mapping.ambiguous_role_resolution is AmbiguousRoleResolution.AUTHENTICATED_ROLE:
        return _default_role(pool, AUTHENTICATED)
    raise NotAuthorizedException(
        f"The ambiguous role mapping rules for: {mapping.provider} denied this request."
    )


def principal_tags(
    pool: IdentityPool, login: LoginRef | None, claims: Mapping[str, Any]
) -> dict[str, str]:
    """Session tags from the provider's principal-tag map: tag key -> the claim's value."""
    if login is None:
        return {}
    entry = pool.principal_tag_map_for(login)
    if entry is None:
        return {}
    mapping = dict(DEFAULT_PRINCIPAL_TAGS) if entry.use_defaults else {}
    mapping.update(entry.tags)
    tags: dict[str, str] = {}
    for tag, claim in mapping.items():
        value = claims.get(claim)
        if value is None or isinstance(value, dict):
            continue
        text = ",".join(_values(value)) if isinstance(value, list) else _scalar(value)
        if text:
            tags[tag] = text[:MAX_TAG_VALUE]
    return tags


def amr(logins: Sequence[tuple[str, str]]) -> list[str]:
    """Cognito Identity's `amr`: `authenticated`, then per login its provider and a qualified
    subject (`<provider>:CognitoSignIn:<sub>` for user pools); `unauthenticated` without logins."""
    if not logins:
        return [UNAUTHENTICATED]
    out = [AUTHENTICATED]
    for provider, qualified in logins:
        out.extend((provider, qualified))
    return out
