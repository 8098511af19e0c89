"""Wire shapes of app clients: CreateUserPoolClient / UpdateUserPoolClient in, clients out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mamori.api.aws.cognito_idp.wire.timestamps import EPOCH, ts
from mamori.domain.ids import ClientId, PoolId
from mamori.domain.userpools.app_client import AppClient, TokenValidity
from mamori.protocols.cognito_settings import client_settings_in, client_settings_out

DEFAULT_AUTH_FLOWS = ("ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_CUSTOM_AUTH")


def _validity(p: Mapping[str, Any], member: str, unit_key: str, unit: str) -> tuple[int, str]:
    """(amount, unit) of a token lifetime the request gives, in its unit or the default one."""
    units = p.get("TokenValidityUnits") or {}
    return int(p[member]), str(units.get(unit_key) or unit)


def client_in(p: Mapping[str, Any], client_id: str = "") -> AppClient:
    defaults = TokenValidity()
    # Cognito: a lifetime without a unit is in hours (access, ID) or days (refresh); one left
    # out, or a refresh lifetime of 0, takes the default (60 minutes, 60 minutes, 30 days).
    access = (defaults.access, defaults.access_unit)
    if p.get("AccessTokenValidity"):
        access = _validity(p, "AccessTokenValidity", "AccessToken", "hours")
    id_token = (defaults.id, defaults.id_unit)
    if p.get("IdTokenValidity"):
        id_token = _validity(p, "IdTokenValidity", "IdToken", "hours")
    refresh = (defaults.refresh, defaults.refresh_unit)
    if p.get("RefreshTokenValidity"):
        refresh = _validity(p, "RefreshTokenValidity", "RefreshToken", "days")
    validity = TokenValidity(
        access=access[0],
        access_unit=access[1],
        id=id_token[0],
        id_unit=id_token[1],
        refresh=refresh[0],
        refresh_unit=refresh[1],
    )
    rotation = p.get("RefreshTokenRotation") or {}
    return AppClient(
        id=ClientId(client_id),
        pool_id=PoolId(str(p.get("UserPoolId", ""))),
        name=str(p.get("ClientName", "")),
        created=EPOCH,
        modified=EPOCH,
        explicit_auth_flows=tuple(p.get("ExplicitAuthFlows") or ()),
        token_validity=validity,
        read_attributes=tuple(p.get("ReadAttributes") or ()),
        write_attributes=tuple(p.get("WriteAttributes") or ()),
        # Cognito: LEGACY unless the request says ENABLED (only the console defaults to ENABLED).
        prevent_user_existence_errors=p.get("PreventUserExistenceErrors") == "ENABLED",
        enable_token_revocation=bool(p.get("EnableTokenRevocation", True)),
        auth_session_validity_minutes=int(p.get("AuthSessionValidity") or 3),
        refresh_rotation=rotation.get("Feature") == "ENABLED",
        refresh_retry_grace_seconds=int(rotation.get("RetryGracePeriodSeconds") or 0),
        **client_settings_in(p),
    )


def client_out(client: AppClient) -> dict[str, Any]:
    tv = client.token_validity
    out: dict[str, Any] = {
        "UserPoolId": client.pool_id,
        "ClientName": client.name,
        "ClientId": client.id,
        "LastModifiedDate": ts(client.modified),
        "CreationDate": ts(client.created),
        "RefreshTokenValidity": tv.refresh,
        "AccessTokenValidity": tv.access,
        "IdTokenValidity": tv.id,
        "TokenValidityUnits": {
            "AccessToken": tv.access_unit,
            "IdToken": tv.id_unit,
            "RefreshToken": tv.refresh_unit,
        },
        "PreventUserExistenceErrors": "ENABLED"
        if client.prevent_user_existence_errors
        else "LEGACY",
        "EnableTokenRevocation": client.enable_token_revocation,
        "AuthSessionValidity": client.auth_session_validity_minutes,
        "RefreshTokenRotation": {
            "Feature": "ENABLED" if client.refresh_rotation else "DISABLED",
            "RetryGracePeriodSeconds": client.refresh_retry_grace_seconds,
        },
    }
    if client.secret:
        out["ClientSecret"] = client.secret
    # Cognito: a client created without ExplicitAuthFlows reports the flows it gets.
    out["ExplicitAuthFlows"] = list(client.explicit_auth_flows or DEFAULT_AUTH_FLOWS)
    if client.read_attributes:
        out["ReadAttributes"] = list(client.read_attributes)
    if client.write_attributes:
        out["WriteAttributes"] = list(client.write_attributes)
    out.update(client_settings_out(client))
    return out
