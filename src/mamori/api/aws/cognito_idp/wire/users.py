"""Wire shapes of users: attributes in and out, users, groups and code deliveries out."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from mamori.api.aws.cognito_idp.wire.timestamps import ts
from mamori.domain.users.group import Group
from mamori.domain.users.user import User
from mamori.services.users.codes import Delivery


def attributes_in(items: Iterable[Mapping[str, Any]] | None) -> dict[str, str]:
    return {str(i["Name"]): str(i.get("Value", "")) for i in items or ()}


def client_metadata(params: Mapping[str, Any]) -> dict[str, str]:
    """A request's ClientMetadata, for the triggers its operation fires."""
    return {str(k): str(v) for k, v in (params.get("ClientMetadata") or {}).items()}


def attributes_out(
    attributes: Mapping[str, str], only: Iterable[str] | None = None
) -> list[dict[str, str]]:
    names = set(only) if only is not None else None
    return [{"Name": k, "Value": v} for k, v in attributes.items() if names is None or k in names]


def user_out(
    user: User, attributes_key: str = "Attributes", only: Iterable[str] | None = None
) -> dict[str, Any]:
    return {
        "Username": user.username,
        attributes_key: attributes_out(user.attributes, only),
        "UserCreateDate": ts(user.created),
        "UserLastModifiedDate": ts(user.modified),
        "Enabled": user.enabled,
        "UserStatus": user.status.value,
    }


def delivery_out(delivery: Delivery) -> dict[str, str]:
    return {
        "Destination": delivery.destination,
        "DeliveryMedium": delivery.medium,
        "AttributeName": delivery.attribute,
    }


def group_out(group: Group) -> dict[str, Any]:
    out: dict[str, Any] = {
        "GroupName": group.name,
        "UserPoolId": group.pool_id,
        "LastModifiedDate": ts(group.modified),
        "CreationDate": ts(group.created),
    }
    if group.description is not None:
        out["Description"] = group.description
    if group.role_arn is not None:
        out["RoleArn"] = group.role_arn
    if group.precedence is not None:
        out["Precedence"] = group.precedence
    return out
