"""PreAuthentication and PostAuthentication: the pool's functions told of a sign-in before its
first factor is checked and once it is proven, before any token is issued; either one's error
refuses the sign-in (docs/triggers.md, "Sign-in")."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mamori.domain.auth.auth_flow import Proof
from mamori.domain.ids import region_of
from mamori.domain.triggers import TriggerName, trigger_attributes, trigger_event
from mamori.domain.userpools.app_client import AppClient
from mamori.domain.userpools.user_pool import UserPool
from mamori.domain.users.user import User
from mamori.services.auth.sign_in_state import SignIn
from mamori.services.tokens.token_triggers import TokenSource, TriggerCalls


def token_source(sign_in: SignIn) -> TokenSource:
    """The PreTokenGeneration source of a sign-in's tokens (the hosted pages': HostedAuth,
    at the authorization endpoint)."""
    if Proof.DEVICE in sign_in.proven:
        return TokenSource.AUTHENTICATE_DEVICE
    if Proof.NEW_PASSWORD in sign_in.proven:
        return TokenSource.NEW_PASSWORD_CHALLENGE
    return TokenSource.AUTHENTICATION


class SignInTriggers:
    def __init__(self, triggers: TriggerCalls) -> None:
        self._triggers = triggers

    async def pre_authentication(
        self,
        pool: UserPool,
        client: AppClient,
        username: str,
        user: User | None,
        validation_data: Mapping[str, str] | None = None,
    ) -> None:
        """PreAuthentication_Authentication, before the first factor is checked. Cognito: for
        an unknown user only where the client hides user existence (userNotFound: true), so
        the function can't be used to tell who exists; otherwise the caller refuses first."""
        name = TriggerName.PRE_AUTHENTICATION
        if self._triggers.function_for(pool, name) is None:
            return
        if user is None and not client.prevent_user_existence_errors:
            return
        request: dict[str, Any] = {
            "userAttributes": trigger_attributes(user),
            "validationData": dict(validation_data) if validation_data else None,
        }
        if client.prevent_user_existence_errors:
            request["userNotFound"] = user is None
        event = trigger_event(
            name,
            "PreAuthentication_Authentication",
            pool.id,
            region_of(pool.id),
            user.username if user is not None else username,
            client.id,
            request,
        )
        await self._triggers.invoke(pool, name, event)

    async def post_authentication(
        self,
        pool: UserPool,
        client: AppClient,
        user: User,
        new_device_used: bool,
        client_metadata: Mapping[str, str] | None = None,
    ) -> None:
        """PostAuthentication_Authentication, once the sign-in is proven and before its
        tokens (or the hosted pages' code) exist: an error issues nothing."""
        name = TriggerName.POST_AUTHENTICATION
        if self._triggers.function_for(pool, name) is None:
            return
        request: dict[str, Any] = {
            "userAttributes": trigger_attributes(user),
            "newDeviceUsed": new_device_used,
        }
        if client_metadata:
            request["clientMetadata"] = dict(client_metadata)
        event = trigger_event(
            name,
            "PostAuthentication_Authentication",
            pool.id,
            region_of(pool.id),
            user.username,
            client.id,
            request,
        )
        await self._triggers.invoke(pool, name, event)
