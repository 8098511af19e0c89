"""An authorization request once checked against its client, and what a sign-in grants it.

`/oauth2/authorize` checks the request (services/oauth/authorize.py) into an
`AuthorizationRequest`; the hosted pages carry it from page to page as query parameters
(`to_query`, read back and checked again on every page) and, once the user is signed in,
hand it with the user to `AuthorizeService.complete`, which redirects with a code or tokens.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ResponseType(StrEnum):
    CODE = "code"
    TOKEN = "token"  # the implicit grant


class Prompt(StrEnum):
    LOGIN = "login"
    NONE = "none"


@dataclass(frozen=True)
class AuthorizationRequest:
    """A checked /oauth2/authorize request: the client exists in the pool and may use the
    response type, redirect_uri is one of its CallbackURLs, the scopes are allowed, PKCE is
    well formed. `scopes` keep the order the client asked them in."""

    pool_id: str
    client_id: str
    redirect_uri: str
    response_type: ResponseType
    scopes: tuple[str, ...]
    state: str | None = None
    nonce: str | None = None
    code_challenge: str | None = None  # S256 only
    identity_provider: str | None = None
    idp_identifier: str | None = None
    lang: str | None = None
    login_hint: str | None = None
    prompt: Prompt | None = None

    def to_query(self) -> dict[str, str]:
        """The request as /oauth2/authorize's (and the hosted pages') query parameters."""
        out = {
            "client_id": self.client_id,
            "response_type": self.response_type.value,
            "redirect_uri": self.redirect_uri,
            "scope": " ".join(self.scopes),
        }
        optional = {
            "state": self.state,
            "nonce": self.nonce,
            "code_challenge": self.code_challenge,
            "code_challenge_method": "S256" if self.code_challenge else None,
            "identity_provider": self.identity_provider,
            "idp_identifier": self.idp_identifier,
            "lang": self.lang,
            "login_hint": self.login_hint,
        }
        out.update({k: v for k, v in optional.items() if v is not None})
        # prompt is not carried on: the form it asked for is the one being shown.
        return out


@dataclass(frozen=True)
class SignedIn:
    """A user signed in on the hosted pages (or by a federated provider): who and when."""

    sub: str
    auth_time: int  # seconds since the epoch


@dataclass(frozen=True)
class AuthorizationGrant:
    """What an authorization code stands for, bound to everything the token request must
    match (RFC 6749 section 4.1.3, RFC 7636 section 4.6)."""

    pool_id: str
    client_id: str
    sub: str
    redirect_uri: str
    scopes: tuple[str, ...]
    auth_time: int
    nonce: str | None = None
    code_challenge: str | None = None
