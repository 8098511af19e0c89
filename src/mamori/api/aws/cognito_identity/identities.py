"""Identities: GetId, GetOpenIdToken, UnlinkIdentity (public) and the administrative
ListIdentities, DescribeIdentity, DeleteIdentities."""

from __future__ import annotations

from mamori.api.aws.cognito_identity.wire import identity_out, logins_in
from mamori.api.aws.operations import IDENTITY, Call, Params, Result, operation


@operation("GetId", prefix=IDENTITY)
async def get_id(call: Call, p: Params) -> Result:
    identity = await call.services.identity.identities.get_id(p["IdentityPoolId"], logins_in(p))
    return {"IdentityId": identity.id}


@operation("GetOpenIdToken", prefix=IDENTITY)
async def get_open_id_token(call: Call, p: Params) -> Result:
    identity, token = await call.services.identity.identities.get_open_id_token(
        p["IdentityId"], logins_in(p)
    )
    return {"IdentityId": identity.id, "Token": token}


@operation("UnlinkIdentity", prefix=IDENTITY)
async def unlink_identity(call: Call, p: Params) -> Result:
    await call.services.identity.identities.unlink_identity(
        p["IdentityId"], logins_in(p), list(p["LoginsToRemove"])
    )
    return {}


@operation("ListIdentities", prefix=IDENTITY)
async def list_identities(call: Call, p: Params) -> Result:
    pool, page = await call.services.identity.pools.list_identities(
        p["IdentityPoolId"], p["MaxResults"], p.get("NextToken")
    )
    out: Result = {
        "IdentityPoolId": pool.id,
        "Identities": [identity_out(i) for i in page.items],
    }
    if page.next_token:
        out["NextToken"] = page.next_token
    return out


@operation("DescribeIdentity", prefix=IDENTITY)
async def describe_identity(call: Call, p: Params) -> Result:
    return identity_out(await call.services.identity.pools.describe_identity(p["IdentityId"]))


@operation("DeleteIdentities", prefix=IDENTITY)
async def delete_identities(call: Call, p: Params) -> Result:
    unprocessed = await call.services.identity.pools.delete_identities(
        list(p["IdentityIdsToDelete"])
    )
    return {"UnprocessedIdentityIds": unprocessed}
