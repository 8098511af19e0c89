"""Users' devices in SQL; each device's SRP verifier AEAD-sealed to its pool and key."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from mamori.adapters.store.sql.base import (
    SqlBase,
    aware,
    decode_token,
    must_aware,
    page_of,
)
from mamori.adapters.store.sql.tables import devices
from mamori.crypto.aead import Keyring
from mamori.domain.auth.device import Device, DeviceStatus
from mamori.domain.ids import PoolId, UserSub
from mamori.services.ports import Page


def _purpose(pool_id: str, key: str) -> str:
    return f"device-verifier:{pool_id}:{key}"


class SqlDeviceStore(SqlBase):
    def __init__(self, engine: AsyncEngine, keyring: Keyring) -> None:
        super().__init__(engine)
        self._keyring = keyring

    def _device(self, row: Any) -> Device:
        verifier = None
        if row.verifier_sealed is not None:
            verifier = self._keyring.open(
                row.verifier_sealed, _purpose(row.pool_id, row.device_key)
            )
        return Device(
            pool_id=PoolId(row.pool_id),
            sub=UserSub(row.sub),
            key=row.device_key,
            group_key=row.group_key,
            created=must_aware(row.created),
            modified=must_aware(row.modified),
            confirmed=bool(row.confirmed),
            status=DeviceStatus(row.status),
            name=row.name,
            verifier=verifier,
            last_ip=row.last_ip,
            last_authenticated=aware(row.last_authenticated),
        )

    def _values(self, device: Device) -> dict[str, Any]:
        sealed = None
        if device.verifier is not None:
            sealed = self._keyring.seal(device.verifier, _purpose(device.pool_id, device.key))
        return {
            "group_key": device.group_key,
            "confirmed": device.confirmed,
            "status": device.status.value,
            "name": device.name,
            "verifier_sealed": sealed,
            "last_ip": device.last_ip,
            "modified": device.modified,
            "last_authenticated": device.last_authenticated,
        }

    def _scope(self, pool_id: str, sub: str, key: str) -> Any:
        return (
            (devices.c.pool_id == pool_id) & (devices.c.sub == sub) & (devices.c.device_key == key)
        )

    async def add_device(self, device: Device) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                insert(devices).values(
                    pool_id=device.pool_id,
                    device_key=device.key,
                    sub=device.sub,
                    created=device.created,
                    **self._values(device),
                )
            )

    async def get_device(self, pool_id: PoolId, sub: UserSub, key: str) -> Device | None:
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(select(devices).where(self._scope(pool_id, sub, key)))
            ).first()
        return self._device(row) if row else None

    async def confirm_device(self, device: Device) -> bool:
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(devices)
                .where(
                    self._scope(device.pool_id, device.sub, device.key),
                    devices.c.confirmed.is_(False),
                )
                .values(**self._values(device))
            )
        return bool(result.rowcount)

    async def save_device(self, device: Device) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                update(devices)
                .where(self._scope(device.pool_id, device.sub, device.key))
                .values(**self._values(device))
            )

    async def delete_device(self, pool_id: PoolId, sub: UserSub, key: str) -> bool:
        async with self._engine.begin() as conn:
            result = await conn.execute(delete(devices).where(self._scope(pool_id, sub, key)))
        return bool(result.rowcount)

    async def list_devices(
        self,
        pool_id: PoolId,
        sub: UserSub,
        limit: int,
        after: str | None,
        remembered_only: bool,
    ) -> Page[Device]:
        start = decode_token(after)
        query = (
            select(devices)
            .where(
                devices.c.pool_id == pool_id,
                devices.c.sub == sub,
                devices.c.confirmed.is_(True),
            )
            .order_by(devices.c.device_key)
            .limit(limit + 1)
        )
        if remembered_only:
            query = query.where(devices.c.status == DeviceStatus.REMEMBERED.value)
        if start is not None:
            query = query.where(devices.c.device_key > start)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return page_of(rows, limit, self._device, lambda d: d.key)

    async def prune_unconfirmed(self, pool_id: PoolId, sub: UserSub, before: datetime) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                delete(devices).where(
                    devices.c.pool_id == pool_id,
                    devices.c.sub == sub,
                    devices.c.confirmed.is_(False),
                    devices.c.created < before,
                )
            )
