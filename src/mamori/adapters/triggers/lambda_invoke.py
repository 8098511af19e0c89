"""Triggers on AWS Lambda, or any service with Lambda's Invoke API (a local stand-in, a
Lambda-compatible platform): `POST /2015-03-31/functions/<ARN>/invocations`, RequestResponse,
SigV4-signed for the service `lambda`, over the shared async client (never a thread per call)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import anyio.to_thread
import httpx
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials, ReadOnlyCredentials

from mamori.adapters.triggers.http import FUNCTION_ERROR_HEADER, decode, function_error, send
from mamori.services.triggers.ports import TransportFailed

log = logging.getLogger("mamori.triggers")

# Lambda answers these with 5xx or 429: worth another attempt (Cognito retries them).
_RETRYABLE = frozenset(
    {
        "TooManyRequestsException",
        "ServiceException",
        "EC2ThrottledException",
        "ResourceNotReadyException",
        "ResourceConflictException",
    }
)


@dataclass(frozen=True)
class InvokeConfig:
    endpoint: str = ""  # empty: https://lambda.<region>.amazonaws.com
    region: str = ""  # empty: the ARN's region, else default_region
    default_region: str = "us-east-1"
    access_key_id: str = ""  # empty: botocore's credential chain
    secret_access_key: str = field(default="", repr=False)


def arn_region(arn: str) -> str:
    """arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>] -> region ("" if none)."""
    parts = arn.split(":")
    return parts[3] if len(parts) > 3 and parts[0] == "arn" else ""


def chain_credentials() -> ReadOnlyCredentials | None:
    """botocore's credential chain (environment, profile, container, instance metadata); runs
    in a thread: it may call the metadata service, and refreshes temporary credentials."""
    import botocore.session

    found = botocore.session.get_session().get_credentials()
    return found.get_frozen_credentials() if found is not None else None


class LambdaInvoke:
    """The Lambda transport: `target` is the function's ARN, passed to Invoke as FunctionName."""

    def __init__(
        self,
        config: InvokeConfig,
        client: httpx.AsyncClient,
        credentials: Callable[[], ReadOnlyCredentials | None] = chain_credentials,
    ) -> None:
        self._config = config
        self._client = client
        self._chain = credentials

    async def _credentials(self) -> Credentials | ReadOnlyCredentials:
        if self._config.access_key_id:
            return Credentials(self._config.access_key_id, self._config.secret_access_key)
        found = await anyio.to_thread.run_sync(self._chain)
        if found is None:
            log.warning("no AWS credentials to call Lambda with (set lambda_access_key_id)")
            raise TransportFailed("AccessDeniedException")
        return found

    async def request(self, arn: str, body: bytes, seconds: float) -> httpx.Request:
        region = self._config.region or arn_region(arn) or self._config.default_region
        # AWS China's partition (arn:aws-cn:...) has its own domain.
        domain = "amazonaws.com.cn" if arn.startswith("arn:aws-cn:") else "amazonaws.com"
        endpoint = (self._config.endpoint or f"https://lambda.{region}.{domain}").rstrip("/")
        url = f"{endpoint}/2015-03-31/functions/{quote(arn, safe='')}/invocations"
        headers = {
            "Content-Type": "application/json",
            "X-Amz-Invocation-Type": "RequestResponse",
        }
        signed = AWSRequest(method="POST", url=url, data=body, headers=headers)
        SigV4Auth(await self._credentials(), "lambda", region).add_auth(signed)
        return self._client.build_request(
            "POST",
            url,
            content=body,
            headers={k: str(v) for k, v in signed.headers.items()},
            timeout=seconds,
        )

    async def call(self, target: str, event: dict[str, Any], deadline_seconds: float) -> object:
        body = json.dumps(event, separators=(",", ":")).encode()
        request = await self.request(target, body, deadline_seconds)
        status, headers, answer = await send(self._client, request)
        if status == 200:
            if FUNCTION_ERROR_HEADER in headers:
                raise function_error(answer)
            return decode(answer)
        error = _error_type(headers, answer) or ("ServiceException" if status >= 500 else "")
        log.warning("Lambda refused to invoke %s: HTTP %d %s", target, status, error)
        retry = status == 429 or status >= 500 or error in _RETRYABLE
        raise TransportFailed(error or f"HTTP{status}", retryable=retry)


def _error_type(headers: httpx.Headers, body: bytes) -> str:
    """The error's name: x-amzn-ErrorType (`Name:http://...`), else the body's __type (its
    "Type" is only User or Service)."""
    named = str(headers.get("x-amzn-errortype", "")).split(":", 1)[0]
    if named:
        return named
    try:
        payload = json.loads(body)
    except ValueError:
        return ""
    if not isinstance(payload, dict):
        return ""
    value = payload.get("__type") or ""
    return str(value).rsplit("#", 1)[-1]
