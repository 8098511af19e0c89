"""The error page: an OAuth error shown to the user when there is nowhere safe to redirect it
(no client, or a redirect_uri that is not one of the client's CallbackURLs)."""

from __future__ import annotations

import html

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from mamori.api.hosted_ui.headers import secure
from mamori.protocols.oauth2.errors import OAuthError


def error_page(request: Request, error: OAuthError, status: int = 400) -> Response:
    """An HTML page naming the error (`error` and its description), with the hosted pages'
    headers. Never a redirect: the caller uses this exactly when a redirect could be open."""
    code = html.escape(error.error)
    description = html.escape(error.description or "")
    body = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Error: {code}</title></head><body><main>"
        f'<h1>An error was encountered with the requested page.</h1><p role="alert">'
        f'<span id="error-code">{code}</span>'
        + (f': <span id="error-description">{description}</span>' if description else "")
        + "</p></main></body></html>\n"
    )
    return secure(HTMLResponse(body, status_code=status))
