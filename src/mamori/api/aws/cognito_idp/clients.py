"""App client operations."""

from __future__ import annotations

from mamori.api.aws.cognito_idp.wire.clients import client_in, client_out
from mamori.api.aws.operations import Call, Params, Result, operation


@operation("CreateUserPoolClient")
async def create_user_pool_client(call: Call, p: Params) -> Result:
    client = await call.services.clients.create_user_pool_client(
        p["UserPoolId"],
        client_in(p),
        bool(p.get("GenerateSecret", False)),
        p.get("ClientSecret"),
    )
    return {"UserPoolClient": client_out(client)}


@operation("DescribeUserPoolClient")
async def describe_user_pool_client(call: Call, p: Params) -> Result:
    client = await call.services.clients.describe_user_pool_client(p["UserPoolId"], p["ClientId"])
    return {"UserPoolClient": client_out(client)}


@operation("UpdateUserPoolClient")
async def update_user_pool_client(call: Call, p: Params) -> Result:
    client = await call.services.clients.update_user_pool_client(
        p["UserPoolId"], client_in(p, p["ClientId"]), name=p.get("ClientName")
    )
    return {"UserPoolClient": client_out(client)}


@operation("DeleteUserPoolClient")
async def delete_user_pool_client(call: Call, p: Params) -> Result:
    await call.services.clients.delete_user_pool_client(p["UserPoolId"], p["ClientId"])
    return {}


@operation("ListUserPoolClients")
async def list_user_pool_clients(call: Call, p: Params) -> Result:
    page = await call.services.clients.list_user_pool_clients(
        p["UserPoolId"], p.get("MaxResults", 60), p.get("NextToken")
    )
    out: Result = {
        "UserPoolClients": [
            {"ClientId": c.id, "UserPoolId": c.pool_id, "ClientName": c.name} for c in page.items
        ]
    }
    if page.next_token:
        out["NextToken"] = page.next_token
    return out
