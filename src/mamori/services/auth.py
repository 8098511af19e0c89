"""Sign-in: InitiateAuth and challenges via the pure state machine; refresh; sign-out."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from mamori.crypto.aead import Keyring, SealError
from mamori.domain.app_client import AppClient
from mamori.domain.auth_flow import (
    ADMIN_FLOWS,
    REQUIRED_CLIENT_FLOW,
    AuthFlow,
    Challenge,
    Step,
    next_step,
)
from mamori.domain.errors import (
    InvalidParameterException,
    InvalidPasswordException,
    NotAuthorizedException,
    PasswordResetRequiredException,
    RefreshTokenReuseException,
    UnsupportedOperationException,
    UserNotConfirmedException,
    UserNotFoundException,
)
from mamori.domain.ids import UserSub
from mamori.domain.user import User, UserStatus
from mamori.domain.user_pool import UserPool
from mamori.domain.user_rules import Writer, apply_changes, check_attributes, check_required
from mamori.ports import Clock, SessionStore
from mamori.services.clients import ClientService, check_client_secret, check_secret_hash
from mamori.services.tokens import AuthenticationResult, TokenService
from mamori.services.users import UserService

_SESSION_PURPOSE = "auth-session"
_WRONG = "Incorrect username or password."


@dataclass(frozen=True)
class AuthOutcome:
    """Tokens, or a challenge with its parameters and the sealed session to answer it with."""

    result: AuthenticationResult | None = None
    challenge: Challenge | None = None
    parameters: Mapping[str, str] = dataclasses.field(default_factory=dict)
    session: str | None = None


class AuthService:
    def __init__(
        self,
        users: UserService,
        clients: ClientService,
        tokens: TokenService,
        sessions: SessionStore,
        keyring: Keyring,
        clock: Clock,
    ) -> None:
        self._users = users
        self._clients = clients
        self._tokens = tokens
        self._sessions = sessions
        self._keyring = keyring
        self._clock = clock

    # --- entry points
    async def initiate_auth(
        self, client_id: str, flow: str, parameters: Mapping[str, str]
    ) -> AuthOutcome:
        pool, client = await self._clients.client_for_public_call(client_id)
        return await self._start(pool, client, self._flow(flow, admin=False), parameters)

    async def admin_initiate_auth(
        self, pool_id: str, client_id: str, flow: str, parameters: Mapping[str, str]
    ) -> AuthOutcome:
        pool, client = await self._clients.client_in_pool(pool_id, client_id)
        return await self._start(pool, client, self._flow(flow, admin=True), parameters)

    def _flow(self, name: str, admin: bool) -> AuthFlow:
        try:
            flow = AuthFlow(name)
        except ValueError as exc:
            raise InvalidParameterException(f"Unsupported auth flow {name}.") from exc
        if (flow in ADMIN_FLOWS) != admin and flow not in {
            AuthFlow.REFRESH_TOKEN_AUTH,
            AuthFlow.REFRESH_TOKEN,
            AuthFlow.USER_SRP_AUTH,
            AuthFlow.CUSTOM_AUTH,
            AuthFlow.USER_AUTH,
        }:
            where = "AdminInitiateAuth" if flow in ADMIN_FLOWS else "InitiateAuth"
            raise InvalidParameterException(f"Auth flow {name} is only supported by {where}.")
        if flow in {AuthFlow.USER_PASSWORD_AUTH} and admin:
            raise InvalidParameterException(
                "Auth flow USER_PASSWORD_AUTH is only supported by InitiateAuth."
            )
        return flow

    async def _start(
        self, pool: UserPool, client: AppClient, flow: AuthFlow, parameters: Mapping[str, str]
    ) -> AuthOutcome:
        if not client.allows(REQUIRED_CLIENT_FLOW[flow]):
            raise InvalidParameterException(f"{flow.value} flow not enabled for this client")
        if flow in {AuthFlow.REFRESH_TOKEN_AUTH, AuthFlow.REFRESH_TOKEN}:
            token = parameters.get("REFRESH_TOKEN")
            if not token:
                raise InvalidParameterException("Missing required parameter REFRESH_TOKEN")
            result = await self._refresh(
                pool, client, token, parameters.get("SECRET_HASH"), rotation_call=False
            )
            return AuthOutcome(result=result)
        if flow not in {
            AuthFlow.USER_PASSWORD_AUTH,
            AuthFlow.ADMIN_USER_PASSWORD_AUTH,
            AuthFlow.ADMIN_NO_SRP_AUTH,
        }:
            raise InvalidParameterException(f"Auth flow {flow.value} is not supported yet.")
        username = parameters.get("USERNAME")
        password = parameters.get("PASSWORD")
        if not username:
            raise InvalidParameterException("Missing required parameter USERNAME")
        if password is None:
            raise InvalidParameterException("Missing required parameter PASSWORD")
        check_secret_hash(client, username, parameters.get("SECRET_HASH"))
        user = await self._users.find(pool, username)
        # Always pay for one hash, known user or not: timing must not reveal existence.
        ok = await self._users.verify_password(user, password)
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
            readable = {
                k: v
                for k, v in user.attributes.items()
                if k not in {"sub", "email_verified", "phone_number_verified"}
            }
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
            session=self._seal(pool.id, client, user, challenge),
        )

    # --- the sealed Session string
    def _seal(self, pool_id: str, client: AppClient, user: User, challenge: Challenge) -> str:
        expires = self._clock.now() + timedelta(minutes=client.auth_session_validity_minutes)
        payload = {
            "p": pool_id,
            "c": client.id,
            "u": user.sub,
            "ch": challenge.value,
            "x": expires.timestamp(),
        }
        return self._keyring.seal(json.dumps(payload).encode(), _SESSION_PURPOSE)

    def _open(self, session: str | None, client: AppClient, challenge: str) -> dict[str, Any]:
        if not session:
            raise InvalidParameterException("Missing required parameter Session")
        try:
            payload: dict[str, Any] = json.loads(self._keyring.open(session, _SESSION_PURPOSE))
        except (SealError, ValueError) as exc:
            raise NotAuthorizedException("Invalid session for the user.") from exc
        if payload.get("x", 0) < self._clock.now().timestamp():
            raise NotAuthorizedException("Invalid session for the user, session is expired.")
        if payload.get("c") != client.id or payload.get("ch") != challenge:
            raise NotAuthorizedException("Invalid session for the user.")
        return payload

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
        payload = self._open(session, client, kind.value)
        user = await self._users.user_by_sub(pool, UserSub(str(payload.get("u"))))
        if user is None or payload.get("p") != pool.id:
            raise NotAuthorizedException("Invalid session for the user.")
        check_secret_hash(
            client, responses.get("USERNAME") or user.username, responses.get("SECRET_HASH")
        )
        if kind is Challenge.NEW_PASSWORD_REQUIRED:
            user = await self._new_password(pool, client, user, responses)
            return await self._advance(
                pool, client, user, next_step(user, Step.NEW_PASSWORD).challenge
            )
        raise InvalidParameterException(f"Challenge {challenge} is not supported yet.")

    async def _new_password(
        self, pool: UserPool, client: AppClient, user: User, responses: Mapping[str, str]
    ) -> User:
        if user.status is not UserStatus.FORCE_CHANGE_PASSWORD:
            raise NotAuthorizedException("Invalid session for the user.")
        password = responses.get("NEW_PASSWORD")
        if not password:
            raise InvalidParameterException("Missing required parameter NEW_PASSWORD")
        changes = {
            k[len("userAttributes.") :]: v
            for k, v in responses.items()
            if k.startswith("userAttributes.")
        }
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
        if not client.allows("ALLOW_REFRESH_TOKEN_AUTH"):
            raise NotAuthorizedException("Refresh Token auth is not enabled for this client")
        return await self._refresh(pool, client, refresh_token, None, rotation_call=True)

    async def _refresh(
        self,
        pool: UserPool,
        client: AppClient,
        token: str,
        secret_hash: str | None,
        rotation_call: bool,
    ) -> AuthenticationResult:
        now = self._clock.now()
        session = await self._tokens.session_for(token, now)
        if session.client_id != client.id or session.pool_id != pool.id:
            raise NotAuthorizedException("Invalid Refresh Token")
        user = await self._users.user_by_sub(pool, session.sub)
        if user is None:
            raise NotAuthorizedException("Invalid Refresh Token")
        if not rotation_call:
            check_secret_hash(client, user.username, secret_hash)
        if not user.enabled:
            raise NotAuthorizedException("User is disabled.")
        rotate = client.refresh_rotation and rotation_call
        if rotate:
            if session.replaced_at is not None:
                grace = timedelta(seconds=client.refresh_retry_grace_seconds)
                if now > session.replaced_at + grace:
                    await self._sessions.revoke_origin(pool.id, session.origin_jti)
                    raise RefreshTokenReuseException(
                        "The refresh token has already been used and its grace period is over."
                    )
            else:
                await self._sessions.mark_replaced(session.digest, now)
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
        check_client_secret(client, client_secret)
        if not client.enable_token_revocation:
            raise UnsupportedOperationException("Token revocation is not enabled for this client.")
        session = await self._sessions.get_session(self._tokens.refresh_digest(token))
        if session is None:
            return  # RFC 7009: an unknown token is not an error
        if session.client_id != client.id or session.pool_id != pool.id:
            raise NotAuthorizedException("Token was not issued to this client.")
        await self._sessions.revoke_origin(pool.id, session.origin_jti)
