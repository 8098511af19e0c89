"""RFC 6749 section 2.3.1: the client's credentials at the token and revocation endpoints, from
HTTP Basic (client_secret_basic) or the form body (client_secret_post), or a public client's
client_id alone."""

from __future__ import annotations

import base64
import binascii
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field

from mamori.protocols.oauth2.errors import InvalidClient, InvalidRequest


@dataclass(frozen=True)
class ClientCredentials:
    client_id: str
    secret: str | None = field(default=None, repr=False)
    basic: bool = False  # sent with HTTP Basic: a failure answers 401 with WWW-Authenticate


def _basic(header: str) -> tuple[str, str]:
    _, _, value = header.strip().partition(" ")
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidClient("Malformed HTTP Basic credentials.") from exc
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        raise InvalidClient("Malformed HTTP Basic credentials.")
    # Section 2.3.1: both are form-urlencoded before they are joined.
    return urllib.parse.unquote_plus(client_id), urllib.parse.unquote_plus(secret)


def is_basic(authorization: str | None) -> bool:
    """Whether the client tried HTTP Basic (then a failure answers 401, section 5.2)."""
    scheme = (authorization or "").split(None, 1)[:1]
    return bool(scheme) and scheme[0].lower() == "basic"


def client_credentials(authorization: str | None, form: Mapping[str, str]) -> ClientCredentials:
    """Who the client says it is. Basic and client_secret in the body together are refused
    (section 2.3: one method per request); a client_id in the body must name the Basic one."""
    body_id = form.get("client_id") or None
    body_secret = form.get("client_secret")
    if authorization is not None and is_basic(authorization):
        if body_secret is not None:
            raise InvalidRequest("Use one client authentication method, not two.")
        client_id, secret = _basic(authorization)
        if not client_id:
            raise InvalidClient("Malformed HTTP Basic credentials.")
        if body_id is not None and body_id != client_id:
            raise InvalidRequest("client_id does not match the HTTP Basic credentials.")
        return ClientCredentials(client_id, secret, basic=True)
    if body_id is None:
        raise InvalidRequest("client_id is required.")
    return ClientCredentials(body_id, body_secret or None)
