"""Identity pool management: lifecycle, roles and principal-tag maps."""

from __future__ import annotations

from mamori.api.aws.cognito_identity.wire import (
    pool_in,
    pool_out,
    principal_tags_out,
    role_mappings_in,
    role_mappings_out,
)
from mamori.api.aws.operations import IDENTITY, Call, Params, Result, operation


@operation("CreateIdentityPool", prefix=IDENTITY)
async def create_identity_pool(call: Call, p: Params) -> Result:
    pool = await call.services.identity.pools.create_identity_pool(pool_in(p))
    return pool_out(pool)


@operation("DescribeIdentityPool", prefix=IDENTITY)
async def describe_identity_pool(call: Call, p: Params) -> Result:
    return pool_out(await call.services.identity.pools.describe_identity_pool(p["IdentityPoolId"]))


@operation("UpdateIdentityPool", prefix=IDENTITY)
async def update_identity_pool(call: Call, p: Params) -> Result:
    pool = await call.services.identity.pools.update_identity_pool(
        p["IdentityPoolId"], pool_in(p), tags_given="IdentityPoolTags" in p
    )
    return pool_out(pool)


@operation("DeleteIdentityPool", prefix=IDENTITY)
async def delete_identity_pool(call: Call, p: Params) -> Result:
    await call.services.identity.pools.delete_identity_pool(p["IdentityPoolId"])
    return {}


@operation("ListIdentityPools", prefix=IDENTITY)
async def list_identity_pools(call: Call, p: Params) -> Result:
    page = await call.services.identity.pools.list_identity_pools(
        p["MaxResults"], p.get("NextToken")
    )
    out: Result = {
        "IdentityPools": [
            {"IdentityPoolId": pool.id, "IdentityPoolName": pool.name} for pool in page.items
        ]
    }
    if page.next_token:
        out["NextToken"] = page.next_token
    return out


@operation("SetIdentityPoolRoles", prefix=IDENTITY)
async def set_identity_pool_roles(call: Call, p: Params) -> Result:
    await call.services.identity.pools.set_identity_pool_roles(
        p["IdentityPoolId"], dict(p["Roles"]), role_mappings_in(p.get("RoleMappings"))
    )
    return {}


@operation("GetIdentityPoolRoles", prefix=IDENTITY)
async def get_identity_pool_roles(call: Call, p: Params) -> Result:
    pool = await call.services.identity.pools.get_identity_pool_roles(p["IdentityPoolId"])
    out: Result = {"IdentityPoolId": pool.id, "Roles": dict(pool.roles)}
    if pool.role_mappings:
        out["RoleMappings"] = role_mappings_out(pool)
    return out


@operation("SetPrincipalTagAttributeMap", prefix=IDENTITY)
async def set_principal_tag_attribute_map(call: Call, p: Params) -> Result:
    entry = await call.services.identity.pools.set_principal_tag_attribute_map(
        p["IdentityPoolId"],
        p["IdentityProviderName"],
        bool(p.get("UseDefaults", False)),
        dict(p.get("PrincipalTags") or {}),
    )
    return principal_tags_out(p["IdentityPoolId"], entry)


@operation("GetPrincipalTagAttributeMap", prefix=IDENTITY)
async def get_principal_tag_attribute_map(call: Call, p: Params) -> Result:
    entry = await call.services.identity.pools.get_principal_tag_attribute_map(
        p["IdentityPoolId"], p["IdentityProviderName"]
    )
    return principal_tags_out(p["IdentityPoolId"], entry)
