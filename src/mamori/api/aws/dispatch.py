"""`POST /` for AWS JSON 1.1: size limit, decoding, SigV4, model validation, dispatch, errors."""

from __future__ import annotations

import asyncio
import json
import logging
import math
import re
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

import botocore.session
from starlette.requests import Request
from starlette.responses import Response

from mamori.api.aws.operations import BODY_LIMITS, IDENTITY, IDP, REGISTRY, Call, Handler
from mamori.api.errors import AWS_JSON, error_response
from mamori.domain import errors
from mamori.protocols import shapes, sigv4
from mamori.services.container import Services

log = logging.getLogger("mamori.request")

_MODELS = {IDP: "cognito-idp", IDENTITY: "cognito-identity"}

# Signed AWS JSON calls must sign the endpoint, the operation and the body's type, so that a
# captured signature cannot be resent to another host or turned into another operation.
MUST_SIGN = ("host", "x-amz-target", "content-type")
# Proxies may add these as separate lines; they are never signed by SDKs nor routed on here.
_LIST_HEADERS = frozenset({"x-forwarded-for", "forwarded", "via"})


@cache
def service_model(prefix: str) -> Any:
    return botocore.session.get_session().get_service_model(_MODELS[prefix])


@cache
def operation_model(prefix: str, name: str) -> Any:
    model = service_model(prefix)
    if name not in model.operation_names:
        return None
    return model.operation_model(name)


# Cognito: operations authorised by something else than SigV4 although the model doesn't mark
# them `smithy.api#noAuth` (GetClientToken: the app client's secret).
PUBLIC_OPERATIONS = frozenset({"GetClientToken"})


def is_public(op_model: Any) -> bool:
    """Operations AWS serves without SigV4 are marked `smithy.api#noAuth` in the model."""
    return (
        op_model.auth_type == "none"
        or "smithy.api#noAuth" in (getattr(op_model, "auth", None) or ())
        or op_model.name in PUBLIC_OPERATIONS
    )


class Dispatcher:
    def __init__(
        self,
        services: Services,
        secret_for: Callable[[str], str | None],
        accept_any_credentials: bool,
        max_body_bytes: int,
        client_ip: Callable[[Request], str],
        body_timeout: float = 30.0,
    ) -> None:
        self._services = services
        self._body_timeout = body_timeout
        self._secret_for = secret_for
        self._accept_any = accept_any_credentials
        self._max_body = max_body_bytes
        self._client_ip = client_ip

    async def handle(self, request: Request) -> Response:
        request_id: str = request.state.request_id
        try:
            return await self._handle(request, request_id)
        except errors.ServiceError as exc:
            request.state.error = exc.code
            return error_response(exc, request_id)
        except Exception:
            # Never a stack trace on the wire: log it with the request id, answer AWS-style.
            log.exception("unhandled error in request %s", request_id)
            request.state.error = "InternalErrorException"
            return error_response(
                errors.InternalErrorException(f"Internal server error (request id {request_id})."),
                request_id,
            )

    def _body_limit(self, request: Request) -> int:
        """max_body_bytes, or more for the operations registered with a larger limit. The
        target is read here before the body; a repeated X-Amz-Target is refused right after
        (single_headers), so the limit never comes from a header routing ignores."""
        prefix, _, name = request.headers.get("x-amz-target", "").partition(".")
        return max(self._max_body, BODY_LIMITS.get((prefix, name), 0))

    async def _read_body(self, request: Request) -> bytes:
        limit = self._body_limit(request)
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise errors.RequestEntityTooLargeException(
                f"Request body of {declared} bytes exceeds the limit of {limit} bytes."
            )
        chunks: list[bytes] = []
        size = 0
        try:
            # A client that sends half a body and stalls must not hold the request forever.
            async with asyncio.timeout(self._body_timeout):
                async for chunk in request.stream():
                    size += len(chunk)
                    if size > limit:
                        raise errors.RequestEntityTooLargeException(
                            f"Request body exceeds the limit of {limit} bytes."
                        )
                    chunks.append(chunk)
        except TimeoutError:
            raise errors.RequestTimeoutException(
                f"The request body was not received within {self._body_timeout:g} seconds."
            ) from None
        return b"".join(chunks)

    def _resolve(self, target: str) -> tuple[str, str, Handler, Any]:
        prefix, _, name = target.partition(".")
        handler = REGISTRY.get((prefix, name))
        op_model = operation_model(prefix, name) if prefix in _MODELS else None
        if handler is None or op_model is None:
            shown = target if len(target) <= 200 else target[:200] + "..."  # never echo 200 KB
            raise errors.UnknownOperationException(
                f"The operation {shown or '(none)'} is not supported by this endpoint."
            )
        return prefix, name, handler, op_model

    def _authenticate(
        self, request: Request, headers: Mapping[str, str], body: bytes, prefix: str, public: bool
    ) -> str | None:
        if public:
            return None
        if self._accept_any:
            return "emulator"
        signed = sigv4.SignedRequest(
            method=request.method,
            path=request.scope.get("raw_path", b"/").decode("latin-1") or "/",
            query=request.url.query,
            headers=headers,
            body=body,
        )
        try:
            verified = sigv4.verify(
                signed,
                self._secret_for,
                self._services.clock.now(),
                sigv4.MAX_SKEW,
                service=_MODELS[prefix],
                must_sign=MUST_SIGN,
            )
        except sigv4.SignatureError as exc:
            error_class: type[errors.ServiceError] = getattr(errors, exc.code)
            raise error_class(exc.message) from exc
        return verified.access_key_id

    async def _handle(self, request: Request, request_id: str) -> Response:
        # The body is read first even when the headers are refused: a response sent before
        # the body is read closes the connection under a client that keeps it alive.
        body = await self._read_body(request)
        # One mapping serves routing and the signature check, so the operation that runs is
        # the one whose X-Amz-Target the signature covered.
        headers = single_headers(request)
        target = headers.get("x-amz-target", "")
        _prefix, name, handler, op_model = self._resolve(target)
        request.state.operation = name
        caller = self._authenticate(request, headers, body, _prefix, is_public(op_model))
        params = decode_json(body)
        try:
            shapes.validate(op_model.input_shape, params, op_model.service_model.service_name)
        except shapes.ShapeError as exc:
            error_class: type[errors.ServiceError] = getattr(errors, exc.code)
            raise error_class(exc.message) from exc
        call = Call(
            self._services, request_id, self._client_ip(request), caller, headers.get("user-agent")
        )
        if _prefix == IDP:  # the rate-limit policy: services/security/guard.py
            await self._services.guard.check_operation(
                name, call.source_ip, params.get("ClientId"), params.get("Username")
            )
        result = await handler(call, params)
        return Response(
            json.dumps(result, separators=(",", ":")),
            media_type=AWS_JSON,
            headers={"x-amzn-RequestId": request_id},
        )


def single_headers(request: Request) -> dict[str, str]:
    """The request's headers by lower-case name; a repeated header is refused.

    Starlette keeps every line of a repeated header: `headers.get` answers the first and a
    dict of `items()` the last, so a signature could cover one value while routing read
    another. Refusing repeats (except proxies' list headers) leaves one value to read.
    """
    headers: dict[str, str] = {}
    for raw_name, raw_value in request.headers.raw:
        name = raw_name.decode("latin-1").lower()
        if name in headers and name not in _LIST_HEADERS:
            message = f"Header '{name}' appears more than once; send each header once."
            if name == "x-amz-target":
                raise errors.UnknownOperationException(message)
            if any(n.lower() == b"authorization" for n, _ in request.headers.raw):
                raise errors.IncompleteSignatureException(message)
            raise errors.SerializationException(message)
        headers[name] = raw_value.decode("latin-1")
    return headers


# Longer than any integer or long in the model; a bound keeps int() parsing linear.
_MAX_INTEGER_DIGITS = 40
# Escapes that may decode to a lone surrogate or a NUL, neither of which can be stored.
_SUSPECT_ESCAPE = re.compile(r"\\u(?:[dD][89a-fA-F][0-9a-fA-F]{2}|0000)")


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > _MAX_INTEGER_DIGITS:
        raise ValueError(f"number {text[:20]}... is too large")
    return int(text)


def _parse_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"number {text[:40]} is out of range")
    return value


def _reject_constant(name: str) -> float:
    # Python's json accepts NaN and Infinity, which are not JSON (RFC 8259 section 6).
    raise ValueError(f"{name} is not a JSON value")


def _bad_string(value: object) -> tuple[str, str] | None:
    """(path, reason) of the first string holding a lone surrogate or a NUL; iterative, as
    the value may nest as deep as the JSON parser allows."""
    stack: list[tuple[str, object]] = [("", value)]
    while stack:
        path, item = stack.pop()
        texts: list[tuple[str, str]] = []
        if isinstance(item, str):
            texts.append((path, item))
        elif isinstance(item, dict):
            for key, child in item.items():
                child_path = f"{path}.{key}" if path else key
                texts.append((child_path, key))
                stack.append((child_path, child))
        elif isinstance(item, list):
            stack.extend((f"{path}[{i}]", child) for i, child in enumerate(item))
        for where, text in texts:
            if "\x00" in text:
                return where, "a NUL character"
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                return where, "an unpaired UTF-16 surrogate"
    return None


def decode_json(body: bytes) -> Mapping[str, Any]:
    if not body.strip():
        return {}
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise errors.SerializationException(
            f"Request body is not valid UTF-8 (invalid byte at position {exc.start})."
        ) from exc
    try:
        value = json.loads(
            text,
            parse_int=_parse_int,
            parse_float=_parse_float,
            parse_constant=_reject_constant,
        )
    except RecursionError as exc:
        raise errors.SerializationException("Request body is nested too deeply.") from exc
    except ValueError as exc:
        raise errors.SerializationException(f"Request body is not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise errors.SerializationException("Request body must be a JSON object.")
    if _SUSPECT_ESCAPE.search(text):
        bad = _bad_string(value)
        if bad is not None:
            raise errors.SerializationException(
                f"Unexpected value for '{bad[0] or '(key)'}': strings must not contain {bad[1]}."
            )
    return value
