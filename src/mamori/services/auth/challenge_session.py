"""The `Session` string of a sign-in challenge: sealed, bound to its sign-in, expiring."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from mamori.crypto.aead import Keyring, SealError
from mamori.domain.auth.auth_flow import Challenge
from mamori.domain.errors import InvalidParameterException, NotAuthorizedException
from mamori.domain.userpools.app_client import AppClient
from mamori.services.ports import Clock

INVALID_SESSION = "Invalid session for the user."


class ChallengeSessionSeal:
    """The `Session` of a challenge: an AEAD-sealed, expiring reference to one sign-in.

    Bound to the pool, client, user and challenge it was issued for, so it can't be replayed
    elsewhere; nothing is kept in memory, so any server process sharing the master key opens it.
    """

    PURPOSE = "auth-session"

    def __init__(self, keyring: Keyring, clock: Clock) -> None:
        self._keyring = keyring
        self._clock = clock

    def seal(
        self,
        pool_id: str,
        client: AppClient,
        sub: str,
        challenge: Challenge,
        state: Mapping[str, Any] | None = None,
    ) -> str:
        """`state`: what the sign-in carries to its next step (services/auth/sign_in_state.py)."""
        expires = self._clock.now() + timedelta(minutes=client.auth_session_validity_minutes)
        payload = {
            "p": pool_id,
            "c": client.id,
            "u": sub,
            "ch": challenge.value,
            "x": expires.timestamp(),
            "s": dict(state or {}),
        }
        return self._keyring.seal(json.dumps(payload, separators=(",", ":")).encode(), self.PURPOSE)

    def open(self, session: str | None, pool_id: str, client_id: str, challenge: Challenge) -> str:
        """The user sub the session speaks for; NotAuthorized when anything is off."""
        return self.open_state(session, pool_id, client_id, challenge)[0]

    def open_state(
        self, session: str | None, pool_id: str, client_id: str, challenge: Challenge
    ) -> tuple[str, dict[str, Any]]:
        """The user sub the session speaks for and the state sealed with it."""
        payload = self._payload(session)
        if (payload.get("p"), payload.get("c"), payload.get("ch")) != (
            pool_id,
            client_id,
            challenge.value,
        ):
            raise NotAuthorizedException(INVALID_SESSION)
        state = payload.get("s")
        return str(payload["u"]), dict(state) if isinstance(state, dict) else {}

    def peek(self, session: str | None) -> tuple[str, str, str]:
        """(pool id, client id, challenge) of a valid, unexpired session: for the operations
        that get a Session without a ClientId (AssociateSoftwareToken, VerifySoftwareToken)."""
        payload = self._payload(session)
        pool_id, client_id, challenge = payload.get("p"), payload.get("c"), payload.get("ch")
        if not (isinstance(pool_id, str) and isinstance(client_id, str)):
            raise NotAuthorizedException(INVALID_SESSION)
        return pool_id, client_id, str(challenge)

    def _payload(self, session: str | None) -> dict[str, Any]:
        if not session:
            raise InvalidParameterException("Missing required parameter Session")
        try:
            payload: Any = json.loads(self._keyring.open(session, self.PURPOSE))
        except (SealError, ValueError) as exc:
            raise NotAuthorizedException(INVALID_SESSION) from exc
        if not isinstance(payload, dict):
            raise NotAuthorizedException(INVALID_SESSION)
        expires = payload.get("x")
        if not isinstance(expires, int | float) or expires <= self._clock.now().timestamp():
            # Cognito: this exact wording for a session past AuthSessionValidity.
            raise NotAuthorizedException("Invalid session for the user, session is expired.")
        if not isinstance(payload.get("u"), str):
            raise NotAuthorizedException(INVALID_SESSION)
        return payload
