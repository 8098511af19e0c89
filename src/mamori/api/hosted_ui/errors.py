"""The error page: an OAuth error shown to the user when there is nowhere safe to redirect it
(no client, or a redirect_uri that is not one of the client's CallbackURLs)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from mamori.api.hosted_ui import languages
from mamori.api.hosted_ui.rendering import render_template, static_url
from mamori.api.oauth2.context import domain_of
from mamori.protocols.oauth2.errors import OAuthError


def error_page(request: Request, error: OAuthError, status: int = 400) -> Response:
    """An HTML page naming the error (`error`, and its description for the developer), in the
    language the request asks for (`lang`, Accept-Language), with the hosted pages' headers.
    Never a redirect: the caller uses this exactly when a redirect could be an open one."""
    lang = languages.choose(
        request.query_params.get("lang"), request.headers.get("accept-language")
    )
    try:
        stylesheet: str | None = static_url(domain_of(request), "mamori.css")
    except LookupError:
        stylesheet = None
    values = {
        "code": error.error,
        "description": error.description,
        "stylesheet": stylesheet,
        "error": None,
        "notice": None,
    }
    return render_template("error.html", lang, values, status)
