"""A sign-in between its steps: the state its sealed Session carries, and per-session counts.

Nothing about a sign-in in progress is kept in a server's memory: the Session string is the
AEAD-sealed state (services/auth/challenge_session.py), and what must be shared by every server
process and outlive one request (answers to a session, a spent Session or SRP proof) is in the
counters (Redis or the database) under a random per-session nonce.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from mamori.domain.auth.auth_flow import Challenge, FirstFactor, Proof
from mamori.domain.auth.prompts import ChallengePrompt
from mamori.domain.errors import NotAuthorizedException
from mamori.domain.oauth.authorization import SignedIn
from mamori.domain.userpools.app_client import AppClient
from mamori.domain.userpools.mfa_settings import MfaFactor
from mamori.domain.users.user import User
from mamori.services.auth.challenge_session import INVALID_SESSION, ChallengeSessionSeal
from mamori.services.ports import Clock
from mamori.services.security.ports import Counters
from mamori.services.tokens.pool_tokens import AuthenticationResult

# Wrong answers one Session takes; the next answer to it is refused ("Invalid session for the
# user.") and the client starts the sign-in again (a new code is sent then). A right answer
# spends the Session (`answered`): each Session answers its step once.
MAX_WRONG_ANSWERS = 3
# MFA_SETUP's progress through AssociateSoftwareToken and VerifySoftwareToken.
ASSOCIATED = "associated"
VERIFIED = "verified"


def new_nonce() -> str:
    return secrets.token_hex(16)


@dataclass(frozen=True)
class CustomRound:
    """One entry of the custom triggers' `session`: challengeName, challengeResult and
    challengeMetadata (CUSTOM_CHALLENGE's only)."""

    name: str
    result: bool
    metadata: str | None = None


def _rounds(value: Any) -> tuple[CustomRound, ...]:
    rounds = []
    for name, result, metadata in value:
        if not isinstance(name, str) or (metadata is not None and not isinstance(metadata, str)):
            raise TypeError
        rounds.append(CustomRound(name, result == 1, metadata))
    return tuple(rounds)


def _strings(value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise TypeError
    return {str(k): v for k, v in value.items()}


@dataclass(frozen=True)
class SignIn:
    """A sign-in in progress, as the Session of its current challenge carries it."""

    sub: str
    # The username as first typed: lockout and rate limits count by it (services/security/guard.py).
    typed: str
    proven: frozenset[Proof] = frozenset()
    # DEVICE_KEY as the client named it (InitiateAuth or an answer).
    device_key: str | None = None
    # SELECT_MFA_TYPE's answer.
    selected: MfaFactor | None = None
    # MFA_SETUP: None, ASSOCIATED or VERIFIED.
    setup: str | None = None
    # SELECT_CHALLENGE: the first factors offered.
    choices: tuple[FirstFactor, ...] = ()
    # Started on the hosted pages (AuthService.hosted_sign_in): it ends in a SignedIn for the
    # authorization endpoint, not in tokens, and only the hosted pages may answer it (and they
    # answer no API sign-in's Session).
    hosted: bool = False
    # Random, per Session: names its counters.
    nonce: str = field(default_factory=new_nonce)
    # The sign-in's auth event (services/auth/sign_in_events.py); None: the pool logs none.
    event: str | None = None
    # Threat protection asked for MFA at this sign-in's risk level (services/auth/sign_in_risk.py).
    risk_mfa: bool = False
    # CUSTOM_AUTH (services/auth/custom_auth.py): None, or the rounds so far as the triggers'
    # `session` lists them, and the pending challenge's private parameters and metadata
    # (sealed: never shown to the client).
    custom: tuple[CustomRound, ...] | None = None
    private: Mapping[str, str] | None = None
    metadata: str | None = None
    # The answer's ClientMetadata, for PostAuthentication and PreTokenGeneration (Cognito passes
    # RespondToAuthChallenge's to them, never InitiateAuth's). Not sealed: each answer's own.
    client_metadata: Mapping[str, str] | None = field(default=None, compare=False)

    def proving(self, proof: Proof) -> SignIn:
        return replace(self, proven=self.proven | {proof})

    def renewed(self) -> SignIn:
        """The same sign-in under a new nonce: every new Session gets its own counts."""
        return replace(self, nonce=new_nonce())

    def state(self) -> dict[str, Any]:
        out: dict[str, Any] = {"t": self.typed, "pr": sorted(p.value for p in self.proven)}
        out["n"] = self.nonce
        if self.device_key is not None:
            out["dk"] = self.device_key
        if self.selected is not None:
            out["sel"] = self.selected.value
        if self.setup is not None:
            out["su"] = self.setup
        if self.choices:
            out["ch"] = [c.value for c in self.choices]
        if self.hosted:
            out["h"] = 1
        if self.event is not None:
            out["ev"] = self.event
        if self.risk_mfa:
            out["rm"] = 1
        if self.custom is not None:
            out["cu"] = [[r.name, int(r.result), r.metadata] for r in self.custom]
        if self.private is not None:
            out["pv"] = dict(self.private)
        if self.metadata is not None:
            out["cm"] = self.metadata
        return out

    @classmethod
    def from_state(cls, sub: str, state: Mapping[str, Any]) -> SignIn:
        """NotAuthorized "Invalid session" for a state this server did not write."""
        try:
            typed, nonce = state["t"], state["n"]
            if not isinstance(typed, str) or not isinstance(nonce, str):
                raise TypeError
            device_key = state.get("dk")
            setup = state.get("su")
            event = state.get("ev")
            return cls(
                sub=sub,
                typed=typed,
                proven=frozenset(Proof(p) for p in state.get("pr", ())),
                device_key=device_key if isinstance(device_key, str) else None,
                selected=MfaFactor(state["sel"]) if state.get("sel") else None,
                setup=setup if isinstance(setup, str) else None,
                choices=tuple(FirstFactor(c) for c in state.get("ch", ())),
                hosted=state.get("h") == 1,
                nonce=nonce,
                event=event if isinstance(event, str) else None,
                risk_mfa=state.get("rm") == 1,
                custom=_rounds(state["cu"]) if "cu" in state else None,
                private=_strings(state["pv"]) if "pv" in state else None,
                metadata=str(state["cm"]) if isinstance(state.get("cm"), str) else None,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise NotAuthorizedException(INVALID_SESSION) from exc


@dataclass(frozen=True)
class AuthOutcome:
    """Tokens (or, for a hosted sign-in, who signed in), or a challenge with what it tells the
    client and the sealed session to answer it with."""

    result: AuthenticationResult | None = None
    # A hosted sign-in's end: the user, for the authorization endpoint (no tokens issued here).
    signed_in: SignedIn | None = None
    challenge: Challenge | None = None
    prompt: ChallengePrompt = field(default_factory=ChallengePrompt)
    session: str | None = None
    # NewDeviceMetadata with the tokens: (DeviceKey, DeviceGroupKey).
    new_device: tuple[str, str] | None = None
    # SELECT_CHALLENGE's AvailableChallenges.
    available: tuple[FirstFactor, ...] = ()


@dataclass(frozen=True)
class Proven:
    """A challenge answered: the state machine goes on from here (services/auth/sign_in.py)."""

    user: User
    sign_in: SignIn


class ChallengeSessions:
    """Seals and opens the Session of each challenge, and counts what is done with it."""

    def __init__(self, seal: ChallengeSessionSeal, counters: Counters, clock: Clock) -> None:
        self._seal = seal
        self._counters = counters
        self._clock = clock

    def seal(self, pool_id: str, client: AppClient, challenge: Challenge, sign_in: SignIn) -> str:
        return self._seal.seal(pool_id, client, sign_in.sub, challenge, sign_in.state())

    def open(
        self, session: str | None, pool_id: str, client_id: str, challenge: Challenge
    ) -> SignIn:
        sub, state = self._seal.open_state(session, pool_id, client_id, challenge)
        return SignIn.from_state(sub, state)

    def peek(self, session: str | None) -> tuple[str, str, str]:
        return self._seal.peek(session)

    @staticmethod
    def _key(kind: str, nonce: str) -> str:
        return kind + hashlib.sha256(nonce.encode()).hexdigest()[:40]

    async def count_answer(self, nonce: str, lifetime: timedelta) -> None:
        """Counts an answer to the Session BEFORE it is checked: NotAuthorized for every answer
        after the MAX_WRONG_ANSWERS-th. One atomic increment returning its own count, so of any
        number of concurrent answers at most MAX_WRONG_ANSWERS are ever compared (a right one
        spends the Session, so counting it too changes nothing)."""
        tally = await self._counters.add(self._key("a", nonce), self._clock.now(), lifetime)
        if tally.count > MAX_WRONG_ANSWERS:
            raise NotAuthorizedException(INVALID_SESSION)

    async def spend(self, nonce: str, lifetime: timedelta) -> None:
        """Marks a one-shot proof used (an SRP claim, an answered Session): NotAuthorized if it
        was already. One atomic increment in the shared counters (Redis or the database), so
        of concurrent uses exactly one passes, on whichever server process; the mark expires
        after `lifetime`, when the Session has expired too."""
        tally = await self._counters.add(self._key("u", nonce), self._clock.now(), lifetime)
        if tally.count > 1:
            raise NotAuthorizedException(INVALID_SESSION)

    async def answered(self, sign_in: SignIn, client: AppClient) -> None:
        """The step this Session asked for is done (or a message was sent for it): the Session
        can't answer it again. Cognito: "Invalid session for the user." for a second answer."""
        await self.spend(sign_in.nonce, timedelta(minutes=client.auth_session_validity_minutes))
