"""Tag operations on user pools, addressed by ARN."""

from __future__ import annotations

from mamori.api.aws.cognito_idp.wire.pools import pool_id_from_arn
from mamori.api.aws.operations import Call, Params, Result, operation


@operation("TagResource")
async def tag_resource(call: Call, p: Params) -> Result:
    await call.services.pools.tag_resource(pool_id_from_arn(p["ResourceArn"]), p.get("Tags", {}))
    return {}


@operation("UntagResource")
async def untag_resource(call: Call, p: Params) -> Result:
    await call.services.pools.untag_resource(pool_id_from_arn(p["ResourceArn"]), p["TagKeys"])
    return {}


@operation("ListTagsForResource")
async def list_tags_for_resource(call: Call, p: Params) -> Result:
    tags = await call.services.pools.list_tags_for_resource(pool_id_from_arn(p["ResourceArn"]))
    return {"Tags": dict(tags)}
