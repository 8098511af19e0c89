"""The hosted-login session cookie (services/oauth/login_sessions.py holds what it stands for):
HttpOnly, SameSite=Lax (sent on the top-level redirect back to /oauth2/authorize, never on
another site's subrequests), Secure on https, scoped to the domain's path."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from mamori.api.oauth2.context import DomainContext

COOKIE_NAME = "mamori_session"


def is_https(ctx: DomainContext) -> bool:
    return ctx.base_url.startswith("https://")


def set_session_cookie(
    response: Response, ctx: DomainContext, value: str, secure: bool, max_age: int | None = None
) -> None:
    """`max_age` None: a browser-session cookie (the server ends the session at its expiry
    either way)."""
    response.set_cookie(
        COOKIE_NAME,
        value,
        max_age=max_age,
        path=ctx.cookie_path,
        secure=secure,
        httponly=True,
        samesite="lax",
    )


def read_session_cookie(request: Request) -> str | None:
    return request.cookies.get(COOKIE_NAME) or None


def clear_session_cookie(response: Response, ctx: DomainContext) -> None:
    response.delete_cookie(
        COOKIE_NAME,
        path=ctx.cookie_path,
        secure=is_https(ctx),
        httponly=True,
        samesite="lax",
    )
