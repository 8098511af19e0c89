"""Resource servers: CreateResourceServer / UpdateResourceServer in, servers out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mamori.domain.ids import PoolId
from mamori.domain.userpools.resource_servers import ResourceScope, ResourceServer


def resource_server_in(p: Mapping[str, Any]) -> ResourceServer:
    return ResourceServer(
        pool_id=PoolId(p["UserPoolId"]),
        identifier=p["Identifier"],
        name=p["Name"],
        scopes=tuple(
            ResourceScope(s["ScopeName"], s["ScopeDescription"]) for s in p.get("Scopes") or ()
        ),
    )


def resource_server_out(server: ResourceServer) -> dict[str, Any]:
    return {
        "UserPoolId": server.pool_id,
        "Identifier": server.identifier,
        "Name": server.name,
        "Scopes": [{"ScopeName": s.name, "ScopeDescription": s.description} for s in server.scopes],
    }
