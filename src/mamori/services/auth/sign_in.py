"""The sign-in state machine at work: after each answered step `next_step` decides
(domain/auth/auth_flow.py), and this module sends the next challenge, sealing its Session, or the
tokens."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from mamori.domain.auth.auth_flow import Challenge, DeviceState, Next, Situation, next_step
from mamori.domain.auth.prompts import ChallengePrompt
from mamori.domain.errors import (
    BlockReason,
    InvalidParameterException,
    NotAuthorizedException,
    PasswordResetRequiredException,
    ResourceNotFoundException,
    ServiceError,
    UserLambdaValidationException,
    UserNotConfirmedException,
    UserNotFoundException,
)
from mamori.domain.oauth.authorization import SignedIn
from mamori.domain.security.auth_events import EventRisk, RequestContext, RiskDecision
from mamori.domain.security.risk_config import RiskEvent, TakeoverEventAction
from mamori.domain.userpools.app_client import AppClient
from mamori.domain.userpools.user_pool import UserPool
from mamori.domain.users.user import User, UserStatus
from mamori.services.auth.challenge_session import INVALID_SESSION
from mamori.services.auth.code_steps import CodeSteps
from mamori.services.auth.devices import DeviceService
from mamori.services.auth.new_password import NewPasswordSteps
from mamori.services.auth.sign_in_events import SignInEvents
from mamori.services.auth.sign_in_gate import RiskSteps
from mamori.services.auth.sign_in_risk import Screening, SignInRisk
from mamori.services.auth.sign_in_state import AuthOutcome, ChallengeSessions, SignIn
from mamori.services.auth.sign_in_triggers import SignInTriggers, token_source
from mamori.services.ports import Clock
from mamori.services.security.breached import BLOCKED_SIGN_IN
from mamori.services.security.guard import Guard
from mamori.services.tokens.pool_tokens import TokenService
from mamori.services.userpools.clients import check_secret_hash
from mamori.services.users.accounts import UserAccounts
from mamori.services.users.migration import MigrationSource, UserMigration

WRONG = "Incorrect username or password."
NO_DEVICE = "Device does not exist."


class SignInMachine(RiskSteps, NewPasswordSteps):
    def __init__(
        self,
        users: UserAccounts,
        tokens: TokenService,
        devices: DeviceService,
        codes: CodeSteps,
        sessions: ChallengeSessions,
        guard: Guard,
        clock: Clock,
        events: SignInEvents | None = None,
        risk: SignInRisk | None = None,
        triggers: SignInTriggers | None = None,
        migration: UserMigration | None = None,
    ) -> None:
        """`risk`: threat protection at sign-in (None: never assessed, as in tests that build
        the machine without it); `triggers`: Pre/PostAuthentication, `migration`: UserMigration
        (None: the pools' functions are never run)."""
        self.triggers = triggers
        self.migration = migration
        self._users = users
        self._tokens = tokens
        self._devices = devices
        self._codes = codes
        self._sessions = sessions
        self._guard = guard
        self._clock = clock
        self.events = events or SignInEvents()
        self.risk = risk

    # --- first factors
    async def password(
        self,
        pool: UserPool,
        client: AppClient,
        username: str,
        password: str,
        secret_hash: str | None,
        ip: str | None,
        context: RequestContext | None = None,
        client_metadata: Mapping[str, str] | None = None,
    ) -> tuple[User, Screening]:
        """The user whose password this is (checked and upgraded) and what threat protection
        found (the compromised-credentials verdict, the risk gate `first_factor` assesses), or
        the errors of a failed sign-in: NotAuthorized, UserNotFound (LEGACY clients), the
        lockout, the rate limits, a compromised password or a blocked address refused."""
        check_secret_hash(client, username, secret_hash)
        user = await self._users.find(pool, username)
        gate = await self.risk_gate(pool, client, username, user, context)
        # Rate limits and the lockout, per user: a known one by its sub, whichever identifier
        # named it; an unknown one by the username as typed, counted the same. The attempt is
        # counted as a failure before the hash (concurrent guesses can't outnumber the lockout).
        attempt = await self._guard.count_sign_in(pool.id, username, user.sub if user else None, ip)
        if self.triggers is not None:
            await self.triggers.pre_authentication(pool, client, username, user, client_metadata)
        if user is None and self.migration is not None:
            user = await self._migrated(pool, client, username, password, client_metadata)
        # Always pay for one hash, known user or not: timing must not reveal existence.
        ok = await self._users.verify_password(user, password)
        if user is not None and ok:
            await self._guard.record_success(attempt)
        else:
            await self.risk_failed(gate)
        if user is None:
            if client.prevent_user_existence_errors:
                raise NotAuthorizedException(WRONG)
            raise UserNotFoundException("User does not exist.")
        if not ok:
            # A known user's wrong password is an auth event (`context`: where it came from).
            await self.events.failed_first_factor(pool, user.sub, context)
            raise NotAuthorizedException(WRONG)
        try:
            user = await self.checked_user(pool, user, password)
        except ServiceError:
            # The right password of a user who may not sign in (disabled, unconfirmed, ...).
            await self.events.refused_after_password(pool, user.sub, context)
            raise
        # Only once the password is proven: a wrong guess is never told it is a breached one.
        verdict = await self._users.screen_password(pool, client.id, RiskEvent.SIGN_IN, password)
        if verdict.blocked:
            if user.status is UserStatus.CONFIRMED:
                # Cognito: the blocked user is RESET_REQUIRED, to choose another password
                # (ForgotPassword, or AdminResetUserPassword) before signing in again.
                reset = dataclasses.replace(user, status=UserStatus.RESET_REQUIRED)
                await self._users.save(pool, reset)
            await self.events.blocked_compromised(pool, user.sub, context)
            raise NotAuthorizedException(
                BLOCKED_SIGN_IN, reason=BlockReason.COMPROMISED_CREDENTIALS
            )
        return user, Screening(verdict.compromised, gate)

    async def _migrated(
        self,
        pool: UserPool,
        client: AppClient,
        username: str,
        password: str,
        client_metadata: Mapping[str, str] | None,
    ) -> User | None:
        """The user the pool's UserMigration function moves in with this password, if any
        (ClientMetadata: its validationData, as Cognito sends it)."""
        assert self.migration is not None
        try:
            return await self.migration.migrate(
                pool,
                client,
                username,
                MigrationSource.AUTHENTICATION,
                password,
                validation_data=client_metadata,
            )
        except UserLambdaValidationException:
            # Cognito: the function refusing (no such user there, wrong password) is answered
            # as an unknown user, hidden as a wrong password where the client hides those.
            if client.prevent_user_existence_errors:
                raise NotAuthorizedException(WRONG) from None
            raise UserNotFoundException(
                f"Exception migrating user in app client {client.id}"
            ) from None

    async def checked_user(self, pool: UserPool, user: User, password: str | None) -> User:
        """After a first factor: the states that refuse a sign-in even so; with the password
        in clear at hand, its hash is upgraded and its SRP verifier made where missing."""
        if not user.enabled:
            raise NotAuthorizedException("User is disabled.")
        if user.status is UserStatus.UNCONFIRMED:
            raise UserNotConfirmedException("User is not confirmed.")
        if user.status is UserStatus.RESET_REQUIRED:
            raise PasswordResetRequiredException("Password reset required for the user")
        if (
            user.status is UserStatus.FORCE_CHANGE_PASSWORD
            and user.password_expires
            and user.password_expires <= self._clock.now()
        ):
            raise NotAuthorizedException(
                "Temporary password has expired and must be reset by an administrator."
            )
        if password is None:
            return user
        upgraded = user
        if user.password_hash and self._users.needs_rehash(user.password_hash):
            # The hashing parameters changed since this hash was made: upgrade it now, while
            # the plaintext is at hand (it never is otherwise).
            new_hash = await self._users.hash_password_unchecked(password)
            upgraded = dataclasses.replace(upgraded, password_hash=new_hash)
        if user.srp_verifier is None:
            # Set before mamori kept SRP verifiers: from now on USER_SRP_AUTH works too.
            verifier = await self._users.srp_verifier(pool, user, password)
            upgraded = dataclasses.replace(upgraded, srp_verifier=verifier)
        if upgraded != user:
            user = await self._users.save(pool, upgraded)
        return user

    # --- the machine
    async def device_state(
        self, pool: UserPool, user: User, sign_in: SignIn
    ) -> tuple[DeviceState, bool, bool]:
        """(the named device's state, whether the pool tracks devices, whether a remembered
        device stands in for MFA). ResourceNotFound for a key that names no device of the user:
        # Cognito: the clients forget their device key on that error and try again without."""
        config = self._devices.configuration(pool)
        if config is None or sign_in.hosted:
            # The hosted pages remember no device (Cognito's don't either).
            return DeviceState.NONE, False, False
        skips = config.challenge_required_on_new_device
        if not sign_in.device_key:
            return DeviceState.NONE, True, skips
        device = await self._devices.device_for_sign_in(pool, user, sign_in.device_key)
        if device is None or device.verifier is None:
            raise ResourceNotFoundException(NO_DEVICE)
        state = DeviceState.REMEMBERED if device.remembered else DeviceState.CONFIRMED
        return state, True, skips

    async def advance(
        self, pool: UserPool, client: AppClient, user: User, sign_in: SignIn
    ) -> AuthOutcome:
        """The next challenge of this sign-in, or its tokens."""
        device, tracking, skips = await self.device_state(pool, user, sign_in)
        mfa = await self._codes.state(pool, user, sign_in.risk_mfa)
        step = next_step(
            Situation(
                status=user.status,
                proven=sign_in.proven,
                mfa=mfa,
                device=device,
                device_tracking=tracking,
                remembered_skips_mfa=skips,
                selected=sign_in.selected,
                risk_mfa=sign_in.risk_mfa,
            )
        )
        if step.challenge is None:
            return await self._tokens_for(pool, client, user, sign_in, step, device)
        return await self.challenge(pool, client, user, sign_in, step)

    async def first_factor(
        self,
        pool: UserPool,
        client: AppClient,
        user: User,
        sign_in: SignIn,
        context: RequestContext | None,
        screened: Screening | None = None,
        record: bool = True,
    ) -> AuthOutcome:
        """`advance` after a proven first factor, with the sign-in's auth event
        (services/auth/sign_in_events.py; `record` False: none, for a custom sign-in that
        CustomAuthMode leaves out); `screened`: what the password's checks found. With
        threat protection on, the sign-in is assessed here and, in ENFORCED mode, the action
        configured for its level carried out: BLOCK refuses, MFA_IF_CONFIGURED asks for MFA
        when the user can answer one, MFA_REQUIRED asks for it or refuses."""
        compromised = screened.compromised if screened is not None else False
        verdict = None
        if self.risk is not None and screened is not None:
            verdict = await self.risk.assess(screened.gate, sign_in.device_key)
        risk = EventRisk(RiskDecision.NO_RISK, None, compromised)
        # What was done: MFA_IF_CONFIGURED for a user with no MFA to answer took no action.
        taken = TakeoverEventAction.NO_ACTION
        if verdict is not None:
            sign_in = await self._carry_out(pool, user, sign_in, context, verdict, compromised)
            risk = verdict.event_risk(compromised)
            taken = verdict.action if sign_in.risk_mfa else TakeoverEventAction.NO_ACTION

        async def advance(with_event: SignIn) -> AuthOutcome:
            return await self.advance(pool, client, user, with_event)

        events = self.events if record else SignInEvents()
        outcome, event = await events.first_factor(pool, sign_in, context, advance, risk)
        if verdict is not None:
            await self._notify(pool, user, event, verdict, taken)
        return outcome

    async def challenge(
        self, pool: UserPool, client: AppClient, user: User, sign_in: SignIn, step: Next
    ) -> AuthOutcome:
        assert step.challenge is not None
        challenge = step.challenge
        if challenge is Challenge.NEW_PASSWORD_REQUIRED:
            prompt = self._new_password_prompt(pool, client, user)
        elif challenge is Challenge.DEVICE_SRP_AUTH:
            prompt = ChallengePrompt(username=user.username)
        else:
            prompt = await self._codes.prompt(pool, user, challenge, step.factors)
        prompt = dataclasses.replace(prompt, user_id_for_srp=user.username)
        session = self._sessions.seal(pool.id, client, challenge, sign_in.renewed())
        return AuthOutcome(challenge=challenge, prompt=prompt, session=session)

    async def _tokens_for(
        self,
        pool: UserPool,
        client: AppClient,
        user: User,
        sign_in: SignIn,
        step: Next,
        device: DeviceState,
    ) -> AuthOutcome:
        if self.triggers is not None:
            # Before anything is issued or handed out: its error refuses the sign-in.
            new_device_used = bool(step.new_device) and not sign_in.hosted
            await self.triggers.post_authentication(
                pool, client, user, new_device_used, sign_in.client_metadata
            )
        if sign_in.hosted:
            # The authorization endpoint issues the code or tokens (services/oauth/authorize.py).
            auth_time = int(self._clock.now().timestamp())
            return AuthOutcome(signed_in=SignedIn(user.sub, auth_time))
        new_device = None
        device_key = sign_in.device_key if device is not DeviceState.NONE else None
        if step.new_device:
            new_device = await self._devices.new_device_metadata(pool, user)
            device_key = new_device[0]
        elif device_key is not None:
            await self._devices.mark_authenticated(pool, user, device_key)
        result = await self._tokens.issue(
            pool,
            client,
            user,
            device_key=device_key,
            source=token_source(sign_in),
            client_metadata=dict(sign_in.client_metadata or {}),
        )
        return AuthOutcome(result=result, new_device=new_device)

    # --- answers the machine takes itself
    async def answering_user(
        self,
        pool: UserPool,
        client: AppClient,
        sign_in: SignIn,
        username: str | None,
        secret_hash: str | None,
    ) -> User:
        """The user a Session speaks for, if the answer names the same one (by any name it
        signs in with) and carries the client's SECRET_HASH over that name."""
        user = await self._users.user_by_sub(pool, sign_in.sub)
        if user is None:
            raise NotAuthorizedException(INVALID_SESSION)
        if not username:
            raise InvalidParameterException("Missing required parameter USERNAME")
        named = user if username == user.username else await self._users.find(pool, username)
        if named is None or named.sub != user.sub:
            raise NotAuthorizedException(INVALID_SESSION)
        check_secret_hash(client, username, secret_hash)
        if not user.enabled:
            raise NotAuthorizedException("User is disabled.")
        return user
