"""mamori.verify: check mamori's (and Amazon Cognito's) tokens in a backend, offline, against
the issuer's JWKS. Imports nothing else from mamori, so it installs without the server
(distribution `mamori-verify`). Framework glue lives in submodules imported on demand:
`mamori.verify.starlette`, `.flask`, `.lambda_authorizer`, `.alb`."""

from mamori.verify.errors import (
    BadSignature,
    Expired,
    KeysUnavailable,
    Malformed,
    MissingGroup,
    MissingScope,
    NotYetValid,
    TokenError,
    WrongAudience,
    WrongIssuer,
    WrongTokenUse,
)
from mamori.verify.verifier import TokenUse, Verifier, as_names, cognito_issuer, require

__all__ = [
    "BadSignature",
    "Expired",
    "KeysUnavailable",
    "Malformed",
    "MissingGroup",
    "MissingScope",
    "NotYetValid",
    "TokenError",
    "TokenUse",
    "Verifier",
    "WrongAudience",
    "WrongIssuer",
    "WrongTokenUse",
    "as_names",
    "cognito_issuer",
    "require",
]
