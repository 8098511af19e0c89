"""Self-service through an access token: GetUser, UpdateUserAttributes, DeleteUserAttributes,
DeleteUser, ChangePassword."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from mamori.domain.errors import (
    BlockReason,
    InvalidPasswordException,
    NotAuthorizedException,
    ResourceNotFoundException,
)
from mamori.domain.security.auth_events import (
    EventResponse,
    EventRisk,
    EventType,
    RequestContext,
    RiskDecision,
)
from mamori.domain.security.risk_config import RiskEvent
from mamori.domain.userpools.app_client import AppClient
from mamori.domain.userpools.user_pool import UserPool
from mamori.domain.users.user import User
from mamori.domain.users.user_rules import (
    UNAUTHORIZED_ATTRIBUTE,
    Writer,
    check_attributes,
)
from mamori.services.security.auth_events import AuthEventLog, compromised_risk
from mamori.services.security.guard import Guard
from mamori.services.tokens.pool_tokens import AccessContext, TokenService
from mamori.services.userpools.clients import ClientService
from mamori.services.userpools.pools import PoolService
from mamori.services.users.accounts import UserAccounts, without_attributes
from mamori.services.users.codes import (
    Delivery,
)
from mamori.services.users.message_triggers import UPDATE_USER_ATTRIBUTE, MessageEvent


class SelfService:
    def __init__(
        self,
        accounts: UserAccounts,
        pools: PoolService,
        clients: ClientService,
        tokens: TokenService,
        guard: Guard,
        events: AuthEventLog | None = None,
    ) -> None:
        """`events`: the auth-event log (PasswordChange); None records none."""
        self._events = events
        self._accounts = accounts
        self._pools = pools
        self._clients = clients
        self._tokens = tokens
        self._guard = guard

    # --- self-service, authorised by an access token
    async def _context(self, access_token: str) -> tuple[UserPool, AccessContext]:
        ctx = await self._tokens.check_access_token(access_token)
        return await self._pools.require(ctx.pool_id), ctx

    async def _client_of(self, pool: UserPool, ctx: AccessContext) -> AppClient | None:
        """The client the token was issued to; None once deleted (then nothing is writable)."""
        try:
            return await self._clients.client_of_pool(pool, ctx.client_id)
        except ResourceNotFoundException:
            return None

    async def get_user(self, access_token: str) -> tuple[User, AppClient | None]:
        ctx = await self._tokens.check_access_token(access_token)
        # The hot path: the token's client and its pool in one read.
        found = await self._clients.client_with_pool(ctx.client_id)
        if found is not None and found[0].id == ctx.pool_id:
            return ctx.user, found[1]
        pool = await self._pools.require(ctx.pool_id)
        return ctx.user, await self._client_of(pool, ctx)

    async def update_user_attributes(
        self,
        access_token: str,
        attributes: Mapping[str, str],
        client_metadata: Mapping[str, str] | None = None,
    ) -> list[Delivery]:
        pool, ctx = await self._context(access_token)
        client = await self._client_of(pool, ctx)
        if client is None:
            raise NotAuthorizedException(UNAUTHORIZED_ATTRIBUTE)
        check_attributes(pool, attributes, Writer.USER, client)
        event = MessageEvent(UPDATE_USER_ATTRIBUTE, ctx.client_id, client_metadata or {})
        return await self._accounts.update_attributes(pool, ctx.user, attributes, event)

    async def delete_user_attributes(self, access_token: str, names: Sequence[str]) -> None:
        pool, ctx = await self._context(access_token)
        client = await self._client_of(pool, ctx)
        for name in names:
            if client is None or not client.can_write(name):
                raise NotAuthorizedException(UNAUTHORIZED_ATTRIBUTE)
        await self._accounts.save(pool, without_attributes(pool, ctx.user, names))

    async def delete_user(self, access_token: str) -> None:
        pool, ctx = await self._context(access_token)
        await self._accounts.remove(pool, ctx.user)

    async def change_password(
        self,
        access_token: str,
        previous: str | None,
        proposed: str,
        ip: str | None = None,
        context: RequestContext | None = None,
    ) -> None:
        """A wrong PreviousPassword is a failed sign-in (the lockout counts it: a stolen access
        token must not be a way to guess the password); rate-limited per IP and per user."""
        pool, ctx = await self._context(access_token)
        user = ctx.user
        # Counted as a failure before it is compared; a right one clears the count.
        attempt = await self._guard.count_password_change(pool.id, user.sub, ip)
        if previous is None or not await self._accounts.verify_password(user, previous):
            if self._events is not None:
                await self._events.record(
                    pool, user.sub, EventType.PASSWORD_CHANGE, EventResponse.FAIL, context
                )
            raise NotAuthorizedException("Incorrect username or password.")
        await self._guard.record_success(attempt)
        # After the previous password is proven: a token alone learns nothing from the corpus.
        try:
            verdict = await self._accounts.screen_password(
                pool, ctx.client_id, RiskEvent.PASSWORD_CHANGE, proposed
            )
        except InvalidPasswordException as refused:
            # A breached password refused is a failed change the administrator can see
            # (CompromisedCredentialsDetected), as a refused sign-in is; the policy's is not.
            if refused.reason is BlockReason.COMPROMISED_CREDENTIALS and self._events is not None:
                blocked = EventRisk(RiskDecision.BLOCK, None, True)
                await self._events.record(
                    pool,
                    user.sub,
                    EventType.PASSWORD_CHANGE,
                    EventResponse.FAIL,
                    context,
                    risk=blocked,
                )
            raise
        await self._accounts.set_password(pool, user, proposed, user.status)
        if self._events is not None:
            await self._events.record(
                pool,
                user.sub,
                EventType.PASSWORD_CHANGE,
                EventResponse.PASS,
                context,
                risk=compromised_risk(verdict.compromised),
            )
