"""The ASGI application: routes, request ids, one log line per request, CORS."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
import urllib.parse
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import mamori.api.aws.cognito_identity.register  # (registers the handlers)
import mamori.api.aws.cognito_idp.register  # noqa: F401  (registers the handlers)
from mamori.api.aws.dispatch import Dispatcher
from mamori.api.forward_auth import ForwardAuthRoute
from mamori.api.health import health
from mamori.api.hosts import HostAllowList
from mamori.api.identity_issuer import identity_jwks, identity_openid_configuration
from mamori.api.oauth2.routing import DomainRouting, domain_app
from mamori.api.outbox import outbox_route
from mamori.api.proxies import ForwardedClient, TrustedProxies
from mamori.api.takeover_feedback import takeover_feedback
from mamori.api.wellknown import jwks, openid_configuration
from mamori.config import Settings
from mamori.services.security.takeover_notices import LINK_PATH
from mamori.services.tokens.keys import MasterKeyMismatch
from mamori.wiring import Runtime

log = logging.getLogger("mamori.request")

# Amplify and the AWS JS SDK send these from browsers; all trigger a CORS preflight.
CORS_HEADERS = [
    "content-type",
    "x-amz-target",
    "x-amz-user-agent",
    "cache-control",
    "authorization",
    "x-amz-date",
    "x-amz-security-token",
    "amz-sdk-invocation-id",
    "amz-sdk-request",
    "x-amz-content-sha256",
]


class RequestLog:
    """Assigns the request id and writes one structured line per request (never a body)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = str(uuid.uuid4())
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                if not any(k.lower() == b"x-amzn-requestid" for k, _ in headers):
                    headers.append((b"x-amzn-RequestId", request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            state = scope.get("state", {})
            client = scope.get("client")
            log.info(
                json.dumps(
                    {
                        "request_id": request_id,
                        "method": scope.get("method"),
                        "path": scope.get("path"),
                        "operation": state.get("operation"),
                        "status": status,
                        "error": state.get("error"),
                        "ms": round((time.perf_counter() - started) * 1000, 2),
                        "client": client[0] if client else None,
                    }
                )
            )


def _cors(settings: Settings) -> list[Middleware]:
    """Browsers (Amplify, the AWS JS SDK) call from other origins; none allowed when empty.

    Never "*" in emulator mode: admin operations and /admin/outbox answer without credentials
    there, so any web page the developer visits could call them."""
    origins = settings.effective_cors_origins
    if not origins:
        return []
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=[o.rstrip("/") for o in origins],
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=CORS_HEADERS,
            expose_headers=["x-amzn-RequestId", "x-amzn-ErrorType", "x-amzn-ErrorMessage", "Date"],
            max_age=3600,
        )
    ]


def create_app(runtime: Runtime, settings: Settings) -> Starlette:
    services = runtime.services
    creds = runtime.credentials

    def secret_for(access_key_id: str) -> str | None:
        if hmac.compare_digest(access_key_id.encode(), creds.access_key_id.encode()):
            return creds.secret_access_key
        return None

    def client_ip(request: Request) -> str:
        return request.client.host if request.client else "unknown"

    dispatcher = Dispatcher(
        services,
        secret_for,
        settings.accept_any_credentials,
        settings.max_body_bytes,
        client_ip,
        body_timeout=settings.body_timeout_seconds,
    )

    async def health_route(_: Request) -> Response:
        return await health(services.health)

    outbox = outbox_route(services.outbox, secret_for, settings.accept_any_credentials)

    async def takeover_feedback_route(request: Request) -> Response:
        return await takeover_feedback(request, services.takeover_notices)

    async def identity_jwks_route(_: Request) -> Response:
        return await identity_jwks(services)

    async def identity_discovery_route(_: Request) -> Response:
        return await identity_openid_configuration(services)

    async def jwks_route(request: Request) -> Response:
        return await jwks(services, request.path_params["pool_id"])

    async def discovery_route(request: Request) -> Response:
        return await openid_configuration(services, request.path_params["pool_id"])

    # A pool domain's requests (by Host or /<poolId>/ prefix) go to their own routes.
    domains = services.domains
    public_host = urllib.parse.urlsplit(settings.effective_public_url).hostname or ""
    api_hosts = (*settings.effective_allowed_hosts, public_host)
    domain = domain_app(services)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        try:
            await services.keys.check_master_key()
        except MasterKeyMismatch as exc:
            log.critical("mamori cannot start: %s", exc)
            await runtime.aclose()
            raise
        purge = None
        if settings.purge_interval_seconds:
            # Every server process runs its own: the deletes are idempotent (each row goes once,
            # whoever deletes it), so several processes purging at once is harmless.
            purge = asyncio.create_task(
                services.purger.run_periodically(settings.purge_interval_seconds),
                name="mamori-purge",
            )
        yield
        if purge is not None:
            purge.cancel()  # a batch in flight rolls back; its rows go next time
            await asyncio.gather(purge, return_exceptions=True)
        await services.guard.aclose()
        await runtime.aclose()

    return Starlette(
        routes=[
            Route("/", dispatcher.handle, methods=["POST"]),
            Route("/health", health_route, methods=["GET"]),
            Route("/admin/outbox", outbox, methods=["GET"]),
            # The one-click links of account-takeover notifications (public: the link is the key).
            Route(LINK_PATH, takeover_feedback_route, methods=["GET"]),
            # Before the per-pool routes, which would take "identity" for a pool id.
            Route("/identity/.well-known/jwks.json", identity_jwks_route, methods=["GET"]),
            Route(
                "/identity/.well-known/openid-configuration",
                identity_discovery_route,
                methods=["GET"],
            ),
            Route("/{pool_id}/.well-known/jwks.json", jwks_route, methods=["GET"]),
            Route("/{pool_id}/.well-known/openid-configuration", discovery_route, methods=["GET"]),
        ],
        middleware=[
            # The client's address first, so the log line and the rate limits both see it.
            Middleware(ForwardedClient, trusted=TrustedProxies(settings.trusted_proxies)),
            Middleware(RequestLog),
            Middleware(
                HostAllowList,
                allowed=settings.effective_allowed_hosts,
                auth_domain=settings.effective_auth_domain,
                lookup=domains.pool_for_host,
            ),
            # /{UserPoolId}/forward-auth: before CORS (a proxied preflight is checked, not
            # answered) and the domain routing (any pool, with or without a domain).
            Middleware(ForwardAuthRoute, checks=services.forward_auth),
            *_cors(settings),
            Middleware(DomainRouting, domain_app=domain, domains=domains, api_hosts=api_hosts),
        ],
        lifespan=lifespan,
    )
