"""Users as an administrator manages them (IAM-authorised): create, invite, read, list, enable,
change attributes and passwords, confirm, delete. The shared user helpers live in users.py."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import timedelta

import anyio

from mamori.crypto.secrets import temporary_password
from mamori.domain.errors import (
    InvalidParameterException,
    NotAuthorizedException,
    UnsupportedUserStateException,
    UsernameExistsException,
)
from mamori.domain.ids import new_sub
from mamori.domain.security.risk_config import RiskEvent
from mamori.domain.userpools.user_pool import UserPool
from mamori.domain.users.user import User, UserStatus
from mamori.domain.users.user_rules import Writer, check_attributes, check_required, stored_username
from mamori.protocols.cognito_filter import FilterError, parse
from mamori.services.ports import Clock, Page
from mamori.services.tokens.ports import RefreshSessionStore
from mamori.services.userpools.pools import PoolService
from mamori.services.users.accounts import UserAccounts, without_attributes
from mamori.services.users.codes import RESET, CodeService, recovery_attribute
from mamori.services.users.message_triggers import (
    ADMIN_CREATE_USER,
    FORGOT_PASSWORD,
    UPDATE_USER_ATTRIBUTE,
    MessageEvent,
)
from mamori.services.users.ports import UserQuery, UserStore
from mamori.services.users.sign_up_triggers import (
    POST_CONFIRMATION_CONFIRM_SIGN_UP,
    PRE_SIGN_UP_ADMIN_CREATE_USER,
    SignUpTriggers,
)

MAX_PAGE = 60


class AdminUserService:
    def __init__(
        self,
        users: UserAccounts,
        store: UserStore,
        sessions: RefreshSessionStore,
        pools: PoolService,
        codes: CodeService,
        clock: Clock,
        triggers: SignUpTriggers | None = None,
    ) -> None:
        """`triggers`: the pools' PreSignUp and PostConfirmation (None: never asked)."""
        self._triggers = triggers
        self._users = users
        self._store = store
        self._sessions = sessions
        self._pools = pools
        self._codes = codes
        self._clock = clock

    async def admin_create_user(
        self,
        pool_id: str,
        username: str,
        attributes: Mapping[str, str],
        temporary: str | None,
        message_action: str | None,
        mediums: Sequence[str],
        force_alias_creation: bool = False,
        validation_data: Mapping[str, str] | None = None,
        client_metadata: Mapping[str, str] | None = None,
    ) -> User:
        pool = await self._pools.require(pool_id)
        event = MessageEvent(ADMIN_CREATE_USER, None, client_metadata or {})
        if message_action == "RESEND":
            return await self._resend_invitation(pool, username, temporary, mediums, event)
        check_attributes(pool, attributes, Writer.ADMIN, creating=True)
        sub = new_sub()
        username, attrs = stored_username(pool, username, attributes, sub)
        check_required(pool, attrs)
        if self._triggers is not None:
            # Cognito: the function may refuse the user; its answer's flags are not read here.
            await self._triggers.pre_sign_up(
                pool,
                PRE_SIGN_UP_ADMIN_CREATE_USER,
                username,
                None,
                attrs,
                validation_data,
                client_metadata,
            )
        password = temporary or temporary_password(pool.password_policy.minimum_length)
        now = self._clock.now()
        validity = timedelta(days=pool.password_policy.temporary_password_validity_days)
        status = UserStatus.FORCE_CHANGE_PASSWORD
        user = User(pool.id, sub, username, status, True, {**attrs, "sub": sub}, now, now)
        user = await self._users.with_password(pool, user, password, status, now + validity)
        if force_alias_creation and not pool.username_attributes:
            # Taking the alias from its owner is a side effect: only for a user that will exist.
            if await self._store.get_user(pool, username) is not None:
                raise UsernameExistsException("User account already exists")
            await self._users.claim_aliases(pool, user, force=True)
        await self._users.add(pool, user, "User account already exists")
        if message_action != "SUPPRESS":
            try:
                await self._codes.send_invitations(pool, user, password, mediums, event)
            except BaseException:
                with anyio.CancelScope(shield=True):
                    await self._store.delete_user(pool.id, user.sub)
                raise
        return user

    async def _resend_invitation(
        self,
        pool: UserPool,
        username: str,
        temporary: str | None,
        mediums: Sequence[str],
        event: MessageEvent,
    ) -> User:
        user = previous = await self._users.require(pool, username)
        if user.status is not UserStatus.FORCE_CHANGE_PASSWORD:
            raise UnsupportedUserStateException(
                f"Resend not possible. {user.username} status is not FORCE_CHANGE_PASSWORD."
            )
        password = temporary or temporary_password(pool.password_policy.minimum_length)
        validity = timedelta(days=pool.password_policy.temporary_password_validity_days)
        user = await self._users.set_password(
            pool, user, password, user.status, self._clock.now() + validity
        )
        try:
            await self._codes.send_invitations(pool, user, password, mediums, event)
        except BaseException:
            # An undelivered password must not replace the one the user was last sent.
            with anyio.CancelScope(shield=True):
                await self._store.save_user(pool, previous)
            raise
        return user

    async def admin_get_user(self, pool_id: str, username: str) -> User:
        return await self._users.require_in_pool(pool_id, username)

    async def admin_delete_user(self, pool_id: str, username: str) -> None:
        pool = await self._pools.require(pool_id)
        await self._users.remove(pool, await self._users.require(pool, username))

    async def admin_set_enabled(self, pool_id: str, username: str, enabled: bool) -> None:
        pool = await self._pools.require(pool_id)
        user = await self._users.require(pool, username)
        await self._users.save(pool, dataclasses.replace(user, enabled=enabled))
        if not enabled:
            # Cognito: disabling a user also revokes its tokens.
            await self._sessions.revoke_user(pool.id, user.sub)

    async def admin_update_user_attributes(
        self,
        pool_id: str,
        username: str,
        attributes: Mapping[str, str],
        client_metadata: Mapping[str, str] | None = None,
    ) -> None:
        pool = await self._pools.require(pool_id)
        user = await self._users.require(pool, username)
        check_attributes(pool, attributes, Writer.ADMIN)
        event = MessageEvent(UPDATE_USER_ATTRIBUTE, None, client_metadata or {})
        await self._users.update_attributes(pool, user, attributes, event)

    async def admin_delete_user_attributes(
        self, pool_id: str, username: str, names: Sequence[str]
    ) -> None:
        pool = await self._pools.require(pool_id)
        user = await self._users.require(pool, username)
        await self._users.save(pool, without_attributes(pool, user, names))

    async def admin_set_user_password(
        self, pool_id: str, username: str, password: str, permanent: bool
    ) -> None:
        pool = await self._pools.require(pool_id)
        user = await self._users.require(pool, username)
        # mamori: an administrator's password is a PASSWORD_CHANGE too (the pool's settings:
        # no app client is involved); docs/threat-protection.md.
        await self._users.screen_password(pool, None, RiskEvent.PASSWORD_CHANGE, password)
        if permanent:
            status = UserStatus.CONFIRMED
            expires = None
        else:
            status = UserStatus.FORCE_CHANGE_PASSWORD
            validity = timedelta(days=pool.password_policy.temporary_password_validity_days)
            expires = self._clock.now() + validity
        await self._users.set_password(pool, user, password, status, expires)

    async def admin_reset_user_password(
        self, pool_id: str, username: str, client_metadata: Mapping[str, str] | None = None
    ) -> None:
        pool = await self._pools.require(pool_id)
        user = await self._users.require(pool, username)
        if not user.enabled:
            raise NotAuthorizedException("User is disabled.")
        if user.status is UserStatus.FORCE_CHANGE_PASSWORD:
            # Cognito: a user who never chose a password gets a new invitation instead.
            raise NotAuthorizedException("User password cannot be reset in the current state.")
        attribute = recovery_attribute(pool, user)
        if attribute is None:
            raise InvalidParameterException(
                "Cannot reset password for the user as there is no registered/verified email "
                "or phone_number"
            )
        # The code first: a failed delivery leaves the user as it was.
        await self._codes.send_code(
            pool,
            user,
            RESET,
            attribute,
            "password-reset",
            event=MessageEvent(FORGOT_PASSWORD, None, client_metadata or {}),
        )
        await self._users.save(pool, dataclasses.replace(user, status=UserStatus.RESET_REQUIRED))

    async def admin_confirm_sign_up(
        self, pool_id: str, username: str, client_metadata: Mapping[str, str] | None = None
    ) -> None:
        pool = await self._pools.require(pool_id)
        user = await self._users.require(pool, username)
        if user.status is not UserStatus.UNCONFIRMED:
            raise NotAuthorizedException(
                f"User cannot be confirmed. Current status is {user.status.value}"
            )
        confirmed = await self._users.save(pool, self._users.confirmed(pool, user, verify=False))
        if self._triggers is not None:
            # Cognito: after the confirmation, which a failing function does not undo.
            await self._triggers.post_confirmation(
                pool, POST_CONFIRMATION_CONFIRM_SIGN_UP, confirmed, None, client_metadata
            )

    async def list_users(
        self, pool_id: str, filter_text: str, limit: int, token: str | None
    ) -> Page[User]:
        pool = await self._pools.require(pool_id)
        try:
            parsed = parse(filter_text)
        except FilterError as exc:
            raise InvalidParameterException(str(exc)) from exc
        query = UserQuery(parsed.attribute, parsed.value, parsed.prefix) if parsed else UserQuery()
        if limit > MAX_PAGE:
            raise InvalidParameterException(f"Limit must be at most {MAX_PAGE}.")
        return await self._store.list_users(pool, query, limit or MAX_PAGE, token)
