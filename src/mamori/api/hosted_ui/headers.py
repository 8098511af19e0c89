"""The security headers every hosted page carries: a strict Content-Security-Policy, no
framing, no referrer, no caching, no sniffing."""

from __future__ import annotations

from collections.abc import Iterable

from starlette.responses import Response


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
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "no-referrer"
    # Pages hold CSRF tokens, sealed sign-in Sessions and users' details: never cached.
    headers["Cache-Control"] = "no-store"
    headers["Pragma"] = "no-cache"
    headers["X-Content-Type-Options"] = "nosniff"
    return response
