"""The operation registry: handlers registered by their AWS names, per service target prefix."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from mamori.services.container import Services

IDP = "AWSCognitoIdentityProviderService"
IDENTITY = "AWSCognitoIdentityService"

Params = Mapping[str, Any]
Result = dict[str, Any]


@dataclass(frozen=True)
class Call:
    """What a handler may know about the request besides its parameters."""

    services: Services
    request_id: str
    source_ip: str
    caller: str | None  # access key id when SigV4-signed, None for public calls
    # The request's User-Agent: the end user's for public calls (the auth-event log's device).
    user_agent: str | None = None


Handler = Callable[[Call, Params], Awaitable[Result]]

REGISTRY: dict[tuple[str, str], Handler] = {}
# Operations that take larger bodies than the server's max_body_bytes (branding's images).
BODY_LIMITS: dict[tuple[str, str], int] = {}


def operation(
    name: str, prefix: str = IDP, max_body: int | None = None
) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        key = (prefix, name)
        if key in REGISTRY:
            raise RuntimeError(f"operation {prefix}.{name} registered twice")
        REGISTRY[key] = handler
        if max_body is not None:
            BODY_LIMITS[key] = max_body
        return handler

    return register
