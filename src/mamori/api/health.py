"""`GET /health`: readiness, 200 while the database answers, 503 otherwise."""

from __future__ import annotations

from starlette.responses import JSONResponse, Response

from mamori.services.health import Health


async def health(checks: Health) -> Response:
    if not await checks.ready():
        return JSONResponse({"status": "unavailable"}, status_code=503)
    return JSONResponse({"status": "ok"})
