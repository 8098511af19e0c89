"""Why a token was refused: one class per check, each with the HTTP status and the RFC 6750
error code a resource server answers with."""

from __future__ import annotations


class TokenError(Exception):
    """A token failed a check. `status_code` and `error` say how to answer (RFC 6750
    section 3.1): 401 invalid_token unless a subclass says otherwise."""

    status_code = 401
    error = "invalid_token"


class Malformed(TokenError):
    """Not a compact JWS with JSON header and claims, or a header this verifier refuses
    (any algorithm but RS256, `crit`, no `kid`)."""


class BadSignature(TokenError):
    """The signature does not verify, or no key of the issuer has the token's `kid`."""


class KeysUnavailable(BadSignature):
    """The issuer's JWKS could not be fetched or read: nothing could be verified."""


class Expired(TokenError):
    """`exp` is past (beyond the leeway)."""


class NotYetValid(TokenError):
    """`nbf` or `iat` is in the future (beyond the leeway)."""


class WrongIssuer(TokenError):
    """`iss` is not the configured issuer."""


class WrongAudience(TokenError):
    """`client_id` (access token) or `aud` (ID token) is not one of the configured clients."""


class WrongTokenUse(TokenError):
    """`token_use` is not the expected one ("access" or "id")."""


class MissingScope(TokenError):
    """The access token's `scope` has none of the required scopes."""

    status_code = 403
    error = "insufficient_scope"


class MissingGroup(TokenError):
    """`cognito:groups` has none of the required groups."""

    status_code = 403
    error = "insufficient_scope"
