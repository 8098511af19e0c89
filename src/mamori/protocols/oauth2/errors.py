"""RFC 6749's error codes (section 4.1.2.1 for the authorization endpoint, 5.2 for the token
endpoint) and OpenID Connect Core's (section 3.1.2.6), one class each.

They are a hierarchy of their own, apart from the AWS exceptions in domain/errors.py: the wire
renders them as a redirect with `error` and `error_description` once the client and its redirect
URI are known (api/oauth2/), as an error page before that, and as JSON on the token endpoint.
"""

from __future__ import annotations

from typing import ClassVar


class OAuthError(Exception):
    """`error` is the RFC's code; `description` is for a developer (error_description)."""

    error: ClassVar[str] = "server_error"
    status: ClassVar[int] = 400

    def __init__(self, description: str = "") -> None:
        super().__init__(description)
        self.description = description


class InvalidRequest(OAuthError):
    error = "invalid_request"


class InvalidClient(OAuthError):
    """RFC 6749 section 5.2: 401 (with WWW-Authenticate) when the client tried HTTP Basic."""

    error = "invalid_client"
    status = 401


class InvalidGrant(OAuthError):
    error = "invalid_grant"


class UnauthorizedClient(OAuthError):
    error = "unauthorized_client"


class UnsupportedGrantType(OAuthError):
    error = "unsupported_grant_type"


class UnsupportedResponseType(OAuthError):
    error = "unsupported_response_type"


class InvalidScope(OAuthError):
    error = "invalid_scope"


class AccessDenied(OAuthError):
    error = "access_denied"


class LoginRequired(OAuthError):
    """OpenID Connect Core 3.1.2.6: prompt=none and no signed-in session."""

    error = "login_required"


class InvalidToken(OAuthError):
    """RFC 6750 section 3.1: the bearer token on userInfo is missing, expired or revoked."""

    error = "invalid_token"
    status = 401


class UnsupportedTokenType(OAuthError):
    """RFC 7009 section 2.2.1."""

    error = "unsupported_token_type"


class ServerError(OAuthError):
    error = "server_error"
    status = 500


class InsufficientScope(OAuthError):
    """RFC 6750 section 3.1: the bearer token is valid but lacks the scope the resource needs
    (userInfo: `openid`)."""

    error = "insufficient_scope"
    status = 403
