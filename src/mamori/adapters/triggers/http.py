"""Triggers as HTTP endpoints: the event POSTed as JSON, signed as the webhook sender signs
(Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64
HMAC-SHA256(key, "<id>.<timestamp>.<body>")>`), the answer the event as the function changed it.

An endpoint fails the trigger (UserLambdaValidationException, its message shown to the caller)
by answering 4xx with {"errorMessage": "..."} (or 200 with `X-Amz-Function-Error`, as Lambda's
Invoke API does); 429 and 5xx are retried; anything else is a failed call.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from typing import Any

import httpx

from mamori.adapters.delivery.webhook import sign
from mamori.services.triggers.ports import FunctionFailed, MalformedAnswer, TransportFailed

# Lambda's limit on a synchronous invocation's answer (6 MB); an event is far smaller.
MAX_ANSWER_BYTES = 6 * 1024 * 1024
FUNCTION_ERROR_HEADER = "x-amz-function-error"
_STATUS_REASONS = {
    401: "AccessDeniedException",
    403: "AccessDeniedException",
    404: "ResourceNotFoundException",
    429: "TooManyRequestsException",
}


class AnswerTooLarge(TransportFailed):
    def __init__(self) -> None:
        super().__init__("ResponseSizeTooLarge")


async def send(
    client: httpx.AsyncClient, request: httpx.Request
) -> tuple[int, httpx.Headers, bytes]:
    """(status, headers, body) of `request`'s answer, read up to MAX_ANSWER_BYTES; the caller
    (the dispatcher) bounds the time. A dropped or refused connection is a retryable failure."""
    try:
        response = await client.send(request, stream=True)
        try:
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_ANSWER_BYTES:
                    raise AnswerTooLarge()
        finally:
            await response.aclose()
    except httpx.TimeoutException as exc:
        raise TimeoutError from exc
    except httpx.HTTPError as exc:
        raise TransportFailed(type(exc).__name__, retryable=True) from exc
    return response.status_code, response.headers, bytes(body)


def decode(body: bytes) -> object:
    """The answer as JSON (any value); MalformedAnswer when it is not JSON."""
    try:
        return json.loads(body) if body.strip() else None
    except ValueError as exc:
        raise MalformedAnswer(str(exc)) from None


def function_error(body: bytes) -> FunctionFailed:
    """A function's error answer ({"errorMessage", "errorType"}, as Lambda sends it)."""
    try:
        payload = json.loads(body)
    except ValueError:
        payload = None
    message = payload.get("errorMessage") if isinstance(payload, dict) else None
    return FunctionFailed(
        str(message) if message is not None else body[:256].decode(errors="replace")
    )


class HttpFunctions:
    """The HTTP transport: `target` is the endpoint's URL."""

    def __init__(
        self,
        key: bytes,
        client: httpx.AsyncClient,
        now: Callable[[], float] = time.time,
    ) -> None:
        """`key`: trigger_http_secret as webhook.signing_key reads it; `client`: the shared
        outbound client (adapters/http.py); `now`: Unix seconds, for the timestamp."""
        self._key = key
        self._client = client
        self._now = now

    def headers(self, body: bytes) -> dict[str, str]:
        message_id = "trg_" + secrets.token_urlsafe(18)
        timestamp = int(self._now())
        return {
            "content-type": "application/json",
            "user-agent": "mamori-trigger/1",
            "webhook-id": message_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(self._key, message_id, timestamp, body),
        }

    async def call(self, target: str, event: dict[str, Any], deadline_seconds: float) -> object:
        body = json.dumps(event, separators=(",", ":")).encode()
        request = self._client.build_request(
            "POST", target, content=body, headers=self.headers(body), timeout=deadline_seconds
        )
        status, headers, answer = await send(self._client, request)
        if status == 200 and FUNCTION_ERROR_HEADER in headers:
            raise function_error(answer)
        if 200 <= status < 300:
            return decode(answer)
        if status == 429 or status >= 500:
            raise TransportFailed(_STATUS_REASONS.get(status, "ServiceException"), retryable=True)
        if 400 <= status < 500 and b"errorMessage" in answer:
            raise function_error(answer)
        raise TransportFailed(_STATUS_REASONS.get(status, f"HTTP{status}"))
