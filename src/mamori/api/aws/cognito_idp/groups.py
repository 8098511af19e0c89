"""Group operations."""

from __future__ import annotations

from mamori.api.aws.cognito_idp.wire.users import group_out, user_out
from mamori.api.aws.operations import Call, Params, Result, operation


@operation("CreateGroup")
async def create_group(call: Call, p: Params) -> Result:
    group = await call.services.groups.create_group(
        p["UserPoolId"], p["GroupName"], p.get("Description"), p.get("RoleArn"), p.get("Precedence")
    )
    return {"Group": group_out(group)}


@operation("GetGroup")
async def get_group(call: Call, p: Params) -> Result:
    return {
        "Group": group_out(await call.services.groups.get_group(p["UserPoolId"], p["GroupName"]))
    }


@operation("UpdateGroup")
async def update_group(call: Call, p: Params) -> Result:
    group = await call.services.groups.update_group(
        p["UserPoolId"], p["GroupName"], p.get("Description"), p.get("RoleArn"), p.get("Precedence")
    )
    return {"Group": group_out(group)}


@operation("DeleteGroup")
async def delete_group(call: Call, p: Params) -> Result:
    await call.services.groups.delete_group(p["UserPoolId"], p["GroupName"])
    return {}


@operation("ListGroups")
async def list_groups(call: Call, p: Params) -> Result:
    page = await call.services.groups.list_groups(
        p["UserPoolId"], p.get("Limit", 0), p.get("NextToken")
    )
    out: Result = {"Groups": [group_out(g) for g in page.items]}
    if page.next_token:
        out["NextToken"] = page.next_token
    return out


@operation("AdminAddUserToGroup")
async def admin_add_user_to_group(call: Call, p: Params) -> Result:
    await call.services.groups.admin_add_user_to_group(
        p["UserPoolId"], p["Username"], p["GroupName"]
    )
    return {}


@operation("AdminRemoveUserFromGroup")
async def admin_remove_user_from_group(call: Call, p: Params) -> Result:
    await call.services.groups.admin_remove_user_from_group(
        p["UserPoolId"], p["Username"], p["GroupName"]
    )
    return {}


@operation("AdminListGroupsForUser")
async def admin_list_groups_for_user(call: Call, p: Params) -> Result:
    page = await call.services.groups.admin_list_groups_for_user(
        p["UserPoolId"], p["Username"], p.get("Limit", 0), p.get("NextToken")
    )
    out: Result = {"Groups": [group_out(g) for g in page.items]}
    if page.next_token:
        out["NextToken"] = page.next_token
    return out


@operation("ListUsersInGroup")
async def list_users_in_group(call: Call, p: Params) -> Result:
    page = await call.services.groups.list_users_in_group(
        p["UserPoolId"], p["GroupName"], p.get("Limit", 0), p.get("NextToken")
    )
    out: Result = {"Users": [user_out(u) for u in page.items]}
    if page.next_token:
        out["NextToken"] = page.next_token
    return out
