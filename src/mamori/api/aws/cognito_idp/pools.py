"""User pool operations."""

from __future__ import annotations

from mamori.api.aws.cognito_idp.wire.pools import (
    pool_in,
    pool_out,
    pool_summary,
    schema_in,
)
from mamori.api.aws.operations import Call, Params, Result, operation
from mamori.domain.ids import region_of
from mamori.domain.userpools.domains import DomainKind


@operation("CreateUserPool")
async def create_user_pool(call: Call, p: Params) -> Result:
    region = call.services.pools.region
    schema = [schema_in(s) for s in p.get("Schema") or ()]
    pool = await call.services.pools.create_user_pool(pool_in(p, p["PoolName"]), schema)
    return {"UserPool": pool_out(pool, 0, region)}


@operation("DescribeUserPool")
async def describe_user_pool(call: Call, p: Params) -> Result:
    pool, users = await call.services.pools.describe_user_pool(p["UserPoolId"])
    out = pool_out(pool, users, region_of(pool.id))
    # Cognito names the pool's domains here too: Domain (the prefix) and CustomDomain.
    for domain in await call.services.domains.domains_of_pool(pool.id):
        out["Domain" if domain.kind is DomainKind.PREFIX else "CustomDomain"] = domain.domain
    return {"UserPool": out}


@operation("UpdateUserPool")
async def update_user_pool(call: Call, p: Params) -> Result:
    await call.services.pools.update_user_pool(
        p["UserPoolId"],
        pool_in(p, ""),
        name=p.get("PoolName"),
        tags=p.get("UserPoolTags"),
    )
    return {}


@operation("DeleteUserPool")
async def delete_user_pool(call: Call, p: Params) -> Result:
    await call.services.pools.delete_user_pool(p["UserPoolId"])
    return {}


@operation("ListUserPools")
async def list_user_pools(call: Call, p: Params) -> Result:
    page = await call.services.pools.list_user_pools(p["MaxResults"], p.get("NextToken"))
    out: Result = {"UserPools": [pool_summary(pool) for pool in page.items]}
    if page.next_token:
        out["NextToken"] = page.next_token
    return out


@operation("AddCustomAttributes")
async def add_custom_attributes(call: Call, p: Params) -> Result:
    attrs = [schema_in(a) for a in p["CustomAttributes"]]
    await call.services.pools.add_custom_attributes(p["UserPoolId"], attrs)
    return {}
