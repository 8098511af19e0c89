"""Developer-authenticated identities (called by the developer's backend, SigV4-signed)."""

from __future__ import annotations

from mamori.api.aws.cognito_identity.wire import logins_in
from mamori.api.aws.operations import IDENTITY, Call, Params, Result, operation


@operation("GetOpenIdTokenForDeveloperIdentity", prefix=IDENTITY)
async def get_open_id_token_for_developer_identity(call: Call, p: Params) -> Result:
    identities = call.services.identity.identities
    identity, token = await identities.get_open_id_token_for_developer_identity(
        p["IdentityPoolId"],
        p.get("IdentityId"),
        logins_in(p),
        dict(p.get("PrincipalTags") or {}),
        p.get("TokenDuration"),
    )
    return {"IdentityId": identity.id, "Token": token}


@operation("LookupDeveloperIdentity", prefix=IDENTITY)
async def lookup_developer_identity(call: Call, p: Params) -> Result:
    identity, page = await call.services.identity.identities.lookup_developer_identity(
        p["IdentityPoolId"],
        p.get("IdentityId"),
        p.get("DeveloperUserIdentifier"),
        p.get("MaxResults", 60),
        p.get("NextToken"),
    )
    out: Result = {"IdentityId": identity.id, "DeveloperUserIdentifierList": list(page.items)}
    if page.next_token:
        out["NextToken"] = page.next_token
    return out


@operation("MergeDeveloperIdentities", prefix=IDENTITY)
async def merge_developer_identities(call: Call, p: Params) -> Result:
    identity = await call.services.identity.identities.merge_developer_identities(
        p["SourceUserIdentifier"],
        p["DestinationUserIdentifier"],
        p["DeveloperProviderName"],
        p["IdentityPoolId"],
    )
    return {"IdentityId": identity.id}


@operation("UnlinkDeveloperIdentity", prefix=IDENTITY)
async def unlink_developer_identity(call: Call, p: Params) -> Result:
    await call.services.identity.identities.unlink_developer_identity(
        p["IdentityId"],
        p["IdentityPoolId"],
        p["DeveloperProviderName"],
        p["DeveloperUserIdentifier"],
    )
    return {}
