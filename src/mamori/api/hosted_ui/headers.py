"""The security headers every hosted page carries: a strict Content-Security-Policy, no
framing, no referrer, no caching, no sniffing; and the middleware that puts them on every other
answer of a pool's domain too (the OAuth endpoints' JSON, Starlette's own answers)."""

from __future__ import annotations

from collections.abc import Iterable

from starlette.datastructures import MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Pages hold CSRF tokens, sealed sign-in Sessions and users' details: never cached.
_NO_STORE = (("Cache-Control", "no-store"), ("Pragma", "no-cache"))
_FIXED = (
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Content-Type-Options", "nosniff"),
)


def content_security_policy(form_targets: Iterable[str] = ()) -> str:
    """No script at all, styles and images only from this domain (images also as data: URLs,
    for the TOTP QR code and a pool's logo), forms posted only here (plus `form_targets`,
    origins a form may post to, normally none: every form posts to its own page)."""
    form_action = " ".join(["'self'", *sorted(set(form_targets))])
    return "; ".join(
        [
            "default-src 'none'",
            "style-src 'self'",
            "img-src 'self' data:",
            f"form-action {form_action}",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        ]
    )


def secure(response: Response, form_targets: Iterable[str] = ()) -> Response:
    """Sets the headers on `response` (replacing any already there) and returns it."""
    headers = response.headers
    headers["Content-Security-Policy"] = content_security_policy(form_targets)
    for name, value in (*_FIXED, *_NO_STORE):
        headers[name] = value
    return response


class SecurityHeaders:
    """ASGI middleware around a pool's domain app: each header `secure` sets that an answer
    lacks is added, so the JSON endpoints, redirects and the answers Starlette makes itself
    (an error page raised as 404 or 405, a 500) carry them too. A header the handler set is
    kept: a page's form-action, a stylesheet's or a JWKS's caching (no-store only when the
    answer says nothing of caching)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                caching = () if "cache-control" in headers else _NO_STORE
                defaults = (("Content-Security-Policy", content_security_policy()), *_FIXED)
                for name, value in (*defaults, *caching):
                    if name not in headers:
                        headers.append(name, value)
            await send(message)

        await self.app(scope, receive, send_secured)
