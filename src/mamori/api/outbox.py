"""`GET /admin/outbox`: the messages mamori kept instead of (or as well as) sending them, for
the administrator (HTTP Basic with the admin credentials) and tests."""

from __future__ import annotations

import base64
import hmac
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mamori.services.outbox import OutboxService


def admin_allowed(
    request: Request, secret_for: Callable[[str], str | None], accept_any: bool
) -> bool:
    if accept_any:
        return True
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return False
    try:
        akid, _, secret = base64.b64decode(header[6:]).decode().partition(":")
    except ValueError:  # bad base64, not UTF-8, or non-ASCII text (a 500 before)
        return False
    expected = secret_for(akid)
    return expected is not None and hmac.compare_digest(secret.encode(), expected.encode())


def outbox_route(
    outbox: OutboxService, secret_for: Callable[[str], str | None], accept_any: bool
) -> Callable[[Request], Awaitable[Response]]:
    """The route, answering 401 without the admin credentials (unless emulator mode)."""

    async def route(request: Request) -> Response:
        if not admin_allowed(request, secret_for, accept_any):
            return JSONResponse(
                {"error": "admin credentials required (HTTP Basic: access key id and secret)"},
                status_code=401,
                headers={"WWW-Authenticate": 'Basic realm="mamori"'},
            )
        q = request.query_params
        limit_text = q.get("limit", "100")
        limit = int(limit_text) if limit_text.isdigit() else 100
        messages = await outbox.list_messages(
            q.get("pool"), q.get("to"), limit, latest=bool(q.get("latest"))
        )
        items: list[dict[str, Any]] = [
            {
                "id": m.id,
                "pool_id": m.pool_id,
                "channel": m.channel,
                "to": m.destination,
                "subject": m.subject,
                "body": m.body,
                "kind": m.kind,
                "code": m.code,
                "created": m.created.isoformat(),
            }
            for m in messages
        ]
        return JSONResponse({"messages": items})

    return route
