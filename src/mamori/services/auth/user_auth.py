"""Choice-based sign-in (USER_AUTH): PREFERRED_CHALLENGE or SELECT_CHALLENGE among the first
factors the pool's SignInPolicy allows (PASSWORD, PASSWORD_SRP, EMAIL_OTP, SMS_OTP), and the
one-time codes of the passwordless ones, which threat protection gates and assesses as it does
a password (docs/threat-protection.md, "Passwordless and custom authentication")."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from mamori.domain.auth.answers import CodeAnswer, SelectChallengeAnswer, SignInRequest
from mamori.domain.auth.auth_flow import Challenge, FirstFactor, Proof, first_factors
from mamori.domain.auth.prompts import ChallengePrompt
from mamori.domain.errors import (
    CodeMismatchException,
    InvalidParameterException,
    NotAuthorizedException,
    ServiceError,
    UserNotFoundException,
)
from mamori.domain.security.auth_events import RequestContext
from mamori.domain.userpools.app_client import AppClient
from mamori.domain.userpools.mfa_settings import MfaConfiguration
from mamori.domain.userpools.user_pool import UserPool
from mamori.domain.users.user import User
from mamori.services.auth.challenge_session import INVALID_SESSION
from mamori.services.auth.code_steps import CodeSteps
from mamori.services.auth.sign_in import SignInMachine
from mamori.services.auth.sign_in_risk import Screening
from mamori.services.auth.sign_in_state import AuthOutcome, ChallengeSessions, SignIn
from mamori.services.auth.srp_exchange import parse_a
from mamori.services.auth.srp_steps import SrpSteps
from mamori.services.security.guard import Guard
from mamori.services.userpools.clients import check_secret_hash
from mamori.services.users.accounts import UserAccounts

_OTP_CHALLENGES = {
    FirstFactor.EMAIL_OTP: Challenge.EMAIL_OTP,
    FirstFactor.SMS_OTP: Challenge.SMS_OTP,
}


def offered(pool: UserPool, user: User | None) -> tuple[FirstFactor, ...]:
    """The first factors a user may choose from; an unknown user (PreventUserExistenceErrors)
    is offered the password ones, like a user without verified addresses."""
    return first_factors(
        pool.allowed_first_auth_factors,
        email_verified=user is not None and user.verified("email"),
        phone_verified=user is not None and user.verified("phone_number"),
        mfa_required=pool.mfa_configuration is MfaConfiguration.ON,
    )


def _metadata(given: SignInRequest | SelectChallengeAnswer) -> Mapping[str, str] | None:
    """InitiateAuth's ClientMetadata (a SELECT_CHALLENGE answer carries none here)."""
    return given.client_metadata if isinstance(given, SignInRequest) else None


def _factor(value: str, member: str) -> FirstFactor:
    try:
        return FirstFactor(value)
    except ValueError:
        raise InvalidParameterException(f"Invalid {member}: {value}.") from None


class UserAuthSteps:
    def __init__(
        self,
        machine: SignInMachine,
        srp: SrpSteps,
        codes: CodeSteps,
        users: UserAccounts,
        sessions: ChallengeSessions,
        guard: Guard,
    ) -> None:
        self._machine = machine
        self._srp = srp
        self._codes = codes
        self._users = users
        self._sessions = sessions
        self._guard = guard

    async def start(
        self,
        pool: UserPool,
        client: AppClient,
        request: SignInRequest,
        ip: str | None,
        hosted: bool = False,
        context: RequestContext | None = None,
    ) -> AuthOutcome:
        """InitiateAuth USER_AUTH: the preferred first factor when it is available to the user
        (and its PASSWORD or SRP_A is given), else SELECT_CHALLENGE with AvailableChallenges.
        `hosted`: the hosted pages' sign-in, which has no SRP (PASSWORD_SRP is not offered)."""
        username = request.username
        if not username:
            raise InvalidParameterException("Missing required parameter USERNAME")
        preferred_name = request.preferred_challenge
        device_key = request.device_key or None
        preferred = _factor(preferred_name, "PREFERRED_CHALLENGE") if preferred_name else None
        allowed = first_factors(
            pool.allowed_first_auth_factors,
            email_verified=True,
            phone_verified=True,
            mfa_required=pool.mfa_configuration is MfaConfiguration.ON,
        )
        if preferred in (FirstFactor.PASSWORD, FirstFactor.PASSWORD_SRP) and preferred in allowed:
            # Nothing about the user is read before the password is proven.
            return await self._choose(
                pool,
                client,
                preferred,
                username,
                None,
                request,
                device_key,
                ip,
                hosted=hosted,
                context=context,
            )
        check_secret_hash(client, username, request.secret_hash)
        user = await self._users.find(pool, username)
        await self._guard.check_sign_in(pool.id, username, user.sub if user else None, ip)
        if user is None and not client.prevent_user_existence_errors:
            raise UserNotFoundException("User does not exist.")
        choices = offered(pool, user)
        if hosted:
            choices = tuple(c for c in choices if c is not FirstFactor.PASSWORD_SRP)
        if preferred is not None and preferred in choices:
            return await self._choose(
                pool,
                client,
                preferred,
                username,
                user,
                request,
                device_key,
                ip,
                hosted=hosted,
                context=context,
            )
        sign_in = SignIn(
            user.sub if user is not None else "",
            username,
            choices=choices,
            device_key=device_key,
            hosted=hosted,
        )
        return AuthOutcome(
            challenge=Challenge.SELECT_CHALLENGE,
            prompt=ChallengePrompt(
                # An unknown name is answered as a known one's would be (PreventUserExistence).
                username=user.username
                if user is not None
                else self._srp.decoy_user_id(pool, username)
            ),
            session=self._sessions.seal(pool.id, client, Challenge.SELECT_CHALLENGE, sign_in),
            available=choices,
        )

    async def select(
        self,
        pool: UserPool,
        client: AppClient,
        sign_in: SignIn,
        answer: SelectChallengeAnswer,
        ip: str | None,
        context: RequestContext | None = None,
    ) -> AuthOutcome:
        """SELECT_CHALLENGE answered with ANSWER (and PASSWORD or SRP_A for those)."""
        if not answer.answer:
            raise InvalidParameterException("Missing required parameter ANSWER")
        factor = _factor(answer.answer, "ANSWER")
        if factor not in sign_in.choices:
            raise InvalidParameterException(f"{factor.value} is not an available challenge.")
        username = answer.username
        if not username:
            raise InvalidParameterException("Missing required parameter USERNAME")
        user = await self._users.user_by_sub(pool, sign_in.sub) if sign_in.sub else None
        if username != sign_in.typed:
            named = await self._users.find(pool, username)
            if user is None:
                # An unknown name takes what a known one's Session takes: the USERNAME it was
                # answered with, or another form of the name typed.
                if not self._srp.names_decoy(pool, sign_in.typed, username):
                    raise NotAuthorizedException(INVALID_SESSION)
            elif named is None or named.sub != user.sub:
                raise NotAuthorizedException(INVALID_SESSION)
        device_key = answer.device_key or sign_in.device_key or None
        # The answer's address: a PASSWORD answer is a password sign-in, limited per IP too.
        return await self._choose(
            pool,
            client,
            factor,
            sign_in.typed,
            user,
            answer,
            device_key,
            ip,
            answering=sign_in,
            hosted=sign_in.hosted,
            context=context,
        )

    async def _choose(
        self,
        pool: UserPool,
        client: AppClient,
        factor: FirstFactor,
        username: str,
        user: User | None,
        given: SignInRequest | SelectChallengeAnswer,
        device_key: str | None,
        ip: str | None,
        answering: SignIn | None = None,
        hosted: bool = False,
        context: RequestContext | None = None,
    ) -> AuthOutcome:
        """`given`: the factor's PASSWORD or SRP_A, and SECRET_HASH. `answering`: the
        SELECT_CHALLENGE sign-in this choice answers. Its Session is spent once the step
        succeeds (a right password) or before anything is started or sent (an SRP exchange, a
        code): one SELECT_CHALLENGE Session, at most one message."""
        if factor is FirstFactor.PASSWORD:
            password = given.password
            if not password:
                raise InvalidParameterException("Missing required parameter PASSWORD")
            found, screened = await self._machine.password(
                pool,
                client,
                username,
                password,
                given.secret_hash,
                ip,
                context,
                _metadata(given),
            )
            if answering is not None:
                await self._sessions.answered(answering, client)
            sign_in = SignIn(
                found.sub, username, frozenset({Proof.PASSWORD}), device_key, hosted=hosted
            )
            return await self._machine.first_factor(pool, client, found, sign_in, context, screened)
        if answering is not None:
            if factor is FirstFactor.PASSWORD_SRP:
                parse_a(given.srp_a)  # a malformed SRP_A leaves the Session usable
            await self._sessions.answered(answering, client)
        if factor is FirstFactor.PASSWORD_SRP:
            return await self._srp.start(
                pool,
                client,
                username,
                given.srp_a,
                given.secret_hash,
                ip,
                client_metadata=_metadata(given),
            )
        assert user is not None  # passwordless factors are offered to known users only
        # Threat protection before a code is sent, as before a password is checked: an address
        # in a blocked range is refused (ENFORCED) and gets no message; the attempt is counted.
        await self._machine.risk_gate(pool, client, username, user, context)
        if self._machine.triggers is not None:
            await self._machine.triggers.pre_authentication(
                pool, client, username, user, _metadata(given)
            )
        challenge = _OTP_CHALLENGES[factor]
        sign_in = SignIn(user.sub, username, device_key=device_key, hosted=hosted)
        delivery = await self._codes.prompt(pool, user, challenge, (), first_factor=True)
        return AuthOutcome(
            challenge=challenge,
            prompt=dataclasses.replace(delivery, username=user.username),
            session=self._sessions.seal(pool.id, client, challenge, sign_in),
        )

    async def one_time_code(
        self,
        pool: UserPool,
        client: AppClient,
        user: User,
        sign_in: SignIn,
        answer: CodeAnswer,
        context: RequestContext | None = None,
    ) -> AuthOutcome:
        """EMAIL_OTP / SMS_OTP as a first factor, under threat protection as a password is:
        the answer's address against the risk exceptions first; a wrong code is a failed
        sign-in (the lockout, the address's failures, a Fail event); a right one is the
        sign-in's proven first factor (`first_factor`: its event, the assessment and ENFORCED's
        action, in which the code stands for the MFA an MFA action would ask for)."""
        machine = self._machine
        # Checked again at the answer (its address may be another), counted once: at the code.
        gate = await machine.risk_gate(pool, client, sign_in.typed, user, context, count=False)
        attempt = await self._guard.check_lockout(pool.id, sign_in.typed, sign_in.sub or None)
        try:
            await self._codes.check(
                pool, client, user, sign_in, answer.challenge, answer.code, True
            )
        except CodeMismatchException:
            await self._guard.record_failure(attempt)
            await machine.risk_failed(gate)
            await machine.events.failed_first_factor(pool, user.sub, context)
            raise
        await self._guard.record_success(attempt)
        try:
            user = await machine.checked_user(pool, user, None)
        except ServiceError:
            await machine.events.refused_after_password(pool, user.sub, context)
            raise
        proven = dataclasses.replace(sign_in, proven=sign_in.proven | {Proof.OTP})
        return await machine.first_factor(pool, client, user, proven, context, Screening(gate=gate))
