"""Rendering of errors as AWS JSON: `{"__type", "message"}` with `x-amzn-ErrorType`."""

from __future__ import annotations

import json

from starlette.responses import Response

from mamori.domain.errors import ServiceError

AWS_JSON = "application/x-amz-json-1.1"


def error_response(error: ServiceError, request_id: str) -> Response:
    body = json.dumps({"__type": error.code, "message": error.message})
    return Response(
        body,
        status_code=error.status,
        media_type=AWS_JSON,
        headers={"x-amzn-ErrorType": error.code, "x-amzn-RequestId": request_id},
    )
