"""Sign-in: InitiateAuth and challenges via the pure state machine; refresh; sign-out."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from mamori.crypto.aead import Keyring
from mamori.domain.app_client import AppClient
from mamori.domain.auth_flow import (
    ANSWERABLE,
    FLOWS_BY_ENTRY,
    PASSWORD_FLOWS,
    REFRESH_FLOWS,
    REQUIRED_CLIENT_FLOW,
    AuthFlow,
    Challenge,
    Entry,
    Step,
    next_step,
)
from mamori.domain.errors import (
    InvalidParameterException,
    InvalidPasswordException,
    NotAuthorizedException,
    PasswordResetRequiredException,
    RefreshTokenReuseException,
    UnauthorizedException,
    UnsupportedOperationException,
    UnsupportedTokenTypeException,
    UserNotConfirmedException,
    UserNotFoundException,
)
from mamori.domain.ids import UserSub
from mamori.domain.user import User, UserStatus
from mamori.domain.user_pool import UserPool
from mamori.domain.user_rules import Writer, apply_changes, check_attributes, check_required
from mamori.ports import Clock, SessionStore
from mamori.services.auth_sessions import INVALID_SESSION, SessionSeal
from mamori.services.clients import ClientService, check_client_secret, check_secret_hash
from mamori.services.guard import Guard
from mamori.services.tokens import AuthenticationResult, TokenService
from mamori.services.users import UserService

_WRONG = "Incorrect username or password."
_ATTRIBUTE = "userAttributes."  # ChallengeResponses key prefix of NEW_PASSWORD_REQUIRED


@dataclass(frozen=True)
class AuthOutcome:
    """Tokens, or a challenge with its parameters and the sealed session to answer it with."""

    result: AuthenticationResult | None = None
    challenge: Challenge | None = None
    parameters: Mapping[str, str] = dataclasses.field(default_factory=dict)
    session: str | None = None


def _flow(name: str, entry: Entry) -> AuthFlow:
    try:
        flow = AuthFlow(name)
    except ValueError:
        flow = None
    if flow is None or flow not in FLOWS_BY_ENTRY[entry]:
        # Cognito: one message for an unknown flow and a flow of the other entry point.
        raise InvalidParameterException("Initiate Auth method not supported.")
    return flow


def _looks_like_jwt(token: str) -> bool:
    parts = token.split(".")
    return len(parts) == 3 and all(parts)


class AuthService:
    def __init__(
        self,
        users: UserService,
        clients: ClientService,
        tokens: TokenService,
        sessions: SessionStore,
        keyring: Keyring,
        clock: Clock,
        guard: Guard,
    ) -> None:
        self._guard = guard
        self._users = users
        self._clients = clients
        self._tokens = tokens
        self._sessions = sessions
        self._seal = SessionSeal(keyring, clock)
        self._clock = clock

    # --- entry points
    async def initiate_auth(
        self, client_id: str, flow: str, parameters: Mapping[str, str], ip: str | None = None
    ) -> AuthOutcome:
        """`ip`: the end user's address, for the per-IP rate limit (None: not known)."""
        kind = _flow(flow, Entry.INITIATE_AUTH)
        pool, client = await self._clients.client_for_public_call(client_id)
        return await self._start(pool, client, kind, parameters, ip)

    async def admin_initiate_auth(
        self,
        pool_id: str,
        client_id: str,
        flow: str,
        parameters: Mapping[str, str],
        ip: str | None = None,
    ) -> AuthOutcome:
        """`ip`: the end user's address from ContextData (the caller is the app's backend)."""
        kind = _flow(flow, Entry.ADMIN_INITIATE_AUTH)
        pool, client = await self._clients.client_in_pool(pool_id, client_id)
        return await self._start(pool, client, kind, parameters, ip)

    async def _start(
        self,
        pool: UserPool,
        client: AppClient,
        flow: AuthFlow,
        parameters: Mapping[str, str],
        ip: str | None = None,
    ) -> AuthOutcome:
        if flow in REFRESH_FLOWS and client.refresh_rotation:
            # Cognito: REFRESH_TOKEN_AUTH is documented as incompatible with rotation; the
            # exception type isn't documented. Name the operation that works instead.
            raise InvalidParameterException(
                f"{flow.value} flow is not supported for a client with refresh token rotation: "
                "use GetTokensFromRefreshToken."
            )
        if not client.allows(REQUIRED_CLIENT_FLOW[flow]):
            raise InvalidParameterException(f"{flow.value} flow not enabled for this client")
        if flow in REFRESH_FLOWS:
            token = parameters.get("REFRESH_TOKEN")
            if not token:
                raise InvalidParameterException("Missing required parameter REFRESH_TOKEN")
            result = await self._refresh(
                pool, client, token, rotating_call=False, secret_hash=parameters.get("SECRET_HASH")
            )
            return AuthOutcome(result=result)
        if flow not in PASSWORD_FLOWS:
            raise InvalidParameterException(
                f"Auth flow {flow.value} is not supported by mamori yet."
            )
        username = parameters.get("USERNAME")
        password = parameters.get("PASSWORD")
        if not username:
            raise InvalidParameterException("Missing required parameter USERNAME")
        if password is None:
            raise InvalidParameterException("Missing required parameter PASSWORD")
        check_secret_hash(client, username, parameters.get("SECRET_HASH"))
        # Rate limits and the lockout, by the username as typed: unknown ones count the same.
        attempt = await self._guard.check_sign_in(pool.id, username, ip)
        user = await self._users.find(pool, username)
        # Always pay for one hash, known user or not: timing must not reveal existence.
        ok = await self._users.verify_password(user, password)
        if user is None or not ok:
            await self._guard.record_failure(attempt)
        else:
            await self._guard.record_success(attempt)
        if user is None:
            if client.prevent_user_existence_errors:
                raise NotAuthorizedException(_WRONG)
            raise UserNotFoundException("User does not exist.")
        if not ok:
            raise NotAuthorizedException(_WRONG)
        user = await self._after_password(pool, user, password)
        return await self._advance(pool, client, user, next_step(user, Step.PASSWORD).challenge)

    async def _after_password(self, pool: UserPool, user: User, password: str) -> User:
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
        if user.password_hash and self._users.needs_rehash(user.password_hash):
            # The hashing parameters changed since this hash was made: upgrade it now, while
            # the plaintext is at hand (it never is otherwise).
            user = await self._users.save(
                pool,
                dataclasses.replace(
                    user, password_hash=await self._users.hash_password_unchecked(password)
                ),
            )
        return user

    async def _advance(
        self, pool: UserPool, client: AppClient, user: User, challenge: Challenge | None
    ) -> AuthOutcome:
        if challenge is None:
            return AuthOutcome(result=await self._tokens.issue(pool, client, user))
        parameters: dict[str, str] = {"USER_ID_FOR_SRP": user.username}
        if challenge is Challenge.NEW_PASSWORD_REQUIRED:
            # Cognito: userAttributes carries the verified flags too (clients must drop them
            # before answering), never sub.
            readable = {}
            for name, value in user.attributes.items():
                attr = pool.attribute(name)
                if name == "sub" or not client.can_read(name):
                    continue
                if attr is not None and attr.developer_only:
                    continue
                readable[name] = value
            parameters["userAttributes"] = json.dumps(readable)
            parameters["requiredAttributes"] = json.dumps(
                [
                    f"userAttributes.{a.name}"
                    for a in pool.schema
                    if a.required and a.name != "sub" and not user.attributes.get(a.name)
                ]
            )
        return AuthOutcome(
            challenge=challenge,
            parameters=parameters,
            session=self._seal.seal(pool.id, client, user.sub, challenge),
        )

    # --- challenges
    async def respond_to_auth_challenge(
        self, client_id: str, challenge: str, session: str | None, responses: Mapping[str, str]
    ) -> AuthOutcome:
        pool, client = await self._clients.client_for_public_call(client_id)
        return await self._respond(pool, client, challenge, session, responses)

    async def admin_respond_to_auth_challenge(
        self,
        pool_id: str,
        client_id: str,
        challenge: str,
        session: str | None,
        responses: Mapping[str, str],
    ) -> AuthOutcome:
        pool, client = await self._clients.client_in_pool(pool_id, client_id)
        return await self._respond(pool, client, challenge, session, responses)

    async def _respond(
        self,
        pool: UserPool,
        client: AppClient,
        challenge: str,
        session: str | None,
        responses: Mapping[str, str],
    ) -> AuthOutcome:
        try:
            kind = Challenge(challenge)
        except ValueError as exc:
            raise InvalidParameterException(f"Unsupported challenge {challenge}.") from exc
        if kind not in ANSWERABLE:
            raise InvalidParameterException(
                f"Challenge {kind.value} is not supported by mamori yet."
            )
        sub = self._seal.open(session, pool.id, client.id, kind)
        user = await self._users.user_by_sub(pool, UserSub(sub))
        if user is None:
            raise NotAuthorizedException(INVALID_SESSION)
        username = responses.get("USERNAME")
        if not username:
            raise InvalidParameterException("Missing required parameter USERNAME")
        named = user if username == user.username else await self._users.find(pool, username)
        if named is None or named.sub != user.sub:
            raise NotAuthorizedException(INVALID_SESSION)
        check_secret_hash(client, username, responses.get("SECRET_HASH"))
        if not user.enabled:
            raise NotAuthorizedException("User is disabled.")
        user = await self._new_password(pool, client, user, responses)
        return await self._advance(pool, client, user, next_step(user, Step.NEW_PASSWORD).challenge)

    async def _new_password(
        self, pool: UserPool, client: AppClient, user: User, responses: Mapping[str, str]
    ) -> User:
        if user.status is not UserStatus.FORCE_CHANGE_PASSWORD:
            # Answered already: the session is spent.
            raise NotAuthorizedException(INVALID_SESSION)
        password = responses.get("NEW_PASSWORD")
        if not password:
            raise InvalidParameterException("Missing required parameter NEW_PASSWORD")
        changes = {
            k[len(_ATTRIBUTE) :]: v
            for k, v in responses.items()
            if k.startswith(_ATTRIBUTE) and user.attributes.get(k[len(_ATTRIBUTE) :]) != v
        }
        for name in changes:
            attr = pool.attribute(name)
            if attr is not None and attr.required and user.attributes.get(name):
                # Cognito: the answer may fill in required attributes, not change them.
                raise InvalidParameterException(
                    f"Cannot modify the required attribute {name}, which already has a value."
                )
        check_attributes(pool, changes, Writer.USER, client)
        attrs = apply_changes(pool, user.attributes, changes, verify_changed=True)
        check_required(pool, attrs)
        problem = pool.password_policy.violation(password)
        if problem:
            raise InvalidPasswordException(problem)
        new_hash = await self._users.hash_password(pool, password)
        return await self._users.save(
            pool,
            dataclasses.replace(
                user,
                password_hash=new_hash,
                status=UserStatus.CONFIRMED,
                attributes=attrs,
                password_expires=None,
            ),
        )

    # --- refresh
    async def get_tokens_from_refresh_token(
        self, client_id: str, refresh_token: str, client_secret: str | None
    ) -> AuthenticationResult:
        pool, client = await self._clients.client_for_public_call(client_id)
        check_client_secret(client, client_secret)
        # Cognito: a rotating client renews only here, and its ExplicitAuthFlows leave out
        # ALLOW_REFRESH_TOKEN_AUTH (the two are documented as incompatible).
        if not client.refresh_rotation and not client.allows("ALLOW_REFRESH_TOKEN_AUTH"):
            raise InvalidParameterException("REFRESH_TOKEN_AUTH flow not enabled for this client")
        return await self._refresh(pool, client, refresh_token, rotating_call=True)

    async def _refresh(
        self,
        pool: UserPool,
        client: AppClient,
        token: str,
        *,
        rotating_call: bool,
        secret_hash: str | None = None,
    ) -> AuthenticationResult:
        now = self._clock.now()
        session, user = await self._tokens.session_for(token, now)
        if session.client_id != client.id or session.pool_id != pool.id:
            raise NotAuthorizedException("Invalid Refresh Token")
        if user is None:
            raise NotAuthorizedException("Invalid Refresh Token")
        if not rotating_call and client.secret is not None:
            # Cognito: clients compute this SECRET_HASH over the username or, in pools that
            # sign in by email/phone, over the sub; accept either.
            try:
                check_secret_hash(client, user.username, secret_hash)
            except NotAuthorizedException:
                check_secret_hash(client, user.sub, secret_hash)
        if not user.enabled:
            raise NotAuthorizedException("User is disabled.")
        rotate = client.refresh_rotation and rotating_call
        if rotate:
            replaced_at = session.replaced_at
            if replaced_at is None and not await self._sessions.mark_replaced(session.digest, now):
                replaced_at = now  # a concurrent refresh rotated it a moment ago
            grace = timedelta(seconds=client.refresh_retry_grace_seconds)
            # Cognito: the rotated-out token works for RetryGracePeriodSeconds (0: not at all),
            # then RefreshTokenReuseException. The session itself stays: nothing documents
            # that reuse revokes the newer tokens.
            if replaced_at is not None and now >= replaced_at + grace:
                raise RefreshTokenReuseException(
                    "The refresh token has been replaced by rotation and can't be used again."
                )
        return await self._tokens.issue(
            pool, client, user, auth_time=session.auth_time, session=session, new_refresh=rotate
        )

    # --- sign-out and revocation
    async def global_sign_out(self, access_token: str) -> None:
        ctx = await self._tokens.check_access_token(access_token)
        await self._sessions.revoke_user(ctx.pool_id, ctx.user.sub)

    async def admin_user_global_sign_out(self, pool_id: str, username: str) -> None:
        user = await self._users.admin_get_user(pool_id, username)
        await self._sessions.revoke_user(user.pool_id, user.sub)

    async def revoke_token(self, token: str, client_id: str, client_secret: str | None) -> None:
        pool, client = await self._clients.client_for_public_call(client_id)
        try:
            check_client_secret(client, client_secret)
        except NotAuthorizedException as exc:
            raise UnauthorizedException(exc.message) from exc
        if not client.enable_token_revocation:
            raise UnsupportedOperationException(
                "Token revocation is not enabled for this app client."
            )
        if _looks_like_jwt(token):
            raise UnsupportedTokenTypeException("Only refresh tokens can be revoked.")
        session = await self._sessions.get_session(self._tokens.refresh_digest(token))
        if session is None:
            return  # RFC 7009 §2.2: an unknown token is not an error
        if session.client_id != client.id or session.pool_id != pool.id:
            raise UnauthorizedException("The refresh token was not issued to this client.")
        # The whole family: this sign-in's refresh tokens and the access tokens they issued,
        # not the user's other sessions.
        await self._sessions.revoke_origin(pool.id, session.origin_jti)
