"""Resource server operations: the APIs a pool issues custom scopes for."""

from __future__ import annotations

from mamori.api.aws.cognito_idp.wire.resource_servers import (
    resource_server_in,
    resource_server_out,
)
from mamori.api.aws.operations import Call, Params, Result, operation


@operation("CreateResourceServer")
async def create_resource_server(call: Call, p: Params) -> Result:
    server = await call.services.resource_servers.create_resource_server(
        p["UserPoolId"], resource_server_in(p)
    )
    return {"ResourceServer": resource_server_out(server)}


@operation("DescribeResourceServer")
async def describe_resource_server(call: Call, p: Params) -> Result:
    server = await call.services.resource_servers.describe_resource_server(
        p["UserPoolId"], p["Identifier"]
    )
    return {"ResourceServer": resource_server_out(server)}


@operation("UpdateResourceServer")
async def update_resource_server(call: Call, p: Params) -> Result:
    server = await call.services.resource_servers.update_resource_server(
        p["UserPoolId"], resource_server_in(p)
    )
    return {"ResourceServer": resource_server_out(server)}


@operation("DeleteResourceServer")
async def delete_resource_server(call: Call, p: Params) -> Result:
    await call.services.resource_servers.delete_resource_server(p["UserPoolId"], p["Identifier"])
    return {}


@operation("ListResourceServers")
async def list_resource_servers(call: Call, p: Params) -> Result:
    page = await call.services.resource_servers.list_resource_servers(
        p["UserPoolId"], p.get("MaxResults", 50), p.get("NextToken")
    )
    out: Result = {"ResourceServers": [resource_server_out(s) for s in page.items]}
    if page.next_token:
        out["NextToken"] = page.next_token
    return out
