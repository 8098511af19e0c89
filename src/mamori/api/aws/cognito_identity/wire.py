"""Wire shapes of the identity-pool API: requests into domain values, responses out."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from mamori.domain.errors import InvalidParameterException
from mamori.domain.identity.identity_pool import (
    AmbiguousRoleResolution,
    CognitoProvider,
    Identity,
    IdentityPool,
    IdentityPoolId,
    MappingRule,
    MatchType,
    PrincipalTagMap,
    RoleMapping,
    RoleMappingType,
)
from mamori.services.identity.ports import TemporaryCredentials

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def ts(value: datetime) -> float:
    return value.timestamp()


def pool_in(p: Mapping[str, Any]) -> IdentityPool:
    """A draft from CreateIdentityPool / UpdateIdentityPool; ids and dates are the service's."""
    return IdentityPool(
        id=IdentityPoolId(str(p.get("IdentityPoolId", ""))),
        name=str(p["IdentityPoolName"]),
        created=EPOCH,
        modified=EPOCH,
        allow_unauthenticated=bool(p["AllowUnauthenticatedIdentities"]),
        allow_classic_flow=p.get("AllowClassicFlow"),
        supported_login_providers=dict(p.get("SupportedLoginProviders") or {}),
        developer_provider_name=p.get("DeveloperProviderName"),
        open_id_connect_provider_arns=tuple(p.get("OpenIdConnectProviderARNs") or ()),
        cognito_identity_providers=tuple(
            CognitoProvider(
                str(c.get("ProviderName", "")),
                c.get("ClientId"),
                bool(c.get("ServerSideTokenCheck", False)),
            )
            for c in p.get("CognitoIdentityProviders") or ()
        ),
        saml_provider_arns=tuple(p.get("SamlProviderARNs") or ()),
        tags=dict(p.get("IdentityPoolTags") or {}),
    )


def pool_out(pool: IdentityPool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "IdentityPoolId": pool.id,
        "IdentityPoolName": pool.name,
        "AllowUnauthenticatedIdentities": pool.allow_unauthenticated,
        "SupportedLoginProviders": dict(pool.supported_login_providers),
        "OpenIdConnectProviderARNs": list(pool.open_id_connect_provider_arns),
        "CognitoIdentityProviders": [
            {
                "ProviderName": c.provider_name,
                **({"ClientId": c.client_id} if c.client_id else {}),
                "ServerSideTokenCheck": c.server_side_token_check,
            }
            for c in pool.cognito_identity_providers
        ],
        "SamlProviderARNs": list(pool.saml_provider_arns),
        "IdentityPoolTags": dict(pool.tags),
    }
    if pool.allow_classic_flow is not None:
        out["AllowClassicFlow"] = pool.allow_classic_flow
    if pool.developer_provider_name:
        out["DeveloperProviderName"] = pool.developer_provider_name
    return out


def role_mappings_in(raw: Mapping[str, Any] | None) -> list[RoleMapping]:
    mappings = []
    for key, value in (raw or {}).items():
        rules = (value.get("RulesConfiguration") or {}).get("Rules") or ()
        ambiguous = value.get("AmbiguousRoleResolution")
        mappings.append(
            RoleMapping(
                provider=str(key),
                type=RoleMappingType(value["Type"]),
                ambiguous_role_resolution=AmbiguousRoleResolution(ambiguous) if ambiguous else None,
                rules=tuple(
                    MappingRule(
                        str(r["Claim"]),
                        MatchType(r["MatchType"]),
                        str(r["Value"]),
                        str(r["RoleARN"]),
                    )
                    for r in rules
                ),
            )
        )
    return mappings


def role_mappings_out(pool: IdentityPool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for m in pool.role_mappings:
        entry: dict[str, Any] = {"Type": m.type.value}
        if m.ambiguous_role_resolution is not None:
            entry["AmbiguousRoleResolution"] = m.ambiguous_role_resolution.value
        if m.rules:
            entry["RulesConfiguration"] = {
                "Rules": [
                    {
                        "Claim": r.claim,
                        "MatchType": r.match_type.value,
                        "Value": r.value,
                        "RoleARN": r.role_arn,
                    }
                    for r in m.rules
                ]
            }
        out[m.provider] = entry
    return out


def principal_tags_out(pool_id: str, entry: PrincipalTagMap) -> dict[str, Any]:
    return {
        "IdentityPoolId": pool_id,
        "IdentityProviderName": entry.provider,
        "UseDefaults": entry.use_defaults,
        "PrincipalTags": dict(entry.tags),
    }


def identity_out(identity: Identity) -> dict[str, Any]:
    out: dict[str, Any] = {
        "IdentityId": identity.id,
        "CreationDate": ts(identity.created),
        "LastModifiedDate": ts(identity.modified),
    }
    providers = identity.providers()
    if providers:
        out["Logins"] = providers
    return out


def credentials_out(credentials: TemporaryCredentials) -> dict[str, Any]:
    return {
        "AccessKeyId": credentials.access_key_id,
        "SecretKey": credentials.secret_access_key,
        "SessionToken": credentials.session_token,
        # Epoch seconds, as AWS JSON 1.1 timestamps are: Amplify multiplies by 1000.
        "Expiration": int(credentials.expiration.timestamp()),
    }


def identity_pool_id_from_arn(arn: str) -> str:
    """`arn:aws:cognito-identity:<region>:<account>:identitypool/<pool id>` -> pool id."""
    head, sep, pool_id = arn.rpartition(":identitypool/")
    if not sep or not head.startswith("arn:") or ":cognito-identity:" not in head + ":":
        raise InvalidParameterException(f"Invalid identity pool ARN {arn!r}.")
    return pool_id


def logins_in(p: Mapping[str, Any]) -> dict[str, str]:
    return {str(k): str(v) for k, v in (p.get("Logins") or {}).items()}
