"""SRP steps of a sign-in: USER_SRP_AUTH and PASSWORD_VERIFIER (the password), DEVICE_SRP_AUTH
and DEVICE_PASSWORD_VERIFIER (a remembered device's own secret)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import timedelta

from mamori.crypto.srp import Verifier, pool_name
from mamori.domain.auth.answers import DevicePasswordVerifierAnswer, PasswordVerifierAnswer
from mamori.domain.auth.auth_flow import Challenge, Proof
from mamori.domain.auth.prompts import ChallengePrompt
from mamori.domain.errors import (
    InvalidParameterException,
    NotAuthorizedException,
    ResourceNotFoundException,
    UserNotFoundException,
)
from mamori.domain.security.auth_events import RequestContext
from mamori.domain.userpools.app_client import AppClient
from mamori.domain.userpools.user_pool import UserPool
from mamori.domain.users.user import User
from mamori.services.auth.challenge_session import INVALID_SESSION
from mamori.services.auth.devices import DeviceService
from mamori.services.auth.sign_in import NO_DEVICE, WRONG, SignInMachine
from mamori.services.auth.sign_in_risk import Screening
from mamori.services.auth.sign_in_state import (
    AuthOutcome,
    ChallengeSessions,
    CustomRound,
    Proven,
    SignIn,
    new_nonce,
)
from mamori.services.auth.srp_exchange import (
    CUSTOM,
    DEVICE,
    USER,
    SrpExchanges,
    SrpState,
    parse_a,
)
from mamori.services.security.guard import Guard
from mamori.services.userpools.clients import check_secret_hash
from mamori.services.users.accounts import UserAccounts
from mamori.services.users.srp_verifiers import VerifierVault


def _claim(answer: PasswordVerifierAnswer | DevicePasswordVerifierAnswer) -> tuple[str, str]:
    """(TIMESTAMP, PASSWORD_CLAIM_SIGNATURE), both required."""
    if not answer.signature:
        raise InvalidParameterException("Missing required parameter PASSWORD_CLAIM_SIGNATURE")
    if not answer.timestamp:
        raise InvalidParameterException("Missing required parameter TIMESTAMP")
    return answer.timestamp, answer.signature


class SrpSteps:
    def __init__(
        self,
        exchanges: SrpExchanges,
        vault: VerifierVault,
        users: UserAccounts,
        devices: DeviceService,
        machine: SignInMachine,
        sessions: ChallengeSessions,
        guard: Guard,
    ) -> None:
        self._exchanges = exchanges
        self._vault = vault
        self._users = users
        self._devices = devices
        self._machine = machine
        self._sessions = sessions
        self._guard = guard

    # --- the password
    async def start(
        self,
        pool: UserPool,
        client: AppClient,
        username: str | None,
        srp_a: str | None,
        secret_hash: str | None,
        ip: str | None,
        kind: str = USER,
        client_metadata: Mapping[str, str] | None = None,
    ) -> AuthOutcome:
        """USER_SRP_AUTH (or USER_AUTH's PASSWORD_SRP): PASSWORD_VERIFIER with SALT, SRP_B and
        the SECRET_BLOCK holding this exchange. An unknown username gets a decoy exchange of
        the same shape (PreventUserExistenceErrors), or UserNotFoundException (LEGACY).
        `kind` CUSTOM: a CUSTOM_AUTH sign-in's password, DefineAuthChallenge's to go on from.
        `client_metadata`: InitiateAuth's, PreAuthentication's validationData as on the
        password path."""
        if not username:
            raise InvalidParameterException("Missing required parameter USERNAME")
        big_a = parse_a(srp_a)
        check_secret_hash(client, username, secret_hash)
        user = await self._users.find(pool, username)
        await self._guard.check_sign_in(pool.id, username, user.sub if user else None, ip)
        if self._machine.triggers is not None:
            await self._machine.triggers.pre_authentication(
                pool, client, username, user, client_metadata
            )
        realm = pool_name(pool.id)
        verifier: Verifier | None
        if user is None:
            if not client.prevent_user_existence_errors:
                raise UserNotFoundException("User does not exist.")
            user_id = self.decoy_user_id(pool, username)
            # The sealed block's size must not tell either: a sub-shaped stand-in here too.
            sub, verifier = self._vault.decoy_sub(pool.id, "\x00" + username), None
        else:
            user_id, sub = user.username, user.sub
            verifier = self._vault.open(user)
        # A user whose password predates SRP verifiers gets a decoy too: its claim fails like
        # a wrong password's (docs/flows/sign-in.md).
        verifier = verifier or self._vault.decoy(realm, user_id)
        challenge, block = await self._exchanges.start(
            verifier,
            big_a,
            pool_id=pool.id,
            client=client,
            kind=kind,
            sub=sub,
            known=user is not None,
            user_id=user_id,
            realm=realm,
            typed=username,
            device_key=None,
            nonce=new_nonce(),
        )
        return AuthOutcome(
            challenge=Challenge.PASSWORD_VERIFIER,
            prompt=ChallengePrompt(
                salt=verifier.salt_hex,
                srp_b=challenge.srp_b,
                secret_block=block,
                username=user_id,
                user_id_for_srp=user_id,
            ),
        )

    async def password_verifier(
        self,
        pool: UserPool,
        client: AppClient,
        answer: PasswordVerifierAnswer,
        ip: str | None,
        context: RequestContext | None = None,
    ) -> tuple[Proven, Screening]:
        """PASSWORD_VERIFIER: the client's claim checked against the exchange SECRET_BLOCK
        names. Each exchange answers once; a wrong claim counts as a failed sign-in. With the
        proven sign-in, threat protection's gate for `first_factor` to assess (SRP sends no
        password, so there is no compromised-credentials finding)."""
        state, block = self._exchanges.open(answer.secret_block, pool.id, client.id)
        if state.kind not in (USER, CUSTOM):
            raise NotAuthorizedException(INVALID_SESSION)
        username = answer.username
        if not username:
            raise InvalidParameterException("Missing required parameter USERNAME")
        timestamp, signature = _claim(answer)
        check_secret_hash(client, username, answer.secret_hash)
        known_sub = state.sub if state.known else None
        await self._guard.check_answer(pool.id, state.typed, known_sub, ip)
        # Read for unknown users too, so that both take the same time.
        user = await self._users.user_by_sub(pool, state.sub)
        if not state.known:
            user = None
        if username != state.user_id:
            named = await self._users.find(pool, username)
            if user is None:
                # A decoy takes the names a known user's exchange would, and no other.
                if not self.names_decoy(pool, state.typed, username):
                    raise NotAuthorizedException(INVALID_SESSION)
            elif named is None or named.sub != user.sub:
                raise NotAuthorizedException(INVALID_SESSION)
        verifier = self._vault.open(user) if user is not None else None
        # Threat protection first, as at a password sign-in (a blocked range refused here).
        gate = await self._machine.risk_gate(pool, client, state.typed, user, context)
        # Counted as a failed sign-in before the claim is checked (the lockout's check and the
        # count are one atomic step); a right claim clears the count.
        attempt = await self._guard.count_password(pool.id, state.typed, known_sub)
        ok = await self._exchanges.check(
            verifier or self._vault.decoy(state.realm, state.user_id),
            state,
            block,
            timestamp,
            signature,
        )
        if user is not None and verifier is not None and not ok:
            await self._machine.events.failed_first_factor(pool, user.sub, context)
        if user is None or verifier is None or not ok:
            await self._machine.risk_failed(gate)
            raise NotAuthorizedException(WRONG)
        await self._guard.record_success(attempt)
        user = await self._machine.checked_user(pool, user, None)
        # Cognito: the clients name their device here (InitiateAuth's is not used), and after
        # ResourceNotFoundException for it answer again with DEVICE_KEY null and the same
        # SECRET_BLOCK: the device is checked before the exchange is spent.
        sign_in = SignIn(user.sub, state.typed, frozenset({Proof.PASSWORD}), answer.device_key)
        if state.kind == CUSTOM:
            # Cognito: DefineAuthChallenge was asked after SRP_A; it is asked again now.
            sign_in = dataclasses.replace(
                sign_in, device_key=None, custom=(CustomRound("SRP_A", True),)
            )
        await self._machine.device_state(pool, user, sign_in)
        # One success per exchange (wrong claims just count as failures, each time).
        await self._sessions.spend(state.nonce, _lifetime(client))
        return Proven(user, sign_in), Screening(gate=gate)

    def decoy_user_id(self, pool: UserPool, username: str) -> str:
        """USER_ID_FOR_SRP (and USERNAME) for a name nobody holds, shaped as a known user's.

        Cognito: known users are named by their stored username, the sub in pools that sign in
        by email or phone. A decoy is derived from the name in the form it is looked up by, so
        `BOB` and `bob` answer as one user would in a case-insensitive pool (letter case, and
        the SALT keyed on it, must not tell a decoy from a user named `bob`).
        """
        key = lookup_form(pool, username)
        return self._vault.decoy_sub(pool.id, key) if pool.username_attributes else key

    def names_decoy(self, pool: UserPool, typed: str, answered: str) -> bool:
        """Whether an answer's USERNAME names the decoy started for `typed`: the USERNAME it
        was given, or a form of `typed` the user lookup would take as the same name."""
        return answered == self.decoy_user_id(pool, typed) or lookup_form(
            pool, answered
        ) == lookup_form(pool, typed)

    # --- the device
    async def device_start(
        self,
        pool: UserPool,
        client: AppClient,
        user: User,
        sign_in: SignIn,
        key: str | None,
        srp_a: str | None,
    ) -> AuthOutcome:
        """DEVICE_SRP_AUTH answered with the device's DEVICE_KEY and SRP_A:
        DEVICE_PASSWORD_VERIFIER."""
        if not key:
            raise InvalidParameterException("Missing required parameter DEVICE_KEY")
        if key != sign_in.device_key:
            raise NotAuthorizedException(INVALID_SESSION)
        big_a = parse_a(srp_a)
        device = await self._devices.device_for_sign_in(pool, user, key)
        if device is None or device.verifier is None:
            raise ResourceNotFoundException(NO_DEVICE)
        # Single use: one exchange (and its modular exponentiation) per DEVICE_SRP_AUTH Session.
        await self._sessions.answered(sign_in, client)
        verifier = Verifier.from_bytes(device.verifier)
        following = sign_in.renewed()
        challenge, block = await self._exchanges.start(
            verifier,
            big_a,
            pool_id=pool.id,
            client=client,
            kind=DEVICE,
            sub=user.sub,
            known=True,
            user_id=key,
            realm=device.group_key,
            typed=sign_in.typed,
            device_key=key,
            nonce=following.nonce,
        )
        return AuthOutcome(
            challenge=Challenge.DEVICE_PASSWORD_VERIFIER,
            prompt=ChallengePrompt(
                salt=verifier.salt_hex,
                srp_b=challenge.srp_b,
                secret_block=block,
                username=user.username,
                user_id_for_srp=user.username,
            ),
            session=self._sessions.seal(
                pool.id, client, Challenge.DEVICE_PASSWORD_VERIFIER, following
            ),
        )

    async def device_verifier(
        self,
        pool: UserPool,
        client: AppClient,
        user: User,
        sign_in: SignIn,
        answer: DevicePasswordVerifierAnswer,
    ) -> Proven:
        """DEVICE_PASSWORD_VERIFIER: the device's claim, for the exchange of this Session."""
        state, block = self._exchanges.open(answer.secret_block, pool.id, client.id)
        if not _same_exchange(state, user, sign_in):
            raise NotAuthorizedException(INVALID_SESSION)
        timestamp, signature = _claim(answer)
        await self._sessions.spend(state.nonce, _lifetime(client))
        device = await self._devices.device_for_sign_in(pool, user, state.user_id)
        if device is None or device.verifier is None:
            raise ResourceNotFoundException(NO_DEVICE)
        verifier = Verifier.from_bytes(device.verifier)
        if not await self._exchanges.check(verifier, state, block, timestamp, signature):
            raise NotAuthorizedException(WRONG)
        return Proven(user, sign_in.proving(Proof.DEVICE))


def lookup_form(pool: UserPool, name: str) -> str:
    """A sign-in name as the user lookup compares it: email addresses without regard to case,
    usernames and other aliases so unless the pool is case sensitive (UsernameConfiguration)."""
    if "@" in name and "email" in pool.sign_in_aliases():
        return name.lower()
    return pool.username_key(name)


def _same_exchange(state: SrpState, user: User, sign_in: SignIn) -> bool:
    return (
        state.kind == DEVICE
        and state.sub == user.sub
        and state.nonce == sign_in.nonce
        and state.user_id == sign_in.device_key
    )


def _lifetime(client: AppClient) -> timedelta:
    return timedelta(minutes=client.auth_session_validity_minutes)
