"""Remembered devices: keys handed out at sign-in, ConfirmDevice, listing, status, forgetting.

For the sign-in state machine (services/auth/service.py):

- `configuration(pool) -> DeviceConfiguration | None`: None when the pool tracks no devices.
- `new_device_metadata(pool, user, ip) -> (device_key, device_group_key)`: after a sign-in
  that will issue tokens without a DEVICE_KEY, when the pool tracks devices: the
  NewDeviceMetadata to return; the device stays unconfirmed until ConfirmDevice.
- `device_for_sign_in(pool, user, device_key) -> Device | None`: a confirmed device of this user
  (`remembered` says whether it may skip MFA when ChallengeRequiredOnNewDevice is on).
- `get_device_verifier(pool, user, device_key) -> Verifier | None`: for DEVICE_SRP_AUTH /
  DEVICE_PASSWORD_VERIFIER (realm: the device group key, user id: the device key).
- `mark_authenticated(pool, user, device_key, ip)`: after a sign-in with the device.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from mamori.crypto.srp import SrpError, Verifier, device_verifier_from_client
from mamori.domain.auth.device import Device, DeviceStatus, new_device_group_key, new_device_key
from mamori.domain.errors import (
    DeviceKeyExistsException,
    InvalidParameterException,
    ResourceNotFoundException,
)
from mamori.domain.userpools.settings import DeviceConfiguration
from mamori.domain.userpools.user_pool import UserPool
from mamori.domain.users.user import User
from mamori.services.auth.ports import DeviceStore
from mamori.services.ports import Clock, Page
from mamori.services.tokens.pool_tokens import AccessContext, TokenService
from mamori.services.userpools.pools import PoolService
from mamori.services.users.accounts import UserAccounts

MAX_PAGE = 60
# Device keys handed out at sign-in and never confirmed are dropped after this long.
UNCONFIRMED_TTL = timedelta(days=1)
NO_DEVICE = "Device does not exist."


class DeviceService:
    def __init__(
        self,
        store: DeviceStore,
        pools: PoolService,
        users: UserAccounts,
        tokens: TokenService,
        clock: Clock,
    ) -> None:
        self._store = store
        self._pools = pools
        self._users = users
        self._tokens = tokens
        self._clock = clock

    # --- for sign-in
    @staticmethod
    def configuration(pool: UserPool) -> DeviceConfiguration | None:
        return pool.device_configuration

    async def new_device_metadata(
        self, pool: UserPool, user: User, ip: str | None = None
    ) -> tuple[str, str]:
        """A new, unconfirmed device of `user`: (DeviceKey, DeviceGroupKey)."""
        now = self._clock.now()
        await self._store.prune_unconfirmed(pool.id, user.sub, now - UNCONFIRMED_TTL)
        device = Device(
            pool_id=pool.id,
            sub=user.sub,
            key=new_device_key(pool.id),
            group_key=new_device_group_key(),
            created=now,
            modified=now,
            last_ip=ip,
        )
        await self._store.add_device(device)
        return device.key, device.group_key

    async def device_for_sign_in(
        self, pool: UserPool, user: User, device_key: str
    ) -> Device | None:
        device = await self._store.get_device(pool.id, user.sub, device_key)
        return device if device is not None and device.confirmed else None

    async def get_device_verifier(
        self, pool: UserPool, user: User, device_key: str
    ) -> Verifier | None:
        device = await self.device_for_sign_in(pool, user, device_key)
        if device is None or device.verifier is None:
            return None
        return Verifier.from_bytes(device.verifier)

    async def mark_authenticated(
        self, pool: UserPool, user: User, device_key: str, ip: str | None = None
    ) -> None:
        device = await self._store.get_device(pool.id, user.sub, device_key)
        if device is None:
            return
        now = self._clock.now()
        await self._store.save_device(
            dataclasses.replace(
                device, last_authenticated=now, modified=now, last_ip=ip or device.last_ip
            )
        )

    # --- ConfirmDevice
    async def confirm_device(
        self,
        access_token: str,
        device_key: str,
        salt: str | None,
        password_verifier: str | None,
        name: str | None,
        ip: str | None = None,
    ) -> bool:
        """Stores the device's SRP verifier (DeviceSecretVerifierConfig's Salt and
        PasswordVerifier) and remembers it, or with DeviceOnlyRememberedOnUserPrompt leaves that
        to UpdateDeviceStatus: the return value, UserConfirmationNecessary."""
        ctx = await self._tokens.check_access_token(access_token)
        pool = await self._pools.require(ctx.pool_id)
        config = self.configuration(pool)
        device = await self._store.get_device(pool.id, ctx.user.sub, device_key)
        if device is None:
            raise ResourceNotFoundException(NO_DEVICE)
        if device.confirmed:
            raise DeviceKeyExistsException("Device key already exists.")
        if not salt or not password_verifier:
            raise InvalidParameterException(
                "DeviceSecretVerifierConfig needs a PasswordVerifier and a Salt."
            )
        try:
            verifier = device_verifier_from_client(salt, password_verifier)
        except SrpError as exc:
            raise InvalidParameterException(f"Invalid DeviceSecretVerifierConfig: {exc}.") from exc
        prompt = config is not None and config.device_only_remembered_on_user_prompt
        now = self._clock.now()
        confirmed = dataclasses.replace(
            device,
            confirmed=True,
            status=DeviceStatus.NOT_REMEMBERED if prompt else DeviceStatus.REMEMBERED,
            name=name if name is not None else device.name,
            verifier=verifier.to_bytes(),
            last_ip=ip or device.last_ip,
            modified=now,
            last_authenticated=device.last_authenticated or now,
        )
        if not await self._store.confirm_device(confirmed):
            raise DeviceKeyExistsException("Device key already exists.")
        return prompt

    # --- the user's own devices, by access token
    async def _device(self, ctx: AccessContext, device_key: str) -> Device:
        device = await self._store.get_device(ctx.pool_id, ctx.user.sub, device_key)
        if device is None or not device.confirmed:
            raise ResourceNotFoundException(NO_DEVICE)
        return device

    async def list_devices(self, access_token: str, limit: int, token: str | None) -> Page[Device]:
        ctx = await self._tokens.check_access_token(access_token)
        # Cognito: a user's own list has only its remembered devices.
        return await self._store.list_devices(
            ctx.pool_id, ctx.user.sub, _limit(limit), token, remembered_only=True
        )

    async def get_device(self, access_token: str, device_key: str) -> Device:
        ctx = await self._tokens.check_access_token(access_token)
        return await self._device(ctx, device_key)

    async def update_device_status(
        self, access_token: str, device_key: str, status: DeviceStatus | None
    ) -> None:
        ctx = await self._tokens.check_access_token(access_token)
        await self._set_status(await self._device(ctx, device_key), status)

    async def forget_device(self, access_token: str, device_key: str) -> None:
        ctx = await self._tokens.check_access_token(access_token)
        device = await self._device(ctx, device_key)
        await self._store.delete_device(device.pool_id, device.sub, device.key)

    # --- any user's devices, as an administrator
    async def _admin_device(self, pool_id: str, username: str, device_key: str) -> Device:
        pool = await self._pools.require(pool_id)
        user = await self._users.require(pool, username)
        device = await self._store.get_device(pool.id, user.sub, device_key)
        if device is None or not device.confirmed:
            raise ResourceNotFoundException(NO_DEVICE)
        return device

    async def admin_list_devices(
        self, pool_id: str, username: str, limit: int, token: str | None
    ) -> Page[Device]:
        pool = await self._pools.require(pool_id)
        user = await self._users.require(pool, username)
        return await self._store.list_devices(
            pool.id, user.sub, _limit(limit), token, remembered_only=False
        )

    async def admin_get_device(self, pool_id: str, username: str, device_key: str) -> Device:
        return await self._admin_device(pool_id, username, device_key)

    async def admin_update_device_status(
        self, pool_id: str, username: str, device_key: str, status: DeviceStatus | None
    ) -> None:
        await self._set_status(await self._admin_device(pool_id, username, device_key), status)

    async def admin_forget_device(self, pool_id: str, username: str, device_key: str) -> None:
        device = await self._admin_device(pool_id, username, device_key)
        await self._store.delete_device(device.pool_id, device.sub, device.key)

    async def _set_status(self, device: Device, status: DeviceStatus | None) -> None:
        if status is None:
            raise InvalidParameterException("Missing required parameter DeviceRememberedStatus")
        await self._store.save_device(
            dataclasses.replace(device, status=status, modified=self._clock.now())
        )


def _limit(limit: int) -> int:
    # Cognito: Limit 0 (or none) means the largest page.
    return limit if 0 < limit <= MAX_PAGE else MAX_PAGE
