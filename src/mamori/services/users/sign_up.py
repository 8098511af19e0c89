"""Sign-up: SignUp, ConfirmSignUp and ResendConfirmationCode (public, by app client)."""

from __future__ import annotations

from collections.abc import Mapping

import anyio

from mamori.domain.errors import (
    CodeMismatchException,
    InvalidParameterException,
    NotAuthorizedException,
    UsernameExistsException,
    UserNotFoundException,
)
from mamori.domain.ids import new_sub
from mamori.domain.security.auth_events import EventResponse, EventType, RequestContext
from mamori.domain.security.risk_config import RiskEvent
from mamori.domain.userpools.app_client import AppClient
from mamori.domain.userpools.user_pool import UserPool
from mamori.domain.users.user import User, UserStatus
from mamori.domain.users.user_rules import (
    Writer,
    check_attributes,
    check_required,
    stored_username,
)
from mamori.services.ports import Clock
from mamori.services.security.auth_events import AuthEventLog, compromised_risk
from mamori.services.userpools.clients import ClientService, check_secret_hash
from mamori.services.users.accounts import NO_SUCH_USER, UserAccounts
from mamori.services.users.codes import (
    SIGNUP,
    CodeService,
    Delivery,
    delivery_attribute,
    mask_delivery,
    simulated_delivery,
)
from mamori.services.users.message_triggers import RESEND_CODE, SIGN_UP, MessageEvent
from mamori.services.users.ports import UserStore
from mamori.services.users.sign_up_triggers import (
    NOT_ASKED,
    POST_CONFIRMATION_CONFIRM_SIGN_UP,
    PRE_SIGN_UP_SIGN_UP,
    PreSignUpAnswer,
    SignUpTriggers,
)


class SignUpService:
    def __init__(
        self,
        accounts: UserAccounts,
        store: UserStore,
        clients: ClientService,
        codes: CodeService,
        clock: Clock,
        events: AuthEventLog | None = None,
        triggers: SignUpTriggers | None = None,
    ) -> None:
        """`events`: the auth-event log (SignUp, ResendCode events); None records none.
        `triggers`: the pools' PreSignUp and PostConfirmation (None: never asked)."""
        self._triggers = triggers
        self._accounts = accounts
        self._events = events
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
        context: RequestContext | None = None,
        validation_data: Mapping[str, str] | None = None,
        client_metadata: Mapping[str, str] | None = None,
    ) -> tuple[User, Delivery | None]:
        """The new user (CONFIRMED when the PreSignUp function confirmed it, then with no
        code sent) and where its confirmation code went."""
        pool, client = await self._clients.client_for_public_call(client_id)
        check_secret_hash(client, username, secret_hash)
        user, delivery = await self._sign_up(
            pool,
            client,
            username,
            password,
            attributes,
            conceal=False,
            context=context,
            validation_data=validation_data,
            client_metadata=client_metadata,
        )
        assert user is not None  # only a concealed sign-up has none
        return user, delivery

    async def hosted_sign_up(
        self,
        pool_id: str,
        client_id: str,
        username: str,
        password: str,
        attributes: Mapping[str, str],
    ) -> tuple[User | None, Delivery | None]:
        """SignUp from the hosted pages, which hold the client's secret: the same rules. With
        the client's PreventUserExistenceErrors a taken username gets what a new one would (a
        code "sent" to the address typed, after the same work) and no user; without it,
        UsernameExistsException as the API answers."""
        pool, client = await self._clients.client_in_pool(pool_id, client_id)
        return await self._sign_up(
            pool, client, username, password, attributes, client.prevent_user_existence_errors
        )

    async def _sign_up(
        self,
        pool: UserPool,
        client: AppClient,
        username: str,
        password: str,
        attributes: Mapping[str, str],
        conceal: bool,
        context: RequestContext | None = None,
        validation_data: Mapping[str, str] | None = None,
        client_metadata: Mapping[str, str] | None = None,
    ) -> tuple[User | None, Delivery | None]:
        if pool.allow_admin_create_user_only:
            raise NotAuthorizedException("SignUp is not permitted for this user pool")
        check_attributes(pool, attributes, Writer.USER, client, creating=True)
        sub = new_sub()
        username, attrs = stored_username(pool, username, attributes, sub)
        check_required(pool, attrs)
        verdict = await self._accounts.screen_password(pool, client.id, RiskEvent.SIGN_UP, password)
        answer = NOT_ASKED
        if self._triggers is not None:
            # Asked before anything is written: a refusal leaves no user and sends nothing.
            answer = await self._triggers.pre_sign_up(
                pool,
                PRE_SIGN_UP_SIGN_UP,
                username,
                client.id,
                attrs,
                validation_data,
                client_metadata,
            )
        status = UserStatus.CONFIRMED if answer.auto_confirm_user else UserStatus.UNCONFIRMED
        now = self._clock.now()
        attrs = {**auto_verified(attrs, answer), "sub": sub}
        user = User(pool.id, sub, username, status, True, attrs, now, now)
        user = await self._accounts.with_password(pool, user, password, status)
        verifies = answer.auto_confirm_user and (
            answer.auto_verify_email or answer.auto_verify_phone
        )
        # Cognito: an auto-verified email or phone number moves to the new user from whoever
        # signed in with it (the username checked first: a taken one changes nobody's).
        if verifies and await self._store.get_user(pool, username) is None:
            await self._accounts.claim_aliases(pool, user, force=True)
        attribute = None
        if status is UserStatus.UNCONFIRMED:
            attribute = delivery_attribute(pool, user, pool.auto_verified_attributes)
        try:
            await self._accounts.add(pool, user, "User already exists")
        except UsernameExistsException:
            if not conceal:
                raise
            return None, await self._pretend_sent(pool, username, user, attribute)
        delivery = None
        if attribute is not None:
            try:
                delivery = await self._codes.send_code(
                    pool,
                    user,
                    SIGNUP,
                    attribute,
                    "confirmation",
                    event=MessageEvent(SIGN_UP, client.id, client_metadata or {}),
                )
            except BaseException:
                # No half-signed-up user: without its code nobody could confirm it.
                with anyio.CancelScope(shield=True):
                    await self._store.delete_user(pool.id, user.sub)
                raise
        if self._events is not None:
            await self._events.record(
                pool,
                user.sub,
                EventType.SIGN_UP,
                EventResponse.PASS,
                context,
                risk=compromised_risk(verdict.compromised),
            )
        return user, delivery

    async def _pretend_sent(
        self, pool: UserPool, username: str, user: User, attribute: str | None
    ) -> Delivery | None:
        """A concealed taken username: the delivery the new user would have had, after storing
        a code nobody is sent (the same reads, writes and wait as a real send)."""
        if attribute is None:
            return None
        delivery = mask_delivery(user, attribute)
        phantom = self._codes.phantom_sub(pool, username)
        await self._codes.send_phantom_code(pool, phantom, SIGNUP, delivery.medium)
        return delivery

    async def confirm_sign_up(
        self,
        client_id: str,
        username: str,
        code: str,
        secret_hash: str | None,
        force_alias_creation: bool,
        client_metadata: Mapping[str, str] | None = None,
    ) -> None:
        pool, client = await self._clients.client_for_public_call(client_id)
        check_secret_hash(client, username, secret_hash)
        await self._confirm(
            pool, client, username, code, force_alias_creation, False, client_metadata
        )

    async def hosted_confirm_sign_up(
        self, pool_id: str, client_id: str, username: str, code: str
    ) -> User:
        """ConfirmSignUp from the hosted pages; the confirmed user. With the client's
        PreventUserExistenceErrors a user who cannot be confirmed (unknown, or confirmed
        already: a concealed sign-up leads there) gets the answers a wrong code gets."""
        pool, client = await self._clients.client_in_pool(pool_id, client_id)
        conceal = client.prevent_user_existence_errors
        return await self._confirm(pool, client, username, code, False, conceal)

    async def _confirm(
        self,
        pool: UserPool,
        client: AppClient,
        username: str,
        code: str,
        force_alias_creation: bool,
        conceal: bool,
        client_metadata: Mapping[str, str] | None = None,
    ) -> User:
        user = await self._accounts.find(pool, username)
        if conceal and (user is None or user.status is not UserStatus.UNCONFIRMED):
            phantom = self._codes.phantom_sub(pool, username)
            await self._codes.check_phantom_code(pool, phantom, SIGNUP, code)
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
        confirmed = await self._accounts.save(pool, confirmed)
        if self._triggers is not None:
            # Cognito: after the confirmation, which a failing function does not undo.
            await self._triggers.post_confirmation(
                pool, POST_CONFIRMATION_CONFIRM_SIGN_UP, confirmed, client.id, client_metadata
            )
        return confirmed

    async def resend_confirmation_code(
        self,
        client_id: str,
        username: str,
        secret_hash: str | None,
        context: RequestContext | None = None,
        client_metadata: Mapping[str, str] | None = None,
    ) -> Delivery:
        pool, client = await self._clients.client_for_public_call(client_id)
        check_secret_hash(client, username, secret_hash)
        return await self._resend(
            pool, client, username, conceal=False, context=context, metadata=client_metadata
        )

    async def hosted_resend_confirmation_code(
        self, pool_id: str, client_id: str, username: str
    ) -> Delivery:
        """ResendConfirmationCode from the hosted pages. With the client's
        PreventUserExistenceErrors a confirmed user gets the answer an unknown one gets."""
        pool, client = await self._clients.client_in_pool(pool_id, client_id)
        return await self._resend(pool, client, username, client.prevent_user_existence_errors)

    async def _resend(
        self,
        pool: UserPool,
        client: AppClient,
        username: str,
        conceal: bool,
        context: RequestContext | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> Delivery:
        user = await self._accounts.find(pool, username)
        if user is None and not client.prevent_user_existence_errors:
            raise UserNotFoundException(NO_SUCH_USER)
        if not pool.auto_verified_attributes:
            raise InvalidParameterException("Auto verification not turned on.")
        if user is None or (conceal and user.status is not UserStatus.UNCONFIRMED):
            return simulated_delivery(pool, username)
        if user.status is not UserStatus.UNCONFIRMED:
            raise InvalidParameterException("User is already confirmed.")
        attribute = delivery_attribute(pool, user, pool.auto_verified_attributes)
        if attribute is None:
            raise InvalidParameterException(
                "User has no attribute matching desired auto verified attributes"
            )
        delivery = await self._codes.send_code(
            pool,
            user,
            SIGNUP,
            attribute,
            "confirmation",
            event=MessageEvent(RESEND_CODE, client.id, metadata or {}),
        )
        if self._events is not None:
            await self._events.record(
                pool, user.sub, EventType.RESEND_CODE, EventResponse.PASS, context
            )
        return delivery


def auto_verified(attributes: Mapping[str, str], answer: PreSignUpAnswer) -> dict[str, str]:
    """`attributes` with what PreSignUp auto-verified marked verified. Cognito: the flags count
    only for a user it also confirms, and each needs its attribute (InvalidParameterException,
    and no user, without it)."""
    attrs = dict(attributes)
    if not answer.auto_confirm_user:
        return attrs
    for flag, name in (
        (answer.auto_verify_email, "email"),
        (answer.auto_verify_phone, "phone_number"),
    ):
        if not flag:
            continue
        if not attrs.get(name):
            raise InvalidParameterException(
                f"The PreSignUp function auto-verified {name}, and the user has none."
            )
        attrs[f"{name}_verified"] = "true"
    return attrs
