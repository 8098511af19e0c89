"""Role choice, rule matching, principal tags and provider names: pure domain code."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from mamori.domain.errors import (
    InvalidIdentityPoolConfigurationException,
    NotAuthorizedException,
)
from mamori.domain.identity.identity_pool import (
    AmbiguousRoleResolution,
    IdentityPool,
    IdentityPoolId,
    LoginRef,
    MappingRule,
    MatchType,
    PrincipalTagMap,
    RoleMapping,
    RoleMappingType,
    login_user_pool,
    oidc_provider_name,
    role_mapping_target,
)
from mamori.domain.identity.role_mapping import amr, choose_role, principal_tags, rule_matches
from mamori.domain.ids import PoolId

NOW = datetime(2024, 1, 1, tzinfo=UTC)
ROLE = "arn:aws:iam::123456789012:role/"
POOL = PoolId("us-east-1_Abc123")
AWS_NAME = f"cognito-idp.us-east-1.amazonaws.com/{POOL}"
LOGIN = LoginRef(AWS_NAME, POOL, "client1")


def pool(*mappings: RoleMapping, **roles: str) -> IdentityPool:
    return IdentityPool(
        IdentityPoolId("us-east-1:00000000-0000-0000-0000-000000000000"),
        "p",
        NOW,
        NOW,
        roles=roles,
        role_mappings=mappings,
    )


def token_mapping(resolution: AmbiguousRoleResolution | None, key: str = AWS_NAME) -> RoleMapping:
    return RoleMapping(key, RoleMappingType.TOKEN, resolution)


@pytest.mark.parametrize(
    ("match", "value", "claim", "expected"),
    [
        (MatchType.EQUALS, "paid", "paid", True),
        (MatchType.EQUALS, "paid", "paid2", False),
        (MatchType.EQUALS, "admins", ["users", "admins"], True),
        (MatchType.CONTAINS, "aid", "paid", True),
        (MatchType.CONTAINS, "adm", ["users", "admins"], False),  # element membership
        (MatchType.CONTAINS, "admins", ["users", "admins"], True),
        (MatchType.STARTS_WITH, "ops@", "ops@example.com", True),
        (MatchType.STARTS_WITH, "ops@", "dev@example.com", False),
        (MatchType.NOT_EQUAL, "free", "paid", True),
        (MatchType.NOT_EQUAL, "free", "free", False),
        (MatchType.NOT_EQUAL, "admins", ["users", "admins"], False),
        (MatchType.EQUALS, "true", True, True),
        (MatchType.EQUALS, "7", 7, True),
    ],
)
def test_rule_matches(match: MatchType, value: str, claim: Any, expected: bool) -> None:
    rule = MappingRule("c", match, value, ROLE + "r")
    assert rule_matches(rule, {"c": claim}) is expected


@pytest.mark.parametrize("match", list(MatchType))
def test_missing_claim_never_matches(match: MatchType) -> None:
    assert not rule_matches(MappingRule("c", match, "x", ROLE + "r"), {"other": "x"})


def test_defaults_and_unauthenticated() -> None:
    p = pool(authenticated=ROLE + "auth", unauthenticated=ROLE + "guest")
    assert choose_role(p, None, {}, None) == ROLE + "guest"
    assert choose_role(p, LOGIN, {}, None) == ROLE + "auth"
    with pytest.raises(InvalidIdentityPoolConfigurationException):
        choose_role(pool(authenticated=ROLE + "auth"), None, {}, None)
    with pytest.raises(InvalidIdentityPoolConfigurationException):
        choose_role(pool(), LOGIN, {}, None)


def test_token_mapping() -> None:
    p = pool(token_mapping(AmbiguousRoleResolution.DENY), authenticated=ROLE + "auth")
    groups = {"cognito:roles": [ROLE + "a", ROLE + "b"], "cognito:preferred_role": ROLE + "a"}
    assert choose_role(p, LOGIN, groups, None) == ROLE + "a"
    assert choose_role(p, LOGIN, groups, ROLE + "b") == ROLE + "b"
    with pytest.raises(NotAuthorizedException):
        choose_role(p, LOGIN, groups, ROLE + "c")
    with pytest.raises(NotAuthorizedException, match="ambiguous role mapping"):
        choose_role(p, LOGIN, {}, None)
    with pytest.raises(NotAuthorizedException):
        choose_role(p, LOGIN, {"cognito:roles": [ROLE + "a", ROLE + "b"]}, None)
    lenient = pool(
        token_mapping(AmbiguousRoleResolution.AUTHENTICATED_ROLE), authenticated=ROLE + "auth"
    )
    assert choose_role(lenient, LOGIN, {}, None) == ROLE + "auth"


def test_rules_mapping_first_match_wins() -> None:
    rules = (
        MappingRule("cognito:groups", MatchType.CONTAINS, "admins", ROLE + "admin"),
        MappingRule("email", MatchType.STARTS_WITH, "ops@", ROLE + "ops"),
    )
    p = pool(
        RoleMapping(
            f"{AWS_NAME}:client1", RoleMappingType.RULES, AmbiguousRoleResolution.DENY, rules
        ),
        authenticated=ROLE + "auth",
    )
    both = {"cognito:groups": ["admins"], "email": "ops@example.com"}
    assert choose_role(p, LOGIN, both, None) == ROLE + "admin"
    assert choose_role(p, LOGIN, {"email": "ops@example.com"}, None) == ROLE + "ops"
    with pytest.raises(NotAuthorizedException):
        choose_role(p, LOGIN, {"email": "dev@example.com"}, None)
    # The mapping of another app client does not apply.
    other_client = LoginRef(AWS_NAME, POOL, "client2")
    assert choose_role(p, other_client, {"email": "dev@example.com"}, None) == ROLE + "auth"


def test_principal_tags() -> None:
    p = IdentityPool(
        IdentityPoolId("us-east-1:00000000-0000-0000-0000-000000000000"),
        "p",
        NOW,
        NOW,
        principal_tags=(PrincipalTagMap(AWS_NAME, True, {"dept": "custom:dept"}),),
    )
    got = principal_tags(p, LOGIN, {"sub": "s1", "aud": "client1", "custom:dept": "x" * 300})
    assert got == {"username": "s1", "client": "client1", "dept": "x" * 256}
    assert principal_tags(p, None, {"sub": "s1"}) == {}
    assert principal_tags(p, LoginRef("accounts.google.com"), {"sub": "s1"}) == {}


def test_amr() -> None:
    assert amr([]) == ["unauthenticated"]
    assert amr([("p", "p:CognitoSignIn:s")]) == ["authenticated", "p", "p:CognitoSignIn:s"]


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        (AWS_NAME, POOL),
        (f"mamori.example.com/{POOL}", POOL),
        (f"cognito-idp.eu-west-1.amazonaws.com/{POOL}", None),  # region disagrees with the id
        (f"other.example.com/{POOL}", None),
        ("accounts.google.com", None),
        (f"mamori.example.com/{POOL}/extra", None),
    ],
)
def test_login_keys(key: str, expected: PoolId | None) -> None:
    assert login_user_pool(key, "mamori.example.com") == expected


def test_login_key_of_an_issuer_with_a_port_and_path() -> None:
    assert login_user_pool(f"127.0.0.1:9229/auth/{POOL}", "127.0.0.1:9229/auth") == POOL


def test_role_mapping_keys() -> None:
    assert role_mapping_target(f"127.0.0.1:9229/{POOL}:client1")[:2] == (POOL, "client1")
    assert role_mapping_target(f"127.0.0.1:9229/{POOL}")[:2] == (POOL, None)
    assert role_mapping_target(f"{AWS_NAME}:client1")[:2] == (POOL, "client1")
    assert role_mapping_target("accounts.google.com")[:2] == (None, None)
    assert oidc_provider_name("arn:aws:iam::123456789012:oidc-provider/a.example/x") == (
        "a.example/x"
    )
    assert oidc_provider_name("arn:aws:iam::1:oidc-provider/a") is None
