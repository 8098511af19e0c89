"""GetCredentialsForIdentity: temporary AWS credentials from STS (public, as on AWS)."""

from __future__ import annotations

from mamori.api.aws.cognito_identity.wire import credentials_out, logins_in
from mamori.api.aws.operations import IDENTITY, Call, Params, Result, operation


@operation("GetCredentialsForIdentity", prefix=IDENTITY)
async def get_credentials_for_identity(call: Call, p: Params) -> Result:
    identity, credentials = await call.services.identity.credentials.get_credentials_for_identity(
        p["IdentityId"], logins_in(p), p.get("CustomRoleArn"), call.request_id
    )
    return {"IdentityId": identity.id, "Credentials": credentials_out(credentials)}
