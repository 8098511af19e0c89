"""Federated users: a provider's sign-in creates the user `<ProviderName>_<subject>` (status
EXTERNAL_PROVIDER, no password, the `identities` attribute, the automatic group) or refreshes
the mapped attributes of the one it made before. The attribute rules are the pool's own
(domain/users/user_rules.py), checked before anything is written."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Mapping

import anyio

from mamori.domain.errors import (
    GroupExistsException,
    InvalidParameterException,
    NotAuthorizedException,
    UsernameExistsException,
)
from mamori.domain.ids import new_sub
from mamori.domain.userpools.user_pool import UserPool
from mamori.domain.users.federated import (
    IDENTITIES,
    ProviderIdentity,
    automatic_group,
    automatic_group_description,
    federated_username,
    identities_value,
    unstorable,
)
from mamori.domain.users.group import Group
from mamori.domain.users.user import User, UserStatus
from mamori.domain.users.user_rules import (
    Writer,
    apply_changes,
    check_attributes,
    check_required,
)
from mamori.services.ports import Clock
from mamori.services.userpools.pools import PoolService
from mamori.services.users.accounts import UserAccounts
from mamori.services.users.ports import FederatedUserStore, GroupStore
from mamori.services.users.sign_up_triggers import PRE_SIGN_UP_EXTERNAL_PROVIDER, SignUpTriggers


class FederatedUsers:
    def __init__(
        self,
        users: UserAccounts,
        store: FederatedUserStore,
        groups: GroupStore,
        pools: PoolService,
        clock: Clock,
        triggers: SignUpTriggers | None = None,
    ) -> None:
        """`triggers`: the pools' PreSignUp, asked before a first sign-in creates its user."""
        self._triggers = triggers
        self._users = users
        self._store = store
        self._groups = groups
        self._pools = pools
        self._clock = clock

    async def sign_in(
        self,
        pool_id: str,
        identity: ProviderIdentity,
        attributes: Mapping[str, str],
        client_id: str | None = None,
    ) -> User:
        """The user `identity` signs in as, created on its first sign-in, its mapped
        `attributes` written on every one. InvalidParameterException when the mapping gives
        an attribute the schema refuses or leaves a required one out, or the subject or a value
        has a character no store holds (NUL, an unpaired surrogate); AliasExistsException when
        an email or phone number it would sign in with is another user's: nothing is written."""
        pool = await self._pools.require(pool_id)
        refused = unstorable(identity, attributes)
        if refused is not None:
            # Checked before any lookup: on PostgreSQL a NUL in a query is an error, not a miss.
            raise InvalidParameterException(
                f"Attributes did not conform to the schema: {refused}: The value has a character "
                "that cannot be stored."
            )
        linked = await self._store.linked_user(pool.id, identity.provider_name, identity.subject)
        if linked is not None:
            # Cognito: a linked identity signs in as the existing user (its sub, its status,
            # its password kept); the mapped attributes and `identities` are written to it.
            check_attributes(pool, attributes, Writer.ADMIN, creating=False)
            if not linked.enabled:
                raise NotAuthorizedException("User is disabled.")
            return await self._refresh(pool, linked, identity, attributes)
        username = federated_username(identity)
        existing = await self._store.get_user(pool, username)
        # Cognito: mapped attributes are written as the pool's administrator writes them (no
        # client's write permissions), never the system ones (sub, identities).
        check_attributes(pool, attributes, Writer.ADMIN, creating=existing is None)
        now = self._clock.now()
        now_ms = int(now.timestamp() * 1000)
        if existing is None:
            try:
                return await self._create(pool, username, identity, attributes, now_ms, client_id)
            except UsernameExistsException:
                # Two first sign-ins at once: the other one made the user; this one updates it.
                existing = await self._store.get_user(pool, username)
                if existing is None:
                    raise
        if existing.status is not UserStatus.EXTERNAL_PROVIDER:
            # A pool user whose name only looks federated: never signed in by a provider.
            raise NotAuthorizedException("The user cannot sign in with this provider.")
        if not existing.enabled:
            raise NotAuthorizedException("User is disabled.")
        return await self._refresh(pool, existing, identity, attributes)

    async def _refresh(
        self,
        pool: UserPool,
        existing: User,
        identity: ProviderIdentity,
        attributes: Mapping[str, str],
    ) -> User:
        now_ms = int(self._clock.now().timestamp() * 1000)
        attrs = apply_changes(pool, existing.attributes, attributes, verify_changed=False)
        attrs[IDENTITIES] = identities_value(existing.attributes.get(IDENTITIES), identity, now_ms)
        check_required(pool, attrs)
        updated = dataclasses.replace(existing, attributes=attrs)
        await self._users.claim_aliases(pool, updated, force=False)
        return await self._users.save(pool, updated)

    async def _create(
        self,
        pool: UserPool,
        username: str,
        identity: ProviderIdentity,
        attributes: Mapping[str, str],
        now_ms: int,
        client_id: str | None = None,
    ) -> User:
        sub = new_sub()
        attrs = {**attributes, "sub": sub, IDENTITIES: identities_value(None, identity, now_ms)}
        check_required(pool, attrs)
        if self._triggers is not None:
            # Before anything is written; the answer's flags do not apply to a provider's user.
            await self._triggers.pre_sign_up(
                pool, PRE_SIGN_UP_EXTERNAL_PROVIDER, username, client_id, attributes
            )
        now = self._clock.now()
        user = User(pool.id, sub, username, UserStatus.EXTERNAL_PROVIDER, True, attrs, now, now)
        await self._users.claim_aliases(pool, user, force=False)
        group = await self._automatic_group(pool, identity.provider_name)
        await self._users.add(pool, user, "User account already exists")
        try:
            await self._groups.add_member(pool.id, group, user.sub)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await self._store.delete_user(pool.id, user.sub)
            raise
        return user

    async def _automatic_group(self, pool: UserPool, provider_name: str) -> str:
        name = automatic_group(pool.id, provider_name)
        if await self._groups.get_group(pool.id, name) is None:
            now = self._clock.now()
            group = Group(
                pool.id, name, now, now, automatic_group_description(provider_name), None, None
            )
            with contextlib.suppress(GroupExistsException):  # another sign-in made it first
                await self._groups.add_group(group)
        return name
