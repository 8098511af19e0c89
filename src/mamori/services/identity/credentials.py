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
from mamori.domain.identity.identity_pool import Identity
from mamori.domain.identity.role_mapping import choose_role
from mamori.services.identity.identities import IdentityService, token_inputs
from mamori.services.identity.identity_pools import IdentityPoolService
from mamori.services.identity.ports import SecurityTokenService, StsError, TemporaryCredentials
from mamori.services.tokens.identity_tokens import IdentityTokenService

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


def sts_failure(exc: StsError) -> ServiceError:
    """STS's refusal as the Cognito error a client can act on, in Cognito's words.

    The caller may be anyone (GetCredentialsForIdentity is public): role ARNs, the account id,
    the issuer and STS's own text stay in the log, never in the answer.
    """
    if exc.code in _ROLE_PROBLEMS or exc.code in _UNTRUSTED_ISSUER:
        return InvalidIdentityPoolConfigurationException()
    if exc.code == "ExpiredTokenException":
        return NotAuthorizedException("Invalid login token. Token expired.")
    if exc.code in {"Throttling", "ThrottlingException", "RequestLimitExceeded"}:
        return TooManyRequestsException("Rate exceeded")
    return ExternalServiceException("An exception occurred in a dependent service.")


def _operator_hint(exc: StsError, issuer: str) -> str:
    if exc.code in _UNTRUSTED_ISSUER:
        return (
            f"; STS does not accept tokens of this server's identity issuer {issuer}: register "
            "it as an OpenID Connect provider and let the role trust it"
        )
    return ""


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
        self,
        identity_id: str,
        logins: Mapping[str, str],
        custom_role_arn: str | None,
        request_id: str = "",
    ) -> tuple[Identity, TemporaryCredentials]:
        """`request_id` only labels the log line of an STS failure."""
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
            log.warning(
                "request %s: AssumeRoleWithWebIdentity for role %s failed: STS %s: %s%s",
                request_id,
                role,
                exc.code or "unreachable",
                exc.message,
                _operator_hint(exc, self._tokens.issuer),
            )
            raise sts_failure(exc) from exc
        return auth.identity, credentials


@dataclass(frozen=True)
class IdentityServices:
    """What the cognito-identity API and the identity issuer's endpoints use."""

    pools: IdentityPoolService
    identities: IdentityService
    credentials: CredentialsService
    tokens: IdentityTokenService
