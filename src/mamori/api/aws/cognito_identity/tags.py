"""Tag operations on identity pools, addressed by ARN."""

from __future__ import annotations

from mamori.api.aws.cognito_identity.wire import identity_pool_id_from_arn
from mamori.api.aws.operations import IDENTITY, Call, Params, Result, operation


@operation("TagResource", prefix=IDENTITY)
async def tag_resource(call: Call, p: Params) -> Result:
    await call.services.identity.pools.tag_resource(
        identity_pool_id_from_arn(p["ResourceArn"]), dict(p.get("Tags") or {})
    )
    return {}


@operation("UntagResource", prefix=IDENTITY)
async def untag_resource(call: Call, p: Params) -> Result:
    await call.services.identity.pools.untag_resource(
        identity_pool_id_from_arn(p["ResourceArn"]), list(p["TagKeys"])
    )
    return {}


@operation("ListTagsForResource", prefix=IDENTITY)
async def list_tags_for_resource(call: Call, p: Params) -> Result:
    tags = await call.services.identity.pools.list_tags_for_resource(
        identity_pool_id_from_arn(p["ResourceArn"])
    )
    return {"Tags": dict(tags)}
