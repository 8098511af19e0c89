"""PreTokenGeneration: Cognito's V1_0, V2_0 and V3_0 events for the claims a token is about to
carry, and their answers applied (claims added, overridden, suppressed; groups; scopes), with
the claims Cognito never lets a function touch kept as they were (docs/triggers.md, "Tokens")."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from mamori.domain.errors import (
    InvalidLambdaResponseException,
    UnexpectedLambdaException,
    UserLambdaValidationException,
)
from mamori.domain.ids import region_of
from mamori.domain.triggers import TriggerName, redirect_error, trigger_event
from mamori.domain.userpools.app_client import AppClient
from mamori.domain.userpools.user_pool import UserPool
from mamori.protocols.oauth2.errors import InvalidRequest, OAuthError


class TokenSource(StrEnum):
    """Why tokens are being made: the event's triggerSource."""

    AUTHENTICATION = "TokenGeneration_Authentication"
    NEW_PASSWORD_CHALLENGE = "TokenGeneration_NewPasswordChallenge"
    AUTHENTICATE_DEVICE = "TokenGeneration_AuthenticateDevice"
    REFRESH_TOKENS = "TokenGeneration_RefreshTokens"
    HOSTED_AUTH = "TokenGeneration_HostedAuth"
    CLIENT_CREDENTIALS = "TokenGeneration_ClientCredentials"


class TriggerCalls(Protocol):
    """The trigger dispatcher (services/triggers/dispatcher.py) as its callers use it: the
    function a pool names for a trigger, and a call to it (None: no function)."""

    def function_for(self, pool: UserPool, name: TriggerName) -> str | None: ...
    async def invoke(
        self, pool: UserPool, name: TriggerName, event: dict[str, Any]
    ) -> dict[str, Any] | None: ...


class TriggerRunner(TriggerCalls, Protocol):
    """As token issuing uses it: also the event version a pool asks for."""

    def version_of(self, pool: UserPool, name: TriggerName) -> str: ...


# A trigger's failure as the AWS APIs name it; the token endpoint answers access_denied, a
# redirect to the app's callback Cognito's observed invalid_request (`redirect_refusal`).
TRIGGER_FAILURES = (
    UserLambdaValidationException,
    InvalidLambdaResponseException,
    UnexpectedLambdaException,
)


def redirect_refusal(exc: Exception) -> OAuthError:
    """What the app's callback hears when a trigger failed in a hosted or federated sign-in:
    error=invalid_request with the trigger's message, and a space after it, as Cognito's
    redirects carry it (domain/triggers.py `redirect_error`)."""
    _, description = redirect_error(exc)
    return InvalidRequest(description)


# Cognito: claims no answer may add, override or suppress, in either token; an answer naming
# one is not an error, the claim just stays as Cognito made it.
PROTECTED = frozenset(
    {
        "acr",
        "amr",
        "at_hash",
        "aud",
        "auth_time",
        "azp",
        "client_id",
        "cognito:username",
        "event_id",
        "exp",
        "iat",
        "identities",
        "iss",
        "jti",
        "nbf",
        "nonce",
        "origin_jti",
        "scope",
        "sub",
        "token_use",
        "username",
        "version",
        "device_key",
    }
)
# Groups and roles change through groupOverrideDetails only.
GROUP_CLAIMS = ("cognito:groups", "cognito:roles", "cognito:preferred_role")
_EVENT_VERSION = {"V1_0": "1", "V2_0": "2", "V3_0": "3"}
_JSON_VALUES = (str, int, float, bool, list, dict)


@dataclass(frozen=True)
class TokenDraft:
    """What a token is about to carry, as the trigger sees and changes it."""

    id_claims: dict[str, Any] | None  # None: no ID token (client_credentials)
    access_claims: dict[str, Any]
    user_attributes: Mapping[str, str]
    username: str | None
    groups: Sequence[str]
    roles: Sequence[str]
    preferred_role: str | None
    scopes: Sequence[str]


def _answer_part(owner: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = owner.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidLambdaResponseException(f"Invalid lambda response: {key} must be an object")
    return value


def _strings(owner: Mapping[str, Any], key: str) -> list[str] | None:
    value = owner.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidLambdaResponseException(
            f"Invalid lambda response: {key} must be a list of strings"
        )
    return value


def _apply_claims(claims: dict[str, Any], details: Mapping[str, Any]) -> None:
    added = _answer_part(details, "claimsToAddOrOverride")
    suppressed = _strings(details, "claimsToSuppress") or []
    for name, value in added.items():
        if name in PROTECTED or name.startswith("cognito:"):
            continue
        if not isinstance(value, _JSON_VALUES):
            raise InvalidLambdaResponseException(
                f"Invalid lambda response: claim {name} has no usable value"
            )
        claims[name] = value
    for name in suppressed:
        # Suppression wins over an override of the same claim in the same answer.
        if name not in PROTECTED and not name.startswith("cognito:"):
            claims.pop(name, None)


def _apply_groups(draft: TokenDraft, details: Mapping[str, Any]) -> None:
    override = _answer_part(details, "groupOverrideDetails")
    if not override:
        return
    groups = _strings(override, "groupsToOverride")
    roles = _strings(override, "iamRolesToOverride")
    preferred = override.get("preferredRole")
    if preferred is not None and not isinstance(preferred, str):
        raise InvalidLambdaResponseException("Invalid lambda response: preferredRole")
    targets = [draft.access_claims] + ([draft.id_claims] if draft.id_claims is not None else [])
    for claims in targets:
        if groups is not None:
            _set_or_drop(claims, "cognito:groups", groups)
        if roles is not None and claims is draft.id_claims:
            _set_or_drop(claims, "cognito:roles", roles)
        if preferred is not None and claims is draft.id_claims:
            _set_or_drop(claims, "cognito:preferred_role", preferred)


def _set_or_drop(claims: dict[str, Any], name: str, value: Any) -> None:
    if value:
        claims[name] = value
    else:
        claims.pop(name, None)


def _apply_scopes(draft: TokenDraft, details: Mapping[str, Any]) -> None:
    added = _strings(details, "scopesToAdd") or []
    suppressed = set(_strings(details, "scopesToSuppress") or [])
    if not added and not suppressed:
        return
    scopes = list(dict.fromkeys([*str(draft.access_claims.get("scope", "")).split(), *added]))
    kept = [s for s in scopes if s and s not in suppressed]
    if kept:
        draft.access_claims["scope"] = " ".join(kept)
    else:
        draft.access_claims.pop("scope", None)


class TokenTriggers:
    """Runs the pool's PreTokenGeneration function, if it has one, over a draft."""

    def __init__(self, triggers: TriggerRunner) -> None:
        self._triggers = triggers

    async def customize(
        self,
        pool: UserPool,
        client: AppClient,
        source: TokenSource,
        draft: TokenDraft,
        client_metadata: Mapping[str, str] | None = None,
    ) -> None:
        """Changes `draft`'s claims in place as the function's answer says. The function's
        errors propagate (UserLambdaValidationException, ...): no token may be issued then."""
        name = TriggerName.PRE_TOKEN_GENERATION
        if self._triggers.function_for(pool, name) is None:
            return
        version = self._triggers.version_of(pool, name)
        if source is TokenSource.CLIENT_CREDENTIALS and version != "V3_0":
            return  # Cognito: machine tokens are customised by V3_0 events only
        v1 = version not in ("V2_0", "V3_0")
        request: dict[str, Any] = {
            "userAttributes": dict(draft.user_attributes),
            "groupConfiguration": {
                "groupsToOverride": list(draft.groups),
                "iamRolesToOverride": list(draft.roles),
                "preferredRole": draft.preferred_role,
            },
        }
        if not v1:
            request["scopes"] = list(draft.scopes)
        if client_metadata:
            request["clientMetadata"] = dict(client_metadata)
        key = "claimsOverrideDetails" if v1 else "claimsAndScopeOverrideDetails"
        event = trigger_event(
            name,
            source.value,
            pool.id,
            region_of(pool.id),
            draft.username,
            client.id,
            request,
            {key: None},
            _EVENT_VERSION.get(version, "1"),
        )
        answered = await self._triggers.invoke(pool, name, event)
        if answered is None:
            return
        response = answered.get("response")
        if not isinstance(response, dict):
            raise InvalidLambdaResponseException()
        details = _answer_part(response, key)
        if v1:
            if draft.id_claims is not None:
                _apply_claims(draft.id_claims, details)
            _apply_groups(draft, details)
            return
        if draft.id_claims is not None:
            _apply_claims(draft.id_claims, _answer_part(details, "idTokenGeneration"))
        access = _answer_part(details, "accessTokenGeneration")
        _apply_claims(draft.access_claims, access)
        _apply_scopes(draft, access)
        _apply_groups(draft, details)
