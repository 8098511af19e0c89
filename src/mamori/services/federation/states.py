"""The `state` mamori sends a provider: AEAD-sealed and expiring, carrying the original
authorization request, the provider, the nonce and the PKCE verifier, so any process holding
the master key finishes the sign-in and nothing is kept in memory or the database. It is bound
to the browser that started it: it names the digest of a random cookie only that browser has,
so a state (and the code with it) can't be finished from another browser.

A provider that answers by a cross-site POST (Sign in with Apple's form_post, a SAML IdP's
HTTP-POST binding) reaches mamori without that cookie: SameSite=Lax keeps it off cross-site
POSTs, and it stays Lax. The POST's answer is sealed here (`seal_return`, two minutes, its own
purpose) and the browser is sent on with 303 to a GET of the same endpoint, a top-level
navigation that carries the cookie, where `open_return` gives the answer back and the binding
is checked as for any provider (docs/security.md)."""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from mamori.crypto.aead import Keyring, SealError
from mamori.services.ports import Clock

PURPOSE = "federation-state"
_BINDING = "federation-binding"
# Long enough for a person at the provider's sign-in and consent pages.
LIFETIME = timedelta(minutes=15)
# A state longer than this is never one of ours: refused before it is opened.
MAX_STATE = 8192
_RETURN = "federation-return"
# A POSTed answer carried to the GET that follows it at once.
RETURN_LIFETIME = timedelta(minutes=2)


class StateError(Exception):
    """The state is missing, forged, expired, for another pool or from another browser."""


@dataclass(frozen=True)
class FederationState:
    pool_id: str
    provider: str
    request: dict[str, str]  # the authorization request as /oauth2/authorize's query
    nonce: str
    verifier: str  # PKCE code_verifier (RFC 7636)


class FederationStates:
    def __init__(self, keyring: Keyring, clock: Clock) -> None:
        self._keyring = keyring
        self._clock = clock

    def _binding(self, cookie: str) -> str:
        return self._keyring.digest(cookie, _BINDING)

    def seal(self, state: FederationState, cookie: str) -> str:
        expires = self._clock.now() + LIFETIME
        payload = {
            "p": state.pool_id,
            "i": state.provider,
            "r": state.request,
            "n": state.nonce,
            "v": state.verifier,
            "b": self._binding(cookie),
            "x": int(expires.timestamp()),
        }
        return self._keyring.seal(json.dumps(payload, separators=(",", ":")).encode(), PURPOSE)

    def open(self, sealed: str | None, pool_id: str, cookie: str | None) -> FederationState:
        if not sealed or len(sealed) > MAX_STATE:
            raise StateError("no state")
        try:
            payload: Any = json.loads(self._keyring.open(sealed, PURPOSE))
        except (SealError, ValueError) as exc:
            raise StateError("a state this server did not seal") from exc
        if not isinstance(payload, dict) or payload.get("p") != pool_id:
            raise StateError("a state for another pool")
        expires = payload.get("x")
        if not isinstance(expires, int) or expires <= self._clock.now().timestamp():
            raise StateError("an expired state")
        binding = payload.get("b")
        if (
            not cookie
            or not isinstance(binding, str)
            or not hmac.compare_digest(binding, self._binding(cookie))
        ):
            raise StateError("a state from another browser")
        request = payload.get("r")
        fields = (payload.get("i"), payload.get("n"), payload.get("v"))
        if not isinstance(request, dict) or not all(isinstance(f, str) for f in fields):
            raise StateError("a malformed state")
        return FederationState(
            pool_id,
            str(payload["i"]),
            {str(k): str(v) for k, v in request.items()},
            str(payload["n"]),
            str(payload["v"]),
        )

    def seal_return(self, answer: dict[str, str]) -> str:
        """A provider's POSTed answer (form fields, or what was checked of it), sealed for the
        303 to the GET that finishes it."""
        expires = int((self._clock.now() + RETURN_LIFETIME).timestamp())
        payload = {"a": answer, "x": expires}
        return self._keyring.seal(json.dumps(payload, separators=(",", ":")).encode(), _RETURN)

    def open_return(self, sealed: str | None) -> dict[str, str]:
        """The answer `seal_return` sealed (StateError: missing, forged or expired)."""
        if not sealed or len(sealed) > MAX_STATE:
            raise StateError("no answer")
        try:
            payload: Any = json.loads(self._keyring.open(sealed, _RETURN))
        except (SealError, ValueError) as exc:
            raise StateError("an answer this server did not seal") from exc
        if not isinstance(payload, dict):
            raise StateError("a malformed answer")
        expires, answer = payload.get("x"), payload.get("a")
        if not isinstance(expires, int) or expires <= self._clock.now().timestamp():
            raise StateError("an expired answer")
        if not isinstance(answer, dict):
            raise StateError("a malformed answer")
        return {str(k): str(v) for k, v in answer.items()}
