"""UserMigration: a user unknown to the pool, moved in from another directory by the pool's
function at sign-in with a password (UserMigration_Authentication) or at ForgotPassword
(UserMigration_ForgotPassword), created only once the function vouches for them
(docs/triggers.md, "Moving users in")."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from mamori.domain.errors import (
    InvalidLambdaResponseException,
    UsernameExistsException,
)
from mamori.domain.ids import new_sub, region_of
from mamori.domain.triggers import TriggerName, trigger_event
from mamori.domain.userpools.app_client import AppClient
from mamori.domain.userpools.user_pool import UserPool
from mamori.domain.users.user import User, UserStatus
from mamori.domain.users.user_rules import Writer, check_attributes, check_required, stored_username
from mamori.services.ports import Clock
from mamori.services.tokens.token_triggers import TriggerCalls
from mamori.services.users.accounts import UserAccounts


class MigrationSource(StrEnum):
    AUTHENTICATION = "UserMigration_Authentication"
    FORGOT_PASSWORD = "UserMigration_ForgotPassword"


_STATUSES = {"CONFIRMED": UserStatus.CONFIRMED, "RESET_REQUIRED": UserStatus.RESET_REQUIRED}
_ACTIONS = ("SUPPRESS", "RESEND")
_MEDIUMS = ("EMAIL", "SMS")


def _invalid(detail: str) -> InvalidLambdaResponseException:
    return InvalidLambdaResponseException(f"Invalid lambda response: {detail}")


def _answer(answered: Mapping[str, Any]) -> tuple[dict[str, str], UserStatus | None, bool]:
    """(userAttributes, finalUserStatus, forceAliasCreation) of a well-formed answer."""
    response = answered.get("response")
    if not isinstance(response, dict):
        raise _invalid("response must be an object")
    attributes = response.get("userAttributes")
    if not isinstance(attributes, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in attributes.items()
    ):
        raise _invalid("userAttributes must map names to strings")
    status_name = response.get("finalUserStatus")
    if status_name is not None and status_name not in _STATUSES:
        raise _invalid("finalUserStatus must be CONFIRMED or RESET_REQUIRED")
    action = response.get("messageAction")
    if action is not None and action not in _ACTIONS:
        raise _invalid("messageAction must be SUPPRESS or RESEND")
    mediums = response.get("desiredDeliveryMediums")
    if mediums is not None and (
        not isinstance(mediums, list) or any(m not in _MEDIUMS for m in mediums)
    ):
        raise _invalid("desiredDeliveryMediums must list EMAIL or SMS")
    force = response.get("forceAliasCreation")
    if force is not None and not isinstance(force, bool):
        raise _invalid("forceAliasCreation must be a boolean")
    status = _STATUSES[status_name] if status_name is not None else None
    return attributes, status, bool(force)


class UserMigration:
    def __init__(self, triggers: TriggerCalls, users: UserAccounts, clock: Clock) -> None:
        self._triggers = triggers
        self._users = users
        self._clock = clock

    def configured(self, pool: UserPool) -> bool:
        return self._triggers.function_for(pool, TriggerName.USER_MIGRATION) is not None

    async def migrate(
        self,
        pool: UserPool,
        client: AppClient,
        username: str,
        source: MigrationSource,
        password: str | None = None,
        validation_data: Mapping[str, str] | None = None,
        client_metadata: Mapping[str, str] | None = None,
    ) -> User | None:
        """The user the function moved in, saved (None: the pool has no such function). The
        function's errors propagate (the caller says what Cognito says) and create nothing;
        so does an answer that isn't a user this pool can hold."""
        name = TriggerName.USER_MIGRATION
        if not self.configured(pool):
            return None
        request: dict[str, Any] = {
            "validationData": dict(validation_data) if validation_data else None,
            "clientMetadata": dict(client_metadata) if client_metadata else None,
        }
        if password is not None:
            request["password"] = password
        response = {
            "userAttributes": None,
            "finalUserStatus": None,
            "messageAction": None,
            "desiredDeliveryMediums": None,
            "forceAliasCreation": None,
            "enableSMSMFA": None,
        }
        event = trigger_event(
            name,
            source.value,
            pool.id,
            region_of(pool.id),
            username,
            client.id,
            request,
            response,
        )
        answered = await self._triggers.invoke(pool, name, event)
        if answered is None:
            return None
        attributes, final, force = _answer(answered)
        attributes = {k: v for k, v in attributes.items() if k not in ("sub", "username")}
        check_attributes(pool, attributes, Writer.ADMIN, creating=True)
        sub = new_sub()
        stored, attrs = stored_username(pool, username, attributes, sub)
        check_required(pool, attrs)
        if source is MigrationSource.FORGOT_PASSWORD:
            # No password is known: the user sets one with the code ForgotPassword sends.
            status = UserStatus.RESET_REQUIRED
        else:
            status = final or UserStatus.CONFIRMED
        now = self._clock.now()
        user = User(pool.id, sub, stored, status, True, {**attrs, "sub": sub}, now, now)
        if password is not None:
            # The password the old directory accepted, kept as this pool's hash (and SRP
            # verifier): never in clear, and not held to a policy it was never chosen under.
            password_hash = await self._users.hash_password_unchecked(password)
            verifier = await self._users.srp_verifier(pool, user, password)
            user = dataclasses.replace(user, password_hash=password_hash, srp_verifier=verifier)
        if force:
            # Taking an alias from its holder is a side effect: only for a user that will exist
            # (a concurrent sign-in may have just moved this one in).
            existing = await self._users.find(pool, username)
            if existing is not None:
                return existing
            await self._users.claim_aliases(pool, user, force=True)
        try:
            await self._users.add(pool, user, "User account already exists")
        except UsernameExistsException:
            # A concurrent sign-in moved the same user in a moment ago: use theirs.
            existing = await self._users.find(pool, username)
            if existing is None:
                raise
            return existing
        return user
