"""Account recovery and verification: ForgotPassword / ConfirmForgotPassword, and verifying
email and phone_number with GetUserAttributeVerificationCode / VerifyUserAttribute."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from mamori.domain.errors import (
    InvalidParameterException,
    NotAuthorizedException,
    UserLambdaValidationException,
    UserNotFoundException,
)
from mamori.domain.security.auth_events import EventResponse, EventType, RequestContext
from mamori.domain.security.risk_config import RiskEvent
from mamori.domain.userpools.app_client import AppClient
from mamori.domain.userpools.user_pool import UserPool
from mamori.domain.users.user import User, UserStatus
from mamori.services.security.auth_events import AuthEventLog, compromised_risk
from mamori.services.tokens.pool_tokens import TokenService
from mamori.services.userpools.clients import ClientService, check_secret_hash
from mamori.services.userpools.pools import PoolService
from mamori.services.users.accounts import NO_SUCH_USER, UserAccounts
from mamori.services.users.codes import (
    RESET,
    CodeService,
    Delivery,
    admin_only,
    recovery_attribute,
    simulated_delivery,
    verify_purpose,
)
from mamori.services.users.message_triggers import (
    FORGOT_PASSWORD,
    VERIFY_USER_ATTRIBUTE,
    MessageEvent,
)
from mamori.services.users.migration import MigrationSource, UserMigration
from mamori.services.users.sign_up_triggers import (
    POST_CONFIRMATION_CONFIRM_FORGOT_PASSWORD,
    SignUpTriggers,
)

VERIFIABLE = ("email", "phone_number")
NO_RECOVERY = (
    "Cannot reset password for the user as there is no registered/verified email or phone_number"
)


class RecoveryService:
    def __init__(
        self,
        users: UserAccounts,
        clients: ClientService,
        pools: PoolService,
        tokens: TokenService,
        codes: CodeService,
        events: AuthEventLog | None = None,
        migration: UserMigration | None = None,
        triggers: SignUpTriggers | None = None,
    ) -> None:
        """`events`: the auth-event log (ForgotPassword, PasswordChange); None records none.
        `migration`: the pools' UserMigration functions (None: never asked).
        `triggers`: the pools' PostConfirmation functions (None: never asked)."""
        self._triggers = triggers
        self._migration = migration
        self._events = events
        self._users = users
        self._clients = clients
        self._pools = pools
        self._tokens = tokens
        self._codes = codes

    # --- forgot password
    async def forgot_password(
        self,
        client_id: str,
        username: str,
        secret_hash: str | None,
        context: RequestContext | None = None,
        client_metadata: Mapping[str, str] | None = None,
    ) -> Delivery:
        """A reset code to the user's first verified channel in the pool's recovery order.

        The user's password and status stay as they are: the old password still signs in
        until ConfirmForgotPassword replaces it.
        """
        pool, client = await self._clients.client_for_public_call(client_id)
        check_secret_hash(client, username, secret_hash)
        return await self._forgot(pool, client, username, context, client_metadata)

    async def _migrated(
        self,
        pool: UserPool,
        client: AppClient,
        username: str,
        metadata: Mapping[str, str] | None,
    ) -> User | None:
        """UserMigration_ForgotPassword: the user the pool's function moves in (RESET_REQUIRED,
        no password), or None when it has none or refuses (then: an unknown user's answer)."""
        assert self._migration is not None
        try:
            return await self._migration.migrate(
                pool, client, username, MigrationSource.FORGOT_PASSWORD, client_metadata=metadata
            )
        except UserLambdaValidationException:
            return None

    async def hosted_forgot_password(self, pool_id: str, client_id: str, username: str) -> Delivery:
        """ForgotPassword from the hosted pages, which hold the client's secret. The pages never
        tell who has an account, whatever the client's PreventUserExistenceErrors: an unknown,
        disabled or unreachable user gets what a recoverable one gets."""
        pool, client = await self._clients.client_in_pool(pool_id, client_id)
        return await self._forgot(pool, _concealing(client), username)

    async def _forgot(
        self,
        pool: UserPool,
        client: AppClient,
        username: str,
        context: RequestContext | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> Delivery:
        if admin_only(pool):
            raise NotAuthorizedException("Contact administrator to reset password.")
        user = await self._users.find(pool, username)
        if user is None and self._migration is not None:
            user = await self._migrated(pool, client, username, metadata)
        if user is None:
            return await self._cannot_recover(
                pool, client, username, UserNotFoundException(NO_SUCH_USER)
            )
        if not user.enabled:
            return await self._cannot_recover(
                pool, client, username, NotAuthorizedException("User is disabled.")
            )
        attribute = recovery_attribute(pool, user)
        if attribute is None:
            return await self._cannot_recover(
                pool, client, username, InvalidParameterException(NO_RECOVERY)
            )
        delivery = await self._codes.send_code(
            pool,
            user,
            RESET,
            attribute,
            "password-reset",
            event=MessageEvent(FORGOT_PASSWORD, client.id, metadata or {}),
        )
        if self._events is not None:
            await self._events.record(
                pool, user.sub, EventType.FORGOT_PASSWORD, EventResponse.PASS, context
            )
        return delivery

    async def _cannot_recover(
        self, pool: UserPool, client: AppClient, username: str, error: Exception
    ) -> Delivery:
        """`error`, or with PreventUserExistenceErrors the answer a recoverable user would get,
        after the same work (Cognito: unknown, disabled and unverified users alike)."""
        if not client.prevent_user_existence_errors:
            raise error
        delivery = simulated_delivery(pool, username)
        phantom = self._codes.phantom_sub(pool, username)
        await self._codes.send_phantom_code(pool, phantom, RESET, delivery.medium)
        return delivery

    async def confirm_forgot_password(
        self,
        client_id: str,
        username: str,
        code: str,
        password: str,
        secret_hash: str | None,
        context: RequestContext | None = None,
        client_metadata: Mapping[str, str] | None = None,
    ) -> None:
        """The code, then the new password; the user is CONFIRMED whatever its status was.

        Cognito: no session or token is revoked (GlobalSignOut does that).
        """
        pool, client = await self._clients.client_for_public_call(client_id)
        check_secret_hash(client, username, secret_hash)
        await self._reset(pool, client, username, code, password, context, client_metadata)

    async def hosted_confirm_forgot_password(
        self, pool_id: str, client_id: str, username: str, code: str, password: str
    ) -> None:
        """ConfirmForgotPassword from the hosted pages: an unknown or disabled user gets the
        answers a wrong code gets (as `hosted_forgot_password`, whatever the client says)."""
        pool, client = await self._clients.client_in_pool(pool_id, client_id)
        await self._reset(pool, _concealing(client), username, code, password)

    async def _reset(
        self,
        pool: UserPool,
        client: AppClient,
        username: str,
        code: str,
        password: str,
        context: RequestContext | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        # Before the user is looked up or the code spent: the same answer for anyone, and a
        # refused password can be retried with the same code.
        verdict = await self._users.screen_password(
            pool, client.id, RiskEvent.PASSWORD_CHANGE, password
        )
        user = await self._users.find(pool, username)
        if user is None or not user.enabled:
            if client.prevent_user_existence_errors:
                phantom = self._codes.phantom_sub(pool, username)
                await self._codes.check_phantom_code(pool, phantom, RESET, code)
            if user is None:
                raise UserNotFoundException(NO_SUCH_USER)
            raise NotAuthorizedException("User is disabled.")
        await self._codes.check_code(pool, user, RESET, code)
        reset = await self._users.set_password(pool, user, password, UserStatus.CONFIRMED)
        # mamori's reading: the reset's end is the user's password changed.
        if self._events is not None:
            await self._events.record(
                pool,
                user.sub,
                EventType.PASSWORD_CHANGE,
                EventResponse.PASS,
                context,
                risk=compromised_risk(verdict.compromised),
            )
        if self._triggers is not None:
            # Cognito: after the reset, which a failing function does not undo.
            await self._triggers.post_confirmation(
                pool, POST_CONFIRMATION_CONFIRM_FORGOT_PASSWORD, reset, client.id, metadata
            )

    # --- attribute verification, authorised by an access token
    async def _signed_in(self, access_token: str) -> tuple[UserPool, User]:
        ctx = await self._tokens.check_access_token(access_token)
        return await self._pools.require(ctx.pool_id), ctx.user

    async def get_user_attribute_verification_code(
        self, access_token: str, attribute: str, client_metadata: Mapping[str, str] | None = None
    ) -> Delivery:
        """A code to the value of `attribute` waiting for verification: the pending new value
        if there is one, else the current value (verified already or not)."""
        ctx = await self._tokens.check_access_token(access_token)
        pool, user = await self._pools.require(ctx.pool_id), ctx.user
        value = _to_verify(user, attribute)
        return await self._codes.send_code(
            pool,
            user,
            verify_purpose(attribute),
            attribute,
            "verification",
            value,
            value,
            event=MessageEvent(VERIFY_USER_ATTRIBUTE, ctx.client_id, client_metadata or {}),
        )

    async def verify_user_attribute(self, access_token: str, attribute: str, code: str) -> None:
        """Marks the value verified; a pending new value replaces the old one now."""
        pool, user = await self._signed_in(access_token)
        value = _to_verify(user, attribute)
        pending = {k: v for k, v in user.pending.items() if k != attribute}
        attrs = {**user.attributes, attribute: value, f"{attribute}_verified": "true"}
        verified = dataclasses.replace(user, attributes=attrs, pending=pending)
        # Before the code is spent: a value another user signs in with stays theirs.
        await self._users.claim_aliases(pool, verified, force=False)
        await self._codes.check_code(pool, user, verify_purpose(attribute), code, value)
        await self._users.save(pool, verified)


def _concealing(client: AppClient) -> AppClient:
    # The hosted pages answer as PreventUserExistenceErrors ENABLED does (docs/oauth.md).
    return dataclasses.replace(client, prevent_user_existence_errors=True)


def _to_verify(user: User, attribute: str) -> str:
    if attribute not in VERIFIABLE:
        raise InvalidParameterException(
            f"Invalid attribute name: {attribute} cannot be verified; only email and "
            "phone_number can."
        )
    value = user.pending.get(attribute) or user.attributes.get(attribute)
    if not value:
        raise InvalidParameterException(f"The user has no {attribute} to verify.")
    return value
