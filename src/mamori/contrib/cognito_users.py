"""The old pool's users for `mamori import-cognito`: their export as JSON lines (attributes,
status, groups; never a password) and, at the end of a migration, the creation of those who
never signed in during it (docs/migrating.md, "Finish")."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import IO, Any

from mamori.contrib.cognito_import import Report, pages
from mamori.contrib.cognito_migration import UNWRITABLE


def export_users(
    source: Any, old_pool_id: str, out: IO[str], on_user: Callable[[dict[str, Any]], None]
) -> int:
    """Write the old pool's users as JSON lines (attributes, status, groups): the record of who
    is to come over, never a password. `on_user` sees each one (e.g. to create it)."""
    count = 0
    for user in pages(source, "list_users", "Users", UserPoolId=old_pool_id):
        groups = [
            g["GroupName"]
            for g in pages(
                source,
                "admin_list_groups_for_user",
                "Groups",
                UserPoolId=old_pool_id,
                Username=user["Username"],
            )
        ]
        record = {
            "Username": user["Username"],
            "Attributes": {a["Name"]: a.get("Value", "") for a in user.get("Attributes", [])},
            "Enabled": user.get("Enabled", True),
            "UserStatus": user.get("UserStatus"),
            "Groups": groups,
        }
        out.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
        on_user(record)
        count += 1
    return count


def create_user(
    target: Any,
    pool_id: str,
    record: dict[str, Any],
    report: Report,
    *,
    invite: bool = True,
    username_attributes: Sequence[str] = (),
    legacy_sub_attribute: str | None = None,
) -> bool:
    """The end of a migration: a user who never signed in during it, created with their
    attributes and groups and sent an invitation with a temporary password (or none). In a pool
    that signs in by email or phone (`username_attributes`) the user is created by that value,
    as such pools ask. False when the pool refused the user (the reason is reported)."""
    old_name = str(record["Username"])
    values = dict(record["Attributes"])
    attributes = [
        {"Name": name.removeprefix("dev:"), "Value": value}
        for name, value in values.items()
        if name not in UNWRITABLE and not name.startswith("cognito:")
    ]
    if legacy_sub_attribute and values.get("sub"):
        attributes.append({"Name": legacy_sub_attribute, "Value": values["sub"]})
    username = next((values[a] for a in username_attributes if values.get(a)), old_name)
    params: dict[str, Any] = {"UserPoolId": pool_id, "Username": username}
    if not invite:
        params["MessageAction"] = "SUPPRESS"
    try:
        made = target.admin_create_user(UserAttributes=attributes, **params)["User"]
    except Exception as exc:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code")
        if code == "UsernameExistsException":
            report.say(f"user {old_name}: exists (migrated)")
            return True
        if code is None:
            raise
        report.say(f"user {old_name}: not created: {code}: {exc}")
        return False
    new_name = str(made["Username"])
    for group in record["Groups"]:
        target.admin_add_user_to_group(UserPoolId=pool_id, Username=new_name, GroupName=group)
    if not record.get("Enabled", True):
        target.admin_disable_user(UserPoolId=pool_id, Username=new_name)
    report.say(f"user {old_name}: created" + (f" as {new_name}" if new_name != old_name else ""))
    return True
