"""Starlette / FastAPI glue: `BearerAuth`, a dependency (FastAPI `Depends`) or plain callable
returning the verified claims, and `BearerAuthMiddleware`, an ASGI middleware that refuses
requests without a good bearer token and leaves the claims in `request.state.claims`.
Refusals follow RFC 6750: 401 with `WWW-Authenticate: Bearer error="invalid_token"`, 403
`insufficient_scope`. Needs starlette (FastAPI brings it); `mamori.verify` alone does not."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from mamori.verify.errors import TokenError
from mamori.verify.verifier import Verifier, as_names


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header (RFC 6750 section 2.1)."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token


def challenge(error: TokenError | None, scopes: Sequence[str] = ()) -> str:
    """The WWW-Authenticate value for a refusal; None: no token was sent (RFC 6750 section 3)."""
    if error is None:
        return "Bearer"
    value = f'Bearer error="{error.error}"'
    if error.status_code == 403 and scopes:
        value += f', scope="{" ".join(scopes)}"'
    return value


class BearerAuth:
    """`Depends(BearerAuth(verifier, scopes=["orders/read"]))` in FastAPI, or
    `await BearerAuth(...)(request)` in Starlette: the verified claims, or HTTPException 401 /
    403 with the RFC 6750 challenge."""

    def __init__(
        self, verifier: Verifier, *, scopes: Sequence[str] = (), groups: Sequence[str] = ()
    ) -> None:
        self.verifier = verifier
        self.scopes = as_names(scopes)
        self.groups = as_names(groups)

    async def __call__(self, request: Request) -> dict[str, Any]:
        token = bearer_token(request.headers.get("authorization"))
        if token is None:
            raise HTTPException(401, "a bearer token is required", {"WWW-Authenticate": "Bearer"})
        try:
            return await self.verifier.averify(token, scopes=self.scopes, groups=self.groups)
        except TokenError as exc:
            raise HTTPException(
                exc.status_code, str(exc), {"WWW-Authenticate": challenge(exc, self.scopes)}
            ) from exc


class BearerAuthMiddleware:
    """Refuses every HTTP request (and WebSocket handshake) whose bearer token fails the
    verifier, scopes or groups, except paths in `exempt` (exact matches: health checks);
    the claims go to `request.state.claims` (scope["state"]["claims"])."""

    def __init__(
        self,
        app: ASGIApp,
        verifier: Verifier,
        *,
        scopes: Sequence[str] = (),
        groups: Sequence[str] = (),
        exempt: Sequence[str] = (),
    ) -> None:
        self.app = app
        self.verifier = verifier
        self.scopes = as_names(scopes)
        self.groups = as_names(groups)
        self.exempt = frozenset(exempt)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or scope.get("path") in self.exempt:
            await self.app(scope, receive, send)
            return
        authorization = None
        for name, value in scope.get("headers", ()):
            if name == b"authorization":
                authorization = value.decode("latin-1")
                break
        token = bearer_token(authorization)
        error: TokenError | None = None
        if token is not None:
            try:
                claims = await self.verifier.averify(token, scopes=self.scopes, groups=self.groups)
            except TokenError as exc:
                error = exc
            else:
                scope.setdefault("state", {})["claims"] = claims
                await self.app(scope, receive, send)
                return
        await self._refuse(scope, send, error)

    async def _refuse(self, scope: Scope, send: Send, error: TokenError | None) -> None:
        if scope["type"] == "websocket":
            # Before the handshake is accepted, closing answers it with a 403.
            await send({"type": "websocket.close", "code": 1008})
            return
        status = 401 if error is None else error.status_code
        body = json.dumps(
            {
                "error": "invalid_request" if error is None else error.error,
                "error_description": "a bearer token is required" if error is None else str(error),
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"www-authenticate", challenge(error, self.scopes).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
