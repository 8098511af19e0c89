"""GetCredentialsForIdentity (the enhanced flow): choose the role, sign an OpenID token for the
identity, and trade it at STS (AssumeRoleWithWebIdentity) for temporary credentials."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from mamori.domain.errors import (
    ExternalServiceException,
    InvalidIdentityPoolConfigurationException,
    NotAuthorizedException,
    ServiceError,
    TooManyRequestsException,
)
from mamori.domain.identity_pool import Identity
from mamori.domain.role_mapping import choose_role
from mamori.ports import SecurityTokenService, StsError, TemporaryCredentials
from mamori.services.identities import IdentityService, token_inputs
from mamori.services.identity_pools import IdentityPoolService
from mamori.services.identity_tokens import IdentityTokenService

log = logging.getLogger("mamori.credentials")

# Cognito: the session name STS records for identity-pool credentials.
SESSION_NAME = "CognitoIdentityCredentials"
_ROLE_PROBLEMS = frozenset(
    {
        "AccessDenied",
        "MalformedPolicyDocument",
        "PackedPolicyTooLarge",
        "ValidationError",
        "InvalidParameterValue",
        "NoSuchEntity",
        "RegionDisabledException",
    }
)
_UNTRUSTED_ISSUER = frozenset({"InvalidIdentityToken", "IDPRejectedClaim"})


def sts_failure(exc: StsError, role_arn: str, issuer: str) -> ServiceError:
    """STS's refusal, as the Cognito error a client can act on, with STS's reason kept."""
    detail = f"STS {exc.code or 'unreachable'}: {exc.message}"
    if exc.code in _ROLE_PROBLEMS:
        return InvalidIdentityPoolConfigurationException(
            "Invalid identity pool configuration. Check assigned IAM roles for this pool. "
            f"({detail}; role {role_arn})"
        )
    if exc.code in _UNTRUSTED_ISSUER:
        return InvalidIdentityPoolConfigurationException(
            f"STS does not accept tokens of this server's identity issuer {issuer}: register "
            "it as an OpenID Connect provider and let the role trust it. "
            f"({detail}; role {role_arn})"
        )
    if exc.code == "ExpiredTokenException":
        return NotAuthorizedException(f"Token expired before STS accepted it ({detail}).")
    if exc.code in {"Throttling", "ThrottlingException", "RequestLimitExceeded"}:
        return TooManyRequestsException(f"STS throttled the request ({detail}).")
    return ExternalServiceException(f"The security token service failed ({detail}).")


class CredentialsService:
    def __init__(
        self,
        identities: IdentityService,
        tokens: IdentityTokenService,
        sts: SecurityTokenService,
        duration_seconds: int,
    ) -> None:
        self._identities = identities
        self._tokens = tokens
        self._sts = sts
        self._duration = duration_seconds

    async def get_credentials_for_identity(
        self, identity_id: str, logins: Mapping[str, str], custom_role_arn: str | None
    ) -> tuple[Identity, TemporaryCredentials]:
        auth = await self._identities.authenticate(identity_id, logins)
        deciding = auth.deciding
        role = choose_role(
            auth.pool,
            deciding.ref if deciding else None,
            deciding.claims if deciding else {},
            custom_role_arn,
        )
        inputs = token_inputs(auth)
        token = await self._tokens.sign(auth.identity, inputs.amr, inputs.tags)
        try:
            credentials = await self._sts.assume_role_with_web_identity(
                role, SESSION_NAME, token, self._duration
            )
        except StsError as exc:
            log.warning("AssumeRoleWithWebIdentity for %s failed: %s", role, exc)
            raise sts_failure(exc, role, self._tokens.issuer) from exc
        return auth.identity, credentials


@dataclass(frozen=True)
class IdentityServices:
    """What the cognito-identity API and the identity issuer's endpoints use."""

    pools: IdentityPoolService
    identities: IdentityService
    credentials: CredentialsService
    tokens: IdentityTokenService
