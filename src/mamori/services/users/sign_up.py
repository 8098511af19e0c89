"""Sign-up: SignUp, ConfirmSignUp and ResendConfirmationCode (public, by app client)."""

from __future__ import annotations

from collections.abc import Mapping

import anyio

from mamori.domain.errors import (
    CodeMismatchException,
    InvalidParameterException,
    NotAuthorizedException,
    UserNotFoundException,
)
from mamori.domain.ids import new_sub
from mamori.domain.users.user import User, UserStatus
from mamori.domain.users.user_rules import (
    Writer,
    check_attributes,
    check_required,
    stored_username,
)
from mamori.services.ports import Clock
from mamori.services.userpools.clients import ClientService, check_secret_hash
from mamori.services.users.accounts import NO_SUCH_USER, UserAccounts
from mamori.services.users.codes import (
    SIGNUP,
    CodeService,
    Delivery,
    delivery_attribute,
    simulated_delivery,
)
from mamori.services.users.ports import UserStore


class SignUpService:
    def __init__(
        self,
        accounts: UserAccounts,
        store: UserStore,
        clients: ClientService,
        codes: CodeService,
        clock: Clock,
    ) -> None:
        self._accounts = accounts
        self._store = store
        self._clients = clients
        self._codes = codes
        self._clock = clock

    # --- sign-up
    async def sign_up(
        self,
        client_id: str,
        username: str,
        password: str,
        attributes: Mapping[str, str],
        secret_hash: str | None,
    ) -> tuple[User, Delivery | None]:
        pool, client = await self._clients.client_for_public_call(client_id)
        check_secret_hash(client, username, secret_hash)
        if pool.allow_admin_create_user_only:
            raise NotAuthorizedException("SignUp is not permitted for this user pool")
        check_attributes(pool, attributes, Writer.USER, client, creating=True)
        sub = new_sub()
        username, attrs = stored_username(pool, username, attributes, sub)
        check_required(pool, attrs)
        now = self._clock.now()
        user = User(
            pool.id, sub, username, UserStatus.UNCONFIRMED, True, {**attrs, "sub": sub}, now, now
        )
        user = await self._accounts.with_password(pool, user, password, UserStatus.UNCONFIRMED)
        await self._accounts.add(pool, user, "User already exists")
        attribute = delivery_attribute(pool, user, pool.auto_verified_attributes)
        if attribute is None:
            return user, None
        try:
            delivery = await self._codes.send_code(pool, user, SIGNUP, attribute, "confirmation")
        except BaseException:
            # No half-signed-up user: without its code nobody could confirm it.
            with anyio.CancelScope(shield=True):
                await self._store.delete_user(pool.id, user.sub)
            raise
        return user, delivery

    async def confirm_sign_up(
        self,
        client_id: str,
        username: str,
        code: str,
        secret_hash: str | None,
        force_alias_creation: bool,
    ) -> None:
        pool, client = await self._clients.client_for_public_call(client_id)
        check_secret_hash(client, username, secret_hash)
        user = await self._accounts.find(pool, username)
        if user is None:
            if client.prevent_user_existence_errors:
                raise CodeMismatchException()
            raise UserNotFoundException(NO_SUCH_USER)
        if user.status is not UserStatus.UNCONFIRMED:
            raise NotAuthorizedException(
                f"User cannot be confirmed. Current status is {user.status.value}"
            )
        confirmed = self._accounts.confirmed(pool, user, verify=True)
        if not force_alias_creation:
            # Before the code is spent: a refused confirmation can be retried with the same code.
            await self._accounts.claim_aliases(pool, confirmed, force=False)
        await self._codes.check_code(pool, user, SIGNUP, code)
        await self._accounts.claim_aliases(pool, confirmed, force=force_alias_creation)
        await self._accounts.save(pool, confirmed)

    async def resend_confirmation_code(
        self, client_id: str, username: str, secret_hash: str | None
    ) -> Delivery:
        pool, client = await self._clients.client_for_public_call(client_id)
        check_secret_hash(client, username, secret_hash)
        user = await self._accounts.find(pool, username)
        if user is None and not client.prevent_user_existence_errors:
            raise UserNotFoundException(NO_SUCH_USER)
        if not pool.auto_verified_attributes:
            raise InvalidParameterException("Auto verification not turned on.")
        if user is None:
            return simulated_delivery(pool, username)
        if user.status is not UserStatus.UNCONFIRMED:
            raise InvalidParameterException("User is already confirmed.")
        attribute = delivery_attribute(pool, user, pool.auto_verified_attributes)
        if attribute is None:
            raise InvalidParameterException(
                "User has no attribute matching desired auto verified attributes"
            )
        return await self._codes.send_code(pool, user, SIGNUP, attribute, "confirmation")
