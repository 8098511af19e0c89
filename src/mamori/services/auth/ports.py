"""What sign-in's MFA and remembered devices depend on: users' MFA factors, devices."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from mamori.domain.auth.device import Device
from mamori.domain.auth.mfa import UserMfa
from mamori.domain.ids import PoolId, UserSub
from mamori.services.ports import Page


class MfaStore(Protocol):
    """Each user's MFA factors and TOTP token; secrets are sealed at rest by the adapter.

    Writes touch only their own columns, so a preference change never undoes a concurrent
    code's use (the replay guard) and the other way round.
    """

    async def get_mfa(self, pool_id: PoolId, sub: UserSub) -> UserMfa | None: ...
    async def save_preferences(self, mfa: UserMfa, when: datetime) -> None:
        """Writes the enabled factors and the preferred one, creating the row if needed."""

    async def set_pending_secret(
        self, pool_id: PoolId, sub: UserSub, secret: str, when: datetime
    ) -> None: ...
    async def activate_secret(
        self,
        pool_id: PoolId,
        sub: UserSub,
        secret: str,
        name: str | None,
        step: int,
        when: datetime,
        enable: bool,
    ) -> bool:
        """The pending `secret` becomes the user's token with its code at `step` used (and,
        with `enable`, SOFTWARE_TOKEN_MFA turned on and preferred unless another factor is).
        False when no secret is pending any more (a concurrent verification took it)."""

    async def use_step(self, pool_id: PoolId, sub: UserSub, step: int, when: datetime) -> bool:
        """Marks `step` used for the verified token: False when it, or a later one, was."""

    async def count_attempt(
        self,
        pool_id: PoolId,
        sub: UserSub,
        when: datetime,
        free: int,
        not_after: Sequence[datetime],
    ) -> bool:
        """Counts a TOTP code as a failure BEFORE it is compared (a right one starts the count
        again: `use_step`, `activate_secret`), in one conditional update, so concurrent codes
        can't outnumber the limit. Counted only while fewer than `free` failures are, or the
        last was at or before `not_after[failures - free]` (the last entry for any count
        beyond); False, and nothing counted, while the user must wait."""


class DeviceStore(Protocol):
    """A user's devices, always addressed by pool, user and device key."""

    async def add_device(self, device: Device) -> None: ...
    async def get_device(self, pool_id: PoolId, sub: UserSub, key: str) -> Device | None: ...
    async def confirm_device(self, device: Device) -> bool:
        """Writes a confirmed device over its unconfirmed record; False when it was confirmed
        already (or is gone)."""

    async def save_device(self, device: Device) -> None: ...
    async def delete_device(self, pool_id: PoolId, sub: UserSub, key: str) -> bool: ...
    async def list_devices(
        self,
        pool_id: PoolId,
        sub: UserSub,
        limit: int,
        after: str | None,
        remembered_only: bool,
    ) -> Page[Device]:
        """Confirmed devices by key."""

    async def prune_unconfirmed(self, pool_id: PoolId, sub: UserSub, before: datetime) -> None:
        """Drops the user's devices handed out before `before` and never confirmed."""


class ResourceScopes(Protocol):
    """The pool's resource-server scopes, "<identifier>/<scope name>" (the resource-server
    store): a refreshed token keeps only those that still exist."""

    async def scopes_of(self, pool_id: PoolId) -> frozenset[str]: ...
