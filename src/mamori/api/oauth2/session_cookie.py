"""The hosted-login session cookie (services/oauth/login_sessions.py holds what it stands for):
HttpOnly, SameSite=Lax (sent on the top-level redirect back to /oauth2/authorize, never on
another site's subrequests), Secure on https, scoped to the domain's path."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from mamori.api.oauth2.context import DomainContext

COOKIE_NAME = "mamori_session"
# The browser a federated sign-in started in (services/federation/states.py binds the
# provider's state to it): a random value, kept as long as a state lives.
FEDERATION_COOKIE = "mamori_federation"
_MAX_FEDERATION_COOKIE = 128


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


def set_federation_cookie(response: Response, ctx: DomainContext, value: str, max_age: int) -> None:
    # SameSite=Lax: the provider's redirect back is a top-level GET, which carries it.
    response.set_cookie(
        FEDERATION_COOKIE,
        value,
        max_age=max_age,
        path=ctx.cookie_path,
        secure=is_https(ctx),
        httponly=True,
        samesite="lax",
    )


def read_federation_cookie(request: Request) -> str | None:
    value = request.cookies.get(FEDERATION_COOKIE)
    return value if value and len(value) <= _MAX_FEDERATION_COOKIE else None
