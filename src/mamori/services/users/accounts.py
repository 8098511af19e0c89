"""User accounts: the lookups and writes every user operation shares (find a user by name or
alias, hash passwords and SRP verifiers, save, aliases, attribute changes). Sign-up is in
sign_up.py, self-service in self_service.py, the administrator's operations in admin_users.py."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

import anyio

from mamori.crypto.passwords import PasswordHashing
from mamori.domain.errors import (
    AliasExistsException,
    InvalidPasswordException,
    UsernameExistsException,
    UserNotFoundException,
)
from mamori.domain.ids import UserSub
from mamori.domain.security.risk_config import RiskEvent
from mamori.domain.userpools.user_pool import UserPool
from mamori.domain.users.aliases import alias_entries
from mamori.domain.users.user import User, UserStatus
from mamori.domain.users.user_rules import (
    apply_changes,
    check_required,
    held_until_verified,
    looks_like,
    remove_attributes,
)
from mamori.services.ports import Clock
from mamori.services.security.breached import NOT_CHECKED, CompromisedCredentialsCheck, Verdict
from mamori.services.security.hash_threads import HashThreads
from mamori.services.tokens.ports import RefreshSessionStore
from mamori.services.userpools.pools import PoolService
from mamori.services.users.codes import (
    CodeService,
    Delivery,
    delivery_attribute,
    verify_purpose,
)
from mamori.services.users.message_triggers import UPDATE_USER_ATTRIBUTE, MessageEvent
from mamori.services.users.ports import UserStore
from mamori.services.users.srp_verifiers import VerifierVault

T = TypeVar("T")
# Cognito: the LEGACY answer of the public confirmation operations for an unknown user.
NO_SUCH_USER = "Username/client id combination not found."


class UserAccounts:
    """The user lookups and writes the other user, sign-in and MFA services share."""

    def __init__(
        self,
        store: UserStore,
        sessions: RefreshSessionStore,
        pools: PoolService,
        codes: CodeService,
        hashing: PasswordHashing,
        clock: Clock,
        verifiers: VerifierVault | None = None,
        *,
        hash_threads: HashThreads,
        compromised: CompromisedCredentialsCheck | None = None,
    ) -> None:
        """`hash_threads`: where password hashes and SRP verifiers run (sized in wiring);
        `compromised`: threat protection's breached-password check (None: never checked)."""
        self._store = store
        self._verifiers = verifiers
        self._sessions = sessions
        self._pools = pools
        self._codes = codes
        self._hashing = hashing
        self._clock = clock
        self._hash_threads = hash_threads
        self._compromised = compromised

    async def _hash_call(self, fn: Callable[..., T], *args: Any) -> T:
        return await self._hash_threads.run(fn, *args)

    # --- lookups shared by every operation that names a user
    async def find(self, pool: UserPool, username: str) -> User | None:
        """By username, then by any sign-in alias (email, phone, preferred_username)."""
        user = await self._store.get_user(pool, username)
        if user is not None:
            return user
        for attribute in pool.sign_in_aliases():
            if attribute in {"email", "phone_number"} and not looks_like(attribute, username):
                continue
            user = await self._store.find_by_alias(pool, attribute, username)
            if user is not None:
                return user
        return None

    async def require(self, pool: UserPool, username: str) -> User:
        user = await self.find(pool, username)
        if user is None:
            raise UserNotFoundException("User does not exist.")
        return user

    async def require_in_pool(self, pool_id: str, username: str) -> User:
        """The user `username` of the pool `pool_id`, as an IAM-authorised caller names them."""
        return await self.require(await self._pools.require(pool_id), username)

    async def hash_password(self, pool: UserPool, password: str) -> str:
        problem = pool.password_policy.violation(password)
        if problem:
            raise InvalidPasswordException(problem)
        return await self._hash_call(self._hashing.hash, password)

    async def screen_password(
        self, pool: UserPool, client_id: str | None, event: RiskEvent, password: str
    ) -> Verdict:
        """Threat protection's compromised-credentials check of a password being set (SIGN_UP,
        PASSWORD_CHANGE: the pool's policy first, so a password it refuses is refused for that
        whatever the corpus says; InvalidPasswordException when blocked) or proven (SIGN_IN: the
        caller refuses a blocked one). The verdict's `compromised` is the auth event's flag."""
        if event is not RiskEvent.SIGN_IN:
            problem = pool.password_policy.violation(password)
            if problem:
                raise InvalidPasswordException(problem)
        if self._compromised is None:
            return NOT_CHECKED
        if event is RiskEvent.SIGN_IN:
            return await self._compromised.check(pool, client_id, event, password)
        return await self._compromised.new_password(pool, client_id, event, password)

    async def hash_password_unchecked(self, password: str) -> str:
        """Re-hash a password already verified (parameters changed): no policy check."""
        return await self._hash_call(self._hashing.hash, password)

    def needs_rehash(self, encoded: str) -> bool:
        return self._hashing.needs_rehash(encoded)

    async def verify_password(self, user: User | None, password: str) -> bool:
        encoded = user.password_hash if user is not None else None
        return await self._hash_call(self._hashing.verify, encoded, password)

    async def with_password(
        self,
        pool: UserPool,
        user: User,
        password: str,
        status: UserStatus,
        expires: datetime | None = None,
    ) -> User:
        """`user` with a new password (policy-checked, hashed) and `status`, not yet saved.

        Every password a user is given passes through here (sign-up, invitations, changes,
        resets): whatever else a password needs stored, such as an SRP verifier, is made here.
        """
        password_hash = await self.hash_password(pool, password)
        return dataclasses.replace(
            user,
            password_hash=password_hash,
            status=status,
            password_expires=expires,
            srp_verifier=await self.srp_verifier(pool, user, password),
        )

    async def srp_verifier(self, pool: UserPool, user: User, password: str) -> str | None:
        """The sealed SRP verifier of `password` for `user` (None without a vault)."""
        if self._verifiers is None:
            return None
        return await self._hash_call(self._verifiers.make, pool, user, password)

    async def set_password(
        self,
        pool: UserPool,
        user: User,
        password: str,
        status: UserStatus,
        expires: datetime | None = None,
    ) -> User:
        updated = await self.with_password(pool, user, password, status, expires)
        return await self.save(pool, updated)

    async def save(self, pool: UserPool, user: User) -> User:
        user = dataclasses.replace(user, modified=self._clock.now())
        await self._store.save_user(pool, user)
        return user

    async def add(self, pool: UserPool, user: User, taken: str) -> None:
        try:
            await self._store.add_user(pool, user)
        except UsernameExistsException as exc:
            raise UsernameExistsException(taken) from exc
        except AliasExistsException as exc:
            # Cognito: where email or phone is the username, a taken one is a taken username.
            if pool.username_attributes:
                raise UsernameExistsException(exc.message) from exc
            raise

    async def remove(self, pool: UserPool, user: User) -> None:
        await self._sessions.revoke_user(pool.id, user.sub)
        await self._store.delete_user(pool.id, user.sub)

    # --- aliases: an email or phone number signs in only one user at a time
    async def _alias_owners(self, pool: UserPool, user: User) -> list[tuple[str, User]]:
        owners = []
        for attribute in alias_entries(pool, user):
            other = await self._store.find_by_alias(pool, attribute, user.attributes[attribute])
            if other is not None and other.sub != user.sub:
                owners.append((attribute, other))
        return owners

    async def claim_aliases(self, pool: UserPool, user: User, force: bool) -> None:
        """Refuse `user`'s aliases held by others, or with `force` take them over."""
        for attribute, other in await self._alias_owners(pool, user):
            # A username attribute (email or phone as the username) is never taken over: held,
            # it is a taken username, and the other user's record must not change.
            taken = f"An account with the given {attribute} already exists."
            if not force or attribute not in {"email", "phone_number"}:
                raise AliasExistsException(taken)
            if attribute in pool.username_attributes:
                # Never taken over where it is the username: the holder's record stays as it
                # is, and a new user with it is a taken username, as `add` answers it.
                raise UsernameExistsException(taken)
            # The previous owner keeps the value but can no longer sign in with it.
            attrs = {**other.attributes, f"{attribute}_verified": "false"}
            await self.save(pool, dataclasses.replace(other, attributes=attrs))

    def confirmed(self, pool: UserPool, user: User, verify: bool) -> User:
        attrs = dict(user.attributes)
        attribute = delivery_attribute(pool, user, pool.auto_verified_attributes)
        if verify and attribute:
            attrs[f"{attribute}_verified"] = "true"
        return dataclasses.replace(user, status=UserStatus.CONFIRMED, attributes=attrs)

    async def update_attributes(
        self,
        pool: UserPool,
        user: User,
        changes: Mapping[str, str],
        event: MessageEvent | None = None,
    ) -> list[Delivery]:
        """Writes `changes`; a new email or phone number that needs verifying gets a code
        (`event`: what the message triggers are told; by default UpdateUserAttribute)."""
        held = held_until_verified(pool, user.attributes, changes)
        # A held value waits in `pending`; any other new value for it replaces what was pending.
        pending = {k: v for k, v in user.pending.items() if k not in changes}
        pending.update(held)
        now = dict(changes)
        for name in held:
            now.pop(name)
            now.pop(f"{name}_verified", None)
        for name, value in user.pending.items():
            if name not in changes and changes.get(f"{name}_verified") == "true":
                # Cognito: an administrator setting the flag verifies the pending value.
                now[name] = value
                pending.pop(name, None)
        attrs = apply_changes(pool, user.attributes, now, verify_changed=True)
        check_required(pool, attrs)
        if held and pool.username_attributes:
            # Where email or phone is the username, a value someone holds can never be verified.
            await self.claim_aliases(
                pool, dataclasses.replace(user, attributes={**attrs, **held}), force=False
            )
        updated = await self.save(
            pool, dataclasses.replace(user, attributes=attrs, pending=pending)
        )
        targets = {}
        for name in ("email", "phone_number"):
            if name in held:
                targets[name] = held[name]
            elif (
                name in now
                and attrs.get(name)
                and name in pool.auto_verified_attributes
                and attrs.get(f"{name}_verified") != "true"
            ):
                targets[name] = attrs[name]
        deliveries = []
        try:
            for name, value in targets.items():
                deliveries.append(
                    await self._codes.send_code(
                        pool,
                        updated,
                        verify_purpose(name),
                        name,
                        "verification",
                        value,
                        value,
                        event=event or MessageEvent(UPDATE_USER_ATTRIBUTE),
                    )
                )
        except BaseException:
            # Undelivered, the new value could never be verified: the user stays as it was.
            with anyio.CancelScope(shield=True):
                await self._store.save_user(pool, user)
            raise
        return deliveries

    async def user_by_sub(self, pool: UserPool, sub: str) -> User | None:
        return await self._store.get_user_by_sub(pool.id, UserSub(sub))


def without_attributes(pool: UserPool, user: User, names: Sequence[str]) -> User:
    """`user` without the attributes `names`, nor any value pending for them."""
    attrs = remove_attributes(pool, user.attributes, names)
    pending = {k: v for k, v in user.pending.items() if k not in names}
    return dataclasses.replace(user, attributes=attrs, pending=pending)
